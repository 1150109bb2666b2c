import logging
from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models

_logger = logging.getLogger(__name__)

# a reminder lists a dossier's instructions once its oldest one is this old
REMINDER_AFTER_DAYS = 5


class AccountingInstruction(models.Model):
    """What the office (orange) or support (red) must do to unblock a dossier."""

    _name = "accounting.instruction"
    _description = "Accountant instruction"
    _check_company_auto = True
    _order = "date desc, id desc"
    _rec_name = "message"

    task_id = fields.Many2one(
        "accounting.task", index=True, ondelete="cascade", check_company=True
    )
    dossier_id = fields.Many2one(
        "accounting.dossier",
        required=True,
        index=True,
        ondelete="cascade",
        check_company=True,
    )
    company_id = fields.Many2one(
        related="dossier_id.company_id", store=True, index=True, precompute=True
    )
    severity = fields.Selection(
        [("orange", "Orange: office can fix"), ("red", "Red: support must act")],
        required=True,
    )
    state = fields.Selection(
        [("open", "Open"), ("done", "Done")],
        string="Status",
        default="open",
        required=True,
        index=True,
    )
    message = fields.Text(string="What went wrong", required=True)
    action_required = fields.Text(string="Action to take")
    date = fields.Datetime(default=fields.Datetime.now, required=True, readonly=True)
    done_date = fields.Datetime(readonly=True)

    def action_restart_task(self):
        """Restart the failed task of this instruction (after the fix)."""
        self.ensure_one()
        return self.task_id.action_restart()

    def action_open_dossier(self):
        """The dossier, to correct its dossier code."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "accounting.dossier",
            "res_id": self.dossier_id.id,
            "views": [(False, "form")],
        }

    def _close(self):
        self.write({"state": "done", "done_date": fields.Datetime.now()})

    @api.model
    def _action_for(self, code, details, task):
        """The action the accountant (or support) must take for an error code."""

        value = next(iter(details.values()), "") if details else ""
        actions = {
            "unknown_dossier": self.env._(
                "Enter the right dossier code on dossier %s, then restart the task "
                "with the arrows.",
                task.dossier_id.display_name,
            ),
            "wrong_period": self.env._(
                "Open the period in the accounting package or correct the date of "
                "%s, then restart the task.",
                task.record_name or "",
            ),
            "unknown_journal": self.env._(
                "Create journal %s in the accounting package, then restart the task.",
                value,
            ),
            "unknown_account": self.env._(
                "Create account %s in the accounting package, then restart the task.",
                value,
            ),
            "wrong_vat_code": self.env._(
                "Create or correct VAT code %s in the accounting package, then "
                "restart the task.",
                value,
            ),
            "duplicate_booking": self.env._(
                "%s is already booked in the accounting package: remove the double "
                "booking there, then restart the task.",
                value,
            ),
            "already_booked": self.env._(
                "%s was already booked in the accounting package: reverse it there, "
                "then restart the task.",
                value,
            ),
            "authentication": self.env._(
                "Ask your administrator to renew the connector's API key, then "
                "restart the task."
            ),
            "wrong_url": self.env._(
                "Ask your administrator to correct the URL of connector %s (the "
                "address of the accounting package), then restart the task.",
                task.dossier_id.backend_id.display_name,
            ),
            "incomplete_configuration": self.env._(
                "Ask your administrator to complete the connector's settings, then "
                "restart the task."
            ),
            "refused": self.env._(
                "Correct what the accounting package reports, then restart the task."
            ),
        }
        if code in actions:
            return actions[code]
        backend = task.dossier_id.backend_id
        if not backend._support_partners():
            return self.env._(
                "The office cannot solve this problem and no support team is set "
                "for connector %s: ask your administrator to set one (or to look "
                "into it), then restart the task.",
                backend.display_name,
            )
        if code == "unreachable":
            return self.env._(
                "Our support team has been informed and checks the connection to "
                "the accounting package. Restart the task once it can be reached "
                "again."
            )
        return self.env._(
            "The office cannot solve this problem: our support team has been "
            "informed and steps in. Do not restart the task before support asks "
            "you to."
        )

    def _send_new_instruction_mail(self):
        """One e-mail per manager of the dossier, for each new instruction."""
        for instruction in self:
            dossier = instruction.dossier_id
            for manager in dossier.manager_ids:
                lang_self = instruction.with_context(lang=manager.lang)
                subject = lang_self.env._(
                    "Accountant instruction for dossier %s", dossier.display_name
                )
                body = lang_self.env["ir.qweb"]._render(
                    "accounting_connector.mail_instruction_new",
                    {"instruction": lang_self, "manager": manager},
                )
                self._queue_mail(manager, subject, body, dossier)

    def _send_support_mail(self):
        """Red instructions: the connector's support team is told at once."""
        for instruction in self.filtered(lambda i: i.severity == "red"):
            dossier = instruction.dossier_id
            for partner in dossier.backend_id._support_partners():
                lang_self = instruction.with_context(lang=partner.lang)
                subject = lang_self.env._(
                    "Support needed: dossier %s is blocked", dossier.display_name
                )
                body = lang_self.env["ir.qweb"]._render(
                    "accounting_connector.mail_instruction_support",
                    {"instruction": lang_self, "partner": partner},
                )
                self._queue_mail(partner, subject, body, dossier)

    def _queue_mail(self, recipient, subject, body, record):
        """Queue one mail to a user or a partner."""
        partner = recipient.partner_id if recipient._name == "res.users" else recipient
        # sudo: the worker queues mail for the managers, whoever runs it
        self.env["mail.mail"].sudo().create(
            {
                "subject": subject,
                "body_html": body,
                "recipient_ids": [fields.Command.link(partner.id)],
                "email_from": record.company_id.email_formatted
                or self.env.user.email_formatted,
                "model": record._name,
                "res_id": record.id,
                "auto_delete": False,
            }
        )

    @api.model
    def _cron_send_reminders(self, today=None):
        """Every other Monday: one mail per manager with all open instructions.

        Only dossiers whose oldest open instruction is at least
        ``REMINDER_AFTER_DAYS`` days old are listed; the others get more time.
        """
        today = today or fields.Date.context_today(self)
        limit_date = today - timedelta(days=REMINDER_AFTER_DAYS)
        instructions = self.search(
            [("state", "=", "open")], order="date, id", limit=5000
        )
        by_dossier = defaultdict(lambda: self.browse())
        for instruction in instructions:
            by_dossier[instruction.dossier_id] |= instruction
        by_manager = defaultdict(lambda: self.browse())
        for dossier, dossier_instructions in by_dossier.items():
            oldest = fields.Date.context_today(self, dossier_instructions[0].date)
            if oldest > limit_date:
                continue
            for manager in dossier.manager_ids:
                by_manager[manager] |= dossier_instructions
        for manager, manager_instructions in by_manager.items():
            lang_self = manager_instructions.with_context(lang=manager.lang)
            subject = lang_self.env._(
                "Reminder: %s accountant instruction(s) to carry out",
                len(manager_instructions),
            )
            body = lang_self.env["ir.qweb"]._render(
                "accounting_connector.mail_instruction_reminder",
                {"instructions": lang_self, "manager": manager},
            )
            self._queue_mail(manager, subject, body, manager)
        _logger.info(
            "Accountant instruction reminders sent to %s managers", len(by_manager)
        )
        return len(by_manager)
