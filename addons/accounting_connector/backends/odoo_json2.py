"""Odoo as the accountant's package, over Odoo's external JSON-2 API.

Every call is ``POST <url>/json/2/<model>/<method>`` with an API key as bearer
token and the target database in ``X-Odoo-Database`` (see Odoo's "External JSON-2
API" documentation). Booking proposals become *draft* journal entries in the
company whose company registry (KvK number) equals the dossier code.

The idempotency key of a proposal is written in the entry's narration: posting
the same key twice finds the first entry and returns it instead of booking twice.
"""

import datetime

from .base import AccountingBackend, OfficeError, _lt
from .json2_client import Json2Client

KEY_MARK = "idempotency-key:"


class OdooJson2Backend(Json2Client, AccountingBackend):
    label = "Odoo (JSON-2 API)"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Ids of the journals and accounts found by this client: a client serves
        # one worker's run (under a minute), so they are looked up once per run,
        # not for every booking. The company (its lock dates), earlier bookings
        # and duplicates are asked for every booking.
        self._found_ids = {}

    # ------------------------------------------------------------ operations
    def connect(self):
        users = self._call("res.users", "search_read", domain=[], fields=["login"])
        return f"{self.url} ({self.database}, {len(users)} users visible)"

    def activate_dossier(self, dossier_code):
        company = self._company(dossier_code)
        return {"name": company["name"]}

    def sync_dossier(self, dossier_code):
        company = self._company(dossier_code)
        journals = self._call(
            "account.journal",
            "search_read",
            domain=[("company_id", "=", company["id"])],
            fields=["code"],
            context=self._company_context(company),
        )
        drafts = self._call(
            "account.move",
            "search_count",
            domain=[
                ("company_id", "=", company["id"]),
                ("state", "=", "draft"),
                ("narration", "ilike", KEY_MARK),
            ],
            context=self._company_context(company),
        )
        return {
            "name": company["name"],
            "journals": sorted(journal["code"] for journal in journals),
            "open_proposals": drafts,
        }

    def post_proposal(self, dossier_code, proposal, idempotency_key):
        company = self._company(dossier_code)
        context = self._company_context(company)
        existing = self._moves_with_key(company, idempotency_key)
        if existing:
            # sent before by a worker that died before it could record it
            return str(existing[0]["id"])
        self._check_period(company, proposal["date"])
        duplicate = self._call(
            "account.move",
            "search_read",
            domain=[
                ("company_id", "=", company["id"]),
                ("ref", "=", proposal["ref"]),
                ("state", "!=", "cancel"),
            ],
            fields=["name"],
            context=context,
        )
        if duplicate:
            raise OfficeError(
                "duplicate_booking",
                _lt(
                    "%(ref)s is already booked in the accounting package (%(name)s).",
                    ref=proposal["ref"],
                    name=duplicate[0]["name"],
                ),
                details={"ref": proposal["ref"]},
            )
        journal_id = self._journal(company, proposal["journal_code"])
        accounts = self._accounts(company, proposal["lines"])
        self._check_taxes(company, proposal["lines"])
        partner_id = self._partner(company, proposal.get("partner") or {})
        lines = [
            (
                0,
                0,
                {
                    "account_id": accounts[line["account_code"]],
                    "name": line.get("name") or proposal["ref"],
                    "debit": line.get("debit", 0.0),
                    "credit": line.get("credit", 0.0),
                    "partner_id": partner_id,
                },
            )
            for line in proposal["lines"]
        ]
        created = self._call(
            "account.move",
            "create",
            vals_list=[
                {
                    "move_type": "entry",
                    "company_id": company["id"],
                    "journal_id": journal_id,
                    "date": proposal["date"],
                    "ref": proposal["ref"],
                    "partner_id": partner_id,
                    "narration": f"{KEY_MARK} {idempotency_key}",
                    "line_ids": lines,
                }
            ],
            context=context,
        )
        return str(created[0])

    def delete_proposal(self, dossier_code, proposal, idempotency_key):
        company = self._company(dossier_code)
        moves = self._moves_with_key(company, proposal["post_key"])
        if not moves:
            return ""
        booked = [move for move in moves if move["state"] != "draft"]
        if booked:
            raise OfficeError(
                "already_booked",
                _lt(
                    "%(ref)s was already booked in the accounting package "
                    "(%(name)s); it cannot be deleted there any more.",
                    ref=proposal["ref"],
                    name=booked[0]["name"],
                ),
                details={"ref": proposal["ref"]},
            )
        self._call(
            "account.move",
            "unlink",
            ids=[move["id"] for move in moves],
            context=self._company_context(company),
        )
        return ",".join(str(move["id"]) for move in moves)

    # --------------------------------------------------------------- helpers
    @staticmethod
    def _company_context(company):
        return {"allowed_company_ids": [company["id"]]}

    def _company(self, dossier_code):
        found = self._call(
            "res.company",
            "search_read",
            domain=[("company_registry", "=", dossier_code)],
            fields=["name", "fiscalyear_lock_date", "hard_lock_date"],
        )
        if not found:
            raise OfficeError(
                "unknown_dossier",
                _lt(
                    "The accounting package has no dossier (company registry) "
                    "%(code)s.",
                    code=dossier_code,
                ),
                details={"code": dossier_code},
            )
        return found[0]

    def _moves_with_key(self, company, key):
        return self._call(
            "account.move",
            "search_read",
            domain=[
                ("company_id", "=", company["id"]),
                ("narration", "ilike", f"{KEY_MARK} {key}"),
            ],
            fields=["name", "state"],
            context=self._company_context(company),
        )

    @staticmethod
    def _check_period(company, date):
        locks = [
            datetime.date.fromisoformat(company[field])
            for field in ("fiscalyear_lock_date", "hard_lock_date")
            if company.get(field)
        ]
        date = datetime.date.fromisoformat(date)
        if locks and date <= max(locks):
            raise OfficeError(
                "wrong_period",
                _lt(
                    "The period of %(date)s is closed in the accounting package "
                    "(locked until %(lock_date)s).",
                    date=date,
                    lock_date=max(locks),
                ),
                details={"date": date, "lock_date": max(locks)},
            )

    def _journal(self, company, code):
        key = ("account.journal", company["id"], code)
        if key in self._found_ids:
            return self._found_ids[key]
        found = self._call(
            "account.journal",
            "search_read",
            domain=[("company_id", "=", company["id"]), ("code", "=", code)],
            fields=["code"],
            context=self._company_context(company),
        )
        if not found:
            raise OfficeError(
                "unknown_journal",
                _lt("The accounting package has no journal %(journal)s.", journal=code),
                details={"journal": code},
            )
        self._found_ids[key] = found[0]["id"]
        return found[0]["id"]

    def _accounts(self, company, lines):
        codes = sorted({line["account_code"] for line in lines})
        known = self._found_ids
        by_code = {
            code: known[("account.account", company["id"], code)]
            for code in codes
            if ("account.account", company["id"], code) in known
        }
        if len(by_code) < len(codes):
            found = self._call(
                "account.account",
                "search_read",
                domain=[("code", "in", [c for c in codes if c not in by_code])],
                fields=["code"],
                context=self._company_context(company),
            )
            for account in found:
                known[("account.account", company["id"], account["code"])] = account[
                    "id"
                ]
                by_code[account["code"]] = account["id"]
        missing = [code for code in codes if code not in by_code]
        if missing:
            raise OfficeError(
                "unknown_account",
                _lt(
                    "The accounting package has no account %(account)s.",
                    account=", ".join(missing),
                ),
                details={"account": ", ".join(missing)},
            )
        return by_code

    def _check_taxes(self, company, lines):
        names = sorted({name for line in lines for name in line.get("tax_names", [])})
        if not names:
            return
        found = self._call(
            "account.tax",
            "search_read",
            domain=[("company_id", "=", company["id"]), ("name", "in", names)],
            fields=["name"],
            context=self._company_context(company),
        )
        missing = sorted(set(names) - {tax["name"] for tax in found})
        if missing:
            raise OfficeError(
                "wrong_vat_code",
                _lt(
                    "The accounting package has no VAT code %(tax)s.",
                    tax=", ".join(missing),
                ),
                details={"tax": ", ".join(missing)},
            )

    def _partner(self, company, partner):
        domain = False
        if partner.get("vat"):
            domain = [("vat", "=", partner["vat"])]
        elif partner.get("name"):
            domain = [("name", "=", partner["name"])]
        if not domain:
            return False
        found = self._call(
            "res.partner",
            "search_read",
            domain=domain,
            fields=["name"],
            limit=1,
            context=self._company_context(company),
        )
        return found[0]["id"] if found else False
