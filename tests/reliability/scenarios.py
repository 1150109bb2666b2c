"""What the reliability run knows of the addons: their public models and fields.

Everything addon-specific is here, in small functions, so it can follow the
addons when they change (the connector's task states and lease fields, the MT940
file's states, the receiver's fields). Each function talks to Odoo through
XML-RPC as the administrator (``rpc``), never through the database.
"""

import base64
import hashlib
import secrets
import sys
import uuid
import xmlrpc.client
from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.utils import format_datetime

from odoo_server import REPO

# The addons' pure-Python helpers (no Odoo import): the MT940 writer.
sys.path.insert(0, str(REPO / "addons" / "bank_mt940_reconcile" / "parsers"))
from mt940_writer import build_mt940

# ------------------------------------------------------------------ crons
CONNECTOR_DONE = "done"
CONNECTOR_OPEN = ("pending", "running", "failed")
MT940_CRON = "bank_mt940_reconcile.ir_cron_process_mt940_files"


def make_crons_due(rpc, cron_ids):
    """Make the crons due now; the servers run with ODOO_NOTIFY_CRON_CHANGES=1,
    so writing ``nextcall`` wakes the cron workers at once (without it, an idle
    worker looks again only after up to 70 s). Odoo refuses to write a cron
    that is running (a "Record cannot be modified right now" warning in the
    server's log): it is busy anyway."""
    now = _now()
    for cron_id in cron_ids:
        try:
            rpc("ir.cron", "write", [cron_id], {"nextcall": now})
        except xmlrpc.client.Fault:
            continue


def _now():
    """Now as Odoo stores datetimes (UTC); the servers run on this machine."""
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")


# -------------------------------------------------------------- connector
def connector_setup(rpc, package_url, api_key, dossier_count, backend_count):
    """Companies with one active dossier each, spread over a few connectors.

    :return: (dossiers as [{"id", "code"}], connector cron ids, {code: company id})
    """
    # Other connectors (demo data) would compete for the cron workers.
    others = rpc("accounting.backend", "search", [])
    if others:
        rpc("accounting.backend", "write", others, {"active": False})
    tag = secrets.token_hex(3)
    backend_ids = rpc(
        "accounting.backend",
        "create",
        [
            {
                "name": f"Reliability package {tag} {index}",
                "backend_type": "odoo_json2",
                "url": package_url,
                "database": "package",
                "api_key": api_key,
                "worker_count": 2,
            }
            for index in range(backend_count)
        ],
    )
    company_ids = rpc(
        "res.company",
        "create",
        [{"name": f"Dossier {tag} {index:03d}"} for index in range(dossier_count)],
    )
    # the administrator works in all these companies (multi-company rules)
    main_company = rpc("res.users", "read", [rpc.uid], ["company_id"])[0]["company_id"]
    rpc.context = {"allowed_company_ids": [main_company[0], *company_ids]}
    codes = [f"REL{tag}{index:03d}" for index in range(dossier_count)]
    dossier_ids = rpc(
        "accounting.dossier",
        "create",
        [
            {
                "name": f"Dossier {code}",
                "code": code,
                "company_id": company_id,
                "backend_id": backend_ids[index % backend_count],
                "state": "active",
                "activation_date": _now(),
            }
            for index, (code, company_id) in enumerate(
                zip(codes, company_ids, strict=True)
            )
        ],
    )
    crons = rpc("accounting.backend", "read", backend_ids, ["cron_id"])
    dossiers = [{"id": i, "code": c} for i, c in zip(dossier_ids, codes, strict=True)]
    package_companies = {code: 1000 + index for index, code in enumerate(codes)}
    return dossiers, [backend["cron_id"][0] for backend in crons], package_companies


def connector_queue(rpc, dossiers, task_count, batch=500):
    """Queue ``task_count`` booking proposals round-robin over the dossiers.

    The ref of each proposal is ``<dossier code>/<number in its dossier>``: the
    package's ledger shows from it the order per dossier (FIFO).
    :return: the task ids
    """
    today = date.today().isoformat()
    vals_list = []
    for number in range(task_count):
        dossier = dossiers[number % len(dossiers)]
        ref = f"{dossier['code']}/{number // len(dossiers):05d}"
        vals_list.append(
            {
                "dossier_id": dossier["id"],
                "task_type": "post_proposal",
                "record_name": ref,
                "payload": {
                    "ref": ref,
                    "date": today,
                    "journal_code": "MEMO",
                    "lines": [
                        {"account_code": "130000", "debit": 121.0, "credit": 0.0},
                        {"account_code": "800000", "debit": 0.0, "credit": 121.0},
                    ],
                },
            }
        )
    task_ids = []
    for start in range(0, len(vals_list), batch):
        task_ids += rpc("accounting.task", "create", vals_list[start : start + batch])
    return task_ids


def connector_tasks(rpc, task_ids):
    """[{id, state, done_at, record_name, attempt_count, idempotency_key}]."""
    fields = ["state", "done_at", "record_name", "attempt_count", "idempotency_key"]
    rows = []
    for start in range(0, len(task_ids), 2000):
        rows += rpc("accounting.task", "read", task_ids[start : start + 2000], fields)
    return rows


def tasks_by_keys(rpc, keys):
    """[{id, state, attempt_count}] of the tasks with these idempotency keys."""
    return rpc(
        "accounting.task",
        "search_read",
        [("idempotency_key", "in", list(keys))],
        fields=["state", "attempt_count"],
    )


