"""19.0.1.1.0: the CCV payment method is free text (any method CCV reports), no longer a
fixed selection. Odoo would delete the old selection values one by one after the upgrade
and fail on them (a text field has no "ondelete" rule for selection values): forget them
first, with their external ids."""


def migrate(cr, version):
    cr.execute(
        """
        DELETE FROM ir_model_fields_selection selection
              USING ir_model_fields field
              WHERE selection.field_id = field.id
                AND field.name = 'method'
                AND field.model IN ('ccv.payment', 'ccv.moneybird.method.map')
        """
    )
    cr.execute(
        """
        DELETE FROM ir_model_data
              WHERE module = 'ccv_moneybird_sync'
                AND model = 'ir.model.fields.selection'
                AND (starts_with(name, %s) OR starts_with(name, %s))
        """,
        [
            "selection__ccv_payment__method__",
            "selection__ccv_moneybird_method_map__method__",
        ],
    )
