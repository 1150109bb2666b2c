from odoo import api, fields, models
from odoo.exceptions import ValidationError

# Columns read straight from the database (other types go through the ORM).
SQL_TYPES = {
    "boolean",
    "char",
    "date",
    "datetime",
    "float",
    "integer",
    "many2one",
    "monetary",
    "selection",
    "text",
}


class SftpExportFormatColumn(models.Model):
    _name = "sftp.export.format.column"
    _description = "Export format column"
    _order = "format_id, sequence, id"

    format_id = fields.Many2one(
        "sftp.export.format", required=True, ondelete="cascade", index=True
    )
    sequence = fields.Integer(default=10)
    header = fields.Char(required=True)
    field_path = fields.Char(
        string="Field",
        required=True,
        help="Field of the record, through relations with dots, e.g. partner_id.vat.",
    )
    required = fields.Boolean(
        help="A record where this value is empty misses required information."
    )
    date_format = fields.Char(help="Overrides the format's date format.")
    digits = fields.Integer(
        string="Decimals",
        default=-1,
        help="Decimals for numbers; -1 keeps them as stored.",
    )

    @api.constrains("field_path", "format_id")
    def _check_field_path(self):
        for column in self:
            model = self.env[column.format_id._model_name()]
            for part in column.field_path.split("."):
                field = model._fields.get(part)
                if field is None:
                    raise ValidationError(
                        self.env._(
                            "The column %(header)s refers to %(path)s, but %(part)s "
                            "is not a field of %(model)s.",
                            header=column.header,
                            path=column.field_path,
                            part=part,
                            model=model._description,
                        )
                    )
                if field.relational:
                    model = self.env[field.comodel_name]

    def _getter(self):
        """A function record -> the column's plain value (relations by name).

        The fields of the path are looked up once, not for every record: exports
        read tens of thousands of values.
        """
        self.ensure_one()
        model = self.env[self.format_id._model_name()]
        chain = []
        for part in self.field_path.split("."):
            field = model._fields[part]
            chain.append(field)
            if field.relational:
                model = self.env[field.comodel_name]
        *hops, last = chain

        def get(record):
            value = record
            for field in hops:
                value = field.__get__(value)
                if not value:
                    return None
                if len(value) > 1:  # a to-many hop: its first record
                    value = value[:1]
            value = last.__get__(value)
            if last.relational:
                if not value:
                    return None
                if len(value) == 1:
                    return value.display_name
                return ", ".join(value.mapped("display_name"))
            return value

        return get

    def _sql_plan(self):
        """(many-to-one steps, last field) when the path can be read with SQL
        joins, else None."""
        self.ensure_one()
        model = self.env[self.format_id._model_name()]
        hops = []
        *steps, last_name = self.field_path.split(".")
        for part in steps:
            field = model._fields[part]
            if not plain_column(field) or field.type != "many2one":
                return None
            hops.append(field)
            model = self.env[field.comodel_name]
        last = model._fields[last_name]
        if not sql_readable(last):
            return None
        return hops, last

    def _value(self, record):
        """The plain value of the column for one record."""
        return self._getter()(record)


def plain_column(field):
    """A field stored in a column of its own table, the same for every company."""
    return (
        field.store
        and field.column_type
        and not field.company_dependent
        and not field.inherited
    )


def sql_readable(field):
    return plain_column(field) and field.type in SQL_TYPES
