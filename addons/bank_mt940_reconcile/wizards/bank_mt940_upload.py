from odoo import fields, models


class BankMt940Upload(models.TransientModel):
    _name = "bank.mt940.upload"
    _description = "Upload MT940 files"

    attachment_ids = fields.Many2many("ir.attachment", string="Files", required=True)

    def action_upload(self):
        """One MT940 file record per uploaded file, waiting to be processed;
        a success message, then the uploaded file(s)."""
        self.ensure_one()
        files = self.env["bank.mt940.file"].create(
            [
                {"file_name": attachment.name, "file_data": attachment.datas}
                for attachment in self.attachment_ids
            ]
        )
        # The uploaded copies now live on the file records.
        self.attachment_ids.unlink()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "bank_mt940_reconcile.bank_mt940_file_action"
        )
        if len(files) == 1:
            action.update(res_id=files.id, view_mode="form", views=[(False, "form")])
        else:
            action["domain"] = [("id", "in", files.ids)]
        waiting = files.filtered(lambda f: f.state == "waiting")
        if waiting:
            message = self.env._(
                "%(count)s MT940 file(s) uploaded: %(names)s. They are processed "
                "at the next run, or at once with Process now.",
                count=len(waiting),
                names=", ".join(waiting.mapped("name")),
            )
        else:
            message = self.env._(
                "Uploaded, but no bank journal has the account of the file: see "
                "the message on the file."
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success" if waiting == files else "warning",
                "message": message,
                "next": action,
            },
        }