# ------------------------------------------------------------------ MT940
def _iban(bban, country="NL"):
    digits = "".join(str(int(char, 36)) for char in bban + country + "00")
    return f"{country}{98 - int(digits) % 97:02d}{bban}"


def mt940_setup(rpc, company_id):
    """A bank journal of its own (a fresh IBAN): returns (journal id, IBAN)."""
    iban = _iban(f"INGB{secrets.randbelow(10**10):010d}")
    partner_id = rpc("res.company", "read", [company_id], ["partner_id"])[0][
        "partner_id"
    ][0]
    bank_id = rpc(
        "res.partner.bank", "create", {"acc_number": iban, "partner_id": partner_id}
    )
    journal_id = rpc(
        "account.journal",
        "create",
        {
            "name": f"Reliability bank {iban[-4:]}",
            "code": f"R{iban[-4:]}",
            "type": "bank",
            "bank_account_id": bank_id,
            "company_id": company_id,
        },
    )
    return journal_id, iban


def mt940_upload(rpc, journal_id, iban, credits):
    """Upload one MT940 file of ``credits`` credits (waiting for the cron)."""
    data = build_mt940(
        [
            {"amount": 10 + index % 90, "remi": f"Betaling klant {index}"}
            for index in range(credits)
        ],
        account=iban,
        reference=f"REL{secrets.token_hex(5).upper()}",
    )
    return rpc(
        "bank.mt940.file",
        "create",
        {
            "file_name": f"reliability-{credits}.940",
            "file_data": base64.b64encode(data).decode(),
            "journal_id": journal_id,
        },
    )


MT940_FILE_FIELDS = [
    "state",
    "processed_date",
    "done_count",
    "transaction_count",
    "message",
]


def mt940_status(rpc, file_id):
    """(state, statement lines, distinct import ids, processed date, file) of the file.

    The import is chunked: ``done_count`` of ``transaction_count`` shows how far
    it got; ``processed_date`` is also written when the file ends in "error", so
    it only counts as the processing time of a "processed" file.
    """
    file = rpc("bank.mt940.file", "read", [file_id], MT940_FILE_FIELDS)[0]
    lines = rpc(
        "account.bank.statement.line",
        "search_read",
        [("mt940_file_id", "=", file_id)],
        fields=["unique_import_id"],
    )
    import_ids = {line["unique_import_id"] for line in lines}
    processed_date = file["processed_date"] if file["state"] == "processed" else False
    return file["state"], len(lines), len(import_ids), processed_date, file


# ------------------------------------------------------------------- mail
SUPPLIER_DOMAIN = "reliability-supplier.example"


def mail_setup(rpc, company_id):
    """An active receiver of the company trusting SUPPLIER_DOMAIN; its address."""
    company = rpc("res.company", "read", [company_id], ["alias_domain_id"])[0]
    if not company["alias_domain_id"]:
        domain_id = rpc("mail.alias.domain", "create", {"name": "reliability.example"})
        rpc("res.company", "write", [company_id], {"alias_domain_id": domain_id})
    partner_id = rpc(
        "res.partner",
        "create",
        {
            "name": "Leverancier Betrouwbaar B.V.",
            "is_company": True,
            "email": f"facturen@{SUPPLIER_DOMAIN}",
        },
    )
    receiver_id = rpc(
        "email.receiver",
        "create",
        {
            "company_id": company_id,
            "partner_id": partner_id,
            "contact_email": f"contact@{SUPPLIER_DOMAIN}",
            "whitelist_type": "domain",
            "whitelist_value": SUPPLIER_DOMAIN,
            "confirm_to_sender": False,
        },
    )
    rpc("email.receiver", "action_activate", [receiver_id])
    return rpc("email.receiver", "read", [receiver_id], ["alias_email"])[0][
        "alias_email"
    ]


def make_pdf(text):
    """A small valid one-page PDF showing ``text``."""
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>"
        ),
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return out


def duplicate_mails(address, pdf, count, subject="Factuur REL-1"):
    """``count`` raw mails, each its own Message-ID, all carrying ``pdf``."""
    mails = []
    for index in range(count):
        msg = EmailMessage()
        msg["From"] = f"Facturen <facturen@{SUPPLIER_DOMAIN}>"
        msg["To"] = address
        msg["Subject"] = f"{subject} (verzending {index + 1})"
        msg["Date"] = format_datetime(datetime.now(UTC))
        msg["Message-ID"] = f"<{uuid.uuid4().hex}@{SUPPLIER_DOMAIN}>"
        msg.set_content("Beste klant,\n\nIn de bijlage vind je onze factuur.\n")
        msg.add_attachment(
            pdf, maintype="application", subtype="pdf", filename="factuur-REL-1.pdf"
        )
        mails.append(msg.as_bytes())
    return mails


def deliver_mail(rpc, raw):
    """Hand one raw mail to the gateway as odoo-mailgate does (XML-RPC)."""
    return rpc("mail.thread", "message_process", False, xmlrpc.client.Binary(raw))


def bills_with_pdf(rpc, pdf):
    """The vendor bills holding this PDF (by its checksum, as Odoo stores it)."""
    found = rpc(
        "ir.attachment",
        "search_read",
        [
            ("checksum", "=", hashlib.sha1(pdf).hexdigest()),
            ("res_model", "=", "account.move"),
        ],
        fields=["res_id"],
    )
    return sorted({row["res_id"] for row in found})
