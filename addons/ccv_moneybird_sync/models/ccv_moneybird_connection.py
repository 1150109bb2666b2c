"""The connection: one CCV webshop account linked to one Moneybird administration.

Split by job: this file holds what is shared (company, dashboard counts, tabs),
``connection_ccv.py`` the CCV side, ``connection_moneybird.py`` Moneybird and OAuth,
``connection_sync.py`` the sending of payments and the crons.
"""

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools.translate import LazyGettext


def error_text(env, exc):
    """What the user reads of an error of the clients or of Odoo, in their language."""
    if isinstance(exc, UserError):
        return exc.args[0]
    message = getattr(exc, "message", None)
    if isinstance(message, LazyGettext):
        return env._(message)
    return str(message or exc)


def notify(title, message, kind="success"):
    return {
        "type": "ir.actions.client",
        "tag": "display_notification",
        "params": {"title": title, "message": message, "type": kind, "sticky": False},
    }


class CcvMoneybirdConnection(models.Model):
    _name = "ccv.moneybird.connection"
    _description = "CCV – Moneybird connection"
    _inherit = ["mail.thread", "mail.activity.mixin"]  # noqa: RUF012
    _check_company_auto = True

    name = fields.Char(required=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        default=lambda self: self.env.user,
        help="Gets an activity when the Moneybird authorization expires or is revoked.",
    )
    # Dashboard
    payment_ids = fields.One2many("ccv.payment", "connection_id")
    unmapped_methods = fields.Char(
        string="Payment methods without a clearing account",
        compute="_compute_unmapped_methods",
    )
    open_count = fields.Integer(string="Open", compute="_compute_counts")
    done_count = fields.Integer(string="Report", compute="_compute_counts")
    error_count = fields.Integer(string="Errors", compute="_compute_counts")

    @api.depends(
        "method_map_ids.financial_account_id", "method_map_ids.method", "payment_ids"
    )
    def _compute_unmapped_methods(self):
        """Methods CCV reports or used that cannot be booked: the form warns."""
        for connection in self:
            mapped = {
                line.method: line.financial_account_id
                for line in connection.method_map_ids
            }
            used = set(filter(None, connection.payment_ids.mapped("method")))
            missing = sorted(
                {m for m, account in mapped.items() if not account}
                | (used - set(mapped))
            )
            connection.unmapped_methods = (
                self.env._(
                    "No clearing account for: %s. Payments made with these methods "
                    "cannot be booked; choose one under Payment methods.",
                    ", ".join(missing),
                )
                if missing
                else False
            )

    @api.depends("payment_ids.state")
    def _compute_counts(self):
        groups = self.env["ccv.payment"]._read_group(
            [("connection_id", "in", self.ids)], ["connection_id", "state"], ["__count"]
        )
        counts = {(conn.id, state): count for conn, state, count in groups}
        for connection in self:
            connection.open_count = counts.get((connection.id, "open"), 0)
            connection.done_count = counts.get((connection.id, "done"), 0)
            connection.error_count = counts.get((connection.id, "error"), 0)

    def _check_group(self, group):
        """A refusal in one plain sentence that says who can do it."""
        if self.env.su or self.env.user.has_group(group):
            return
        who = {
            "base.group_system": self.env._(
                "Only a system administrator can connect CCV or Moneybird."
            ),
            "account.group_account_manager": self.env._(
                "Only an accounting manager can do this; ask them to fetch the "
                "payments or change the connection."
            ),
        }
        raise AccessError(who[group])

    def _action_payments(self, state, name):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": "ccv.payment",
            "view_mode": "list,form",
            "domain": [("connection_id", "=", self.id), ("state", "=", state)],
            "context": {"default_connection_id": self.id},
        }

    def action_open_payments(self):
        return self._action_payments("open", self.env._("Open"))

    def action_report_payments(self):
        return self._action_payments("done", self.env._("Report"))

    def action_error_payments(self):
        return self._action_payments("error", self.env._("Errors"))
