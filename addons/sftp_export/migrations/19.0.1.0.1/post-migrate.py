"""The records of each history line moved from two many-to-many tables to the
line's record_ids column: copy them over, so "Exported on" and the "Not
exported" filters stay as they were, then drop the old tables."""

from odoo.tools import SQL

OLD_TABLES = (
    ("sftp_export_run_account_move_rel", "move_id"),
    ("sftp_export_run_hr_expense_rel", "expense_id"),
)


def migrate(cr, version):
    for table, column in OLD_TABLES:
        cr.execute(SQL("SELECT to_regclass(%s)", table))
        if not cr.fetchone()[0]:
            continue
        cr.execute(
            SQL(
                "UPDATE sftp_export_run AS run SET record_ids = links.ids "
                "FROM (SELECT run_id, jsonb_agg(%(record)s ORDER BY %(record)s) AS ids "
                "FROM %(table)s GROUP BY run_id) AS links "
                "WHERE links.run_id = run.id AND run.record_ids IS NULL",
                record=SQL.identifier(column),
                table=SQL.identifier(table),
            )
        )
        cr.execute(SQL("DROP TABLE %s", SQL.identifier(table)))
