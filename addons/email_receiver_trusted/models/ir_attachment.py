from odoo import fields, models


class IrAttachment(models.Model):
    _inherit = "ir.attachment"

    # Receivers look up every incoming document by its hash to refuse a second
    # bill for the same file; without an index that is a scan of all bills'
    # attachments per mail.
    checksum = fields.Char(index="btree_not_null")
