from odoo import fields, models


class CcvMoneybirdToken(models.Model):
    """The Moneybird OAuth tokens of one connection, in a row of their own.

    A refresh commits the rotated tokens in its own transaction while a run is busy
    (connection_moneybird.py ``_refresh_tokens``). Were they on the connection's row,
    the run's own later write on that row (the fetch cursor, a state) would conflict
    with that commit under PostgreSQL's repeatable read; here nothing else writes.
    Only system administrators (and the code, with sudo) read them.
    """

    _name = "ccv.moneybird.token"
    _description = "Moneybird OAuth tokens"

    connection_id = fields.Many2one(
        "ccv.moneybird.connection", required=True, ondelete="cascade", index=True
    )
    access_token = fields.Char()
    refresh_token = fields.Char()
    expires_at = fields.Datetime()

    _connection_uniq = models.Constraint(
        "UNIQUE(connection_id)", "A connection has one set of Moneybird tokens."
    )
