from odoo import api, fields, models
from odoo.exceptions import ValidationError

CRON_XMLID = "bank_mt940_reconcile.ir_cron_process_mt940_files"


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    mt940_import_debits = fields.Boolean(
        related="company_id.mt940_import_debits", readonly=False
    )
    mt940_cron_interval = fields.Integer(
        string="Process MT940 files every (minutes)",
        compute="_compute_mt940_cron_interval",
        inverse="_inverse_mt940_cron_interval",
    )

    @api.depends("company_id")
    def _compute_mt940_cron_interval(self):
        cron = self.env.ref(CRON_XMLID, raise_if_not_found=False)
        minutes = 15
        if cron:
            factor = {"minutes": 1, "hours": 60, "days": 1440, "weeks": 10080}
            minutes = cron.sudo().interval_number * factor.get(
                cron.sudo().interval_type, 1
            )
        for settings in self:
            settings.mt940_cron_interval = minutes

    def _inverse_mt940_cron_interval(self):
        cron = self.env.ref(CRON_XMLID, raise_if_not_found=False)
        for settings in self:
            if settings.mt940_cron_interval < 1:
                raise ValidationError(
                    self.env._("MT940 files must be processed at least every minute.")
                )
            if cron:
                # Only settings managers get here; the cron itself is technical.
                cron.sudo().write(
                    {
                        "interval_number": settings.mt940_cron_interval,
                        "interval_type": "minutes",
                    }
                )
