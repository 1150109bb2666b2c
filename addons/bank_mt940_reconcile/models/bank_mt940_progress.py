from odoo import fields, models
from odoo.tools import SQL


class BankMt940Progress(models.Model):
    """How far the processing of a large file is, seen from other sessions.

    Written through a separate cursor while the file's own transaction runs, so
    it has no foreign key to the file (the file's row is locked by then).
    """

    _name = "bank.mt940.progress"
    _description = "MT940 file processing progress"

    file_id = fields.Integer(required=True, index=True)
    company_id = fields.Many2one("res.company", required=True)
    done = fields.Integer()
    total = fields.Integer()
    reported_at = fields.Datetime()

    _file_unique = models.UniqueIndex("(file_id)")

    def _report(self, file, done, total):
        with self.env.registry.cursor() as cr:
            cr.execute(
                SQL(
                    """
                    INSERT INTO bank_mt940_progress
                        (file_id, company_id, done, total, reported_at)
                    VALUES (%s, %s, %s, %s, now() AT TIME ZONE 'UTC')
                    ON CONFLICT (file_id) DO UPDATE
                    SET done = EXCLUDED.done, total = EXCLUDED.total,
                        reported_at = EXCLUDED.reported_at
                    """,
                    file.id,
                    file.company_id.id,
                    done,
                    total,
                )
            )

    def _clear(self, file):
        """The file's processing ended (processed, error or retried)."""
        with self.env.registry.cursor() as cr:
            cr.execute(
                SQL("DELETE FROM bank_mt940_progress WHERE file_id = %s", file.id)
            )
