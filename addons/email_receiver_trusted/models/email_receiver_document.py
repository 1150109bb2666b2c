import hashlib
import logging

from psycopg2 import errors as pgerrors

from odoo import api, fields, models
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

# Extensions of the documents a supplier sends; used to tell an invoice
# attachment from a logo in the signature when looking for duplicates.
DOCUMENT_EXTENSIONS = (".pdf", ".xml")


class EmailReceiverDocument(models.Model):
    """One row per document (sha1) a company's receivers turned into a bill.

    The duplicate check reads the bills' attachments. Two mails carrying the
    same document at the same moment (two mail servers, two workers) would
    both find nothing and both make a bill; each mail that is about to make a
    bill therefore first writes this row. PostgreSQL lets only one of them
    write it: the other waits until the first commits and then gets a
    serialization failure. Odoo's gateway retries that mail in a new
    transaction, which sees the first bill and logs a duplicate. That
    failure is the expected way a concurrent duplicate ends, so it is
    logged as information, not as a bad query."""

    _name = "email.receiver.document"
    _description = "Document received by mail"
    _log_access = False

    company_id = fields.Many2one(
        "res.company", required=True, ondelete="cascade", readonly=True
    )
    checksum = fields.Char(required=True, readonly=True)
    claimed_date = fields.Datetime(readonly=True)

    _company_checksum_unique = models.UniqueIndex("(company_id, checksum)")

    @api.model
    def _checksums(self, message_dict):
        """sha1 of the attached documents, as ir.attachment stores them."""
        attachments = message_dict.get("attachments") or []
        documents = [
            a
            for a in attachments
            if (a.fname or "").lower().endswith(DOCUMENT_EXTENSIONS)
        ] or attachments
        checksums = set()
        for attachment in documents:
            content = attachment.content
            if isinstance(content, str):
                content = content.encode()
            checksums.add(hashlib.sha1(content or b"").hexdigest())
        return checksums

    @api.model
    def _find_bill(self, company, checksums):
        """The bill of ``company`` that already holds every document of
        ``checksums``, if any: one query on the indexed checksum."""
        if not checksums:
            return self.env["account.move"]
        # Attachments take the company of the gateway's user; the bill's
        # company is the one that counts.
        company_bills = (
            self.env["account.move"].sudo()._search([("company_id", "=", company.id)])
        )
        found = (
            self.env["ir.attachment"]
            .sudo()
            .search_fetch(
                [
                    ("checksum", "in", list(checksums)),
                    ("res_model", "=", "account.move"),
                    ("res_id", "in", company_bills),
                ],
                ["checksum", "res_id"],
            )
        )
        if set(found.mapped("checksum")) != checksums:
            return self.env["account.move"]
        return self.env["account.move"].sudo().browse(found[0].res_id)

    @api.model
    def _claim(self, company, checksums):
        """Write the rows of ``checksums`` before a bill is made of them.

        Runs in the gateway's REPEATABLE READ transaction: a row written by a
        transaction that is still running makes this one wait for it; a row
        written by one that committed after this transaction started raises a
        serialization failure (retried by the gateway). Sorted, so that two
        mails with the same documents take the rows in the same order."""
        for checksum in sorted(checksums):
            try:
                # No "bad query" ERROR for the serialization failure: it is
                # how the second of two concurrent mails learns of the first.
                self.env.cr.execute(
                    SQL(
                        "INSERT INTO %s (company_id, checksum, claimed_date) "
                        "VALUES (%s, %s, now() AT TIME ZONE 'UTC') "
                        "ON CONFLICT (company_id, checksum) "
                        "DO UPDATE SET claimed_date = EXCLUDED.claimed_date",
                        SQL.identifier(self._table),
                        company.id,
                        checksum,
                    ),
                    log_exceptions=False,
                )
            except pgerrors.SerializationFailure:
                _logger.info(
                    "Document %s of company %s was just turned into a bill by a "
                    "concurrent mail; this mail is retried and logged as a "
                    "duplicate.",
                    checksum,
                    company.id,
                )
                raise
            except pgerrors.Error as error:
                _logger.error("Could not claim document %s: %s", checksum, error)
                raise
