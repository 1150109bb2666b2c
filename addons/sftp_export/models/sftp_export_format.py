import datetime

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..services.csv_writer import ColumnSpec, CsvOptions
from ..services.paths import safe_name_part

DATASETS = [
    ("card_transactions", "Card transactions"),
    ("vendor_bills", "Vendor bills"),
    ("expense_claims", "Expense claims"),
]
DATASET_MODELS = {
    "card_transactions": "hr.expense",
    "vendor_bills": "account.move",
    "expense_claims": "hr.expense",
}
DELIMITERS = [
    (";", "Semicolon (;)"),
    (",", "Comma (,)"),
    ("\t", "Tab"),
    ("|", "Pipe (|)"),
]
QUOTECHARS = [('"', 'Double quote (")'), ("'", "Single quote (')")]
QUOTINGS = [("minimal", "Only when needed"), ("all", "Every value")]
DECIMAL_SEPARATORS = [(",", "Comma (1234,56)"), (".", "Point (1234.56)")]
ENCODINGS = [
    ("utf-8", "UTF-8"),
    ("utf-8-sig", "UTF-8 with BOM"),
    ("cp1252", "Windows-1252"),
]


class SftpExportFormat(models.Model):
    _name = "sftp.export.format"
    _description = "Export format"
    _order = "dataset, sequence, name, id"

    sequence = fields.Integer(default=10)
    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", help="Empty: the format can be used by every company."
    )
    dataset = fields.Selection(DATASETS, required=True)
    column_ids = fields.One2many(
        "sftp.export.format.column", "format_id", string="Columns", copy=True
    )
    delimiter = fields.Selection(DELIMITERS, required=True, default=";")
    quotechar = fields.Selection(QUOTECHARS, string="Quote", required=True, default='"')
    quoting = fields.Selection(
        QUOTINGS, string="Quote values", required=True, default="minimal"
    )
    decimal_separator = fields.Selection(DECIMAL_SEPARATORS, required=True, default=",")
    encoding = fields.Selection(ENCODINGS, required=True, default="utf-8")
    date_format = fields.Char(
        required=True,
        default="%d-%m-%Y",
        help="How dates are written, e.g. %d-%m-%Y for 31-12-2026.",
    )
    with_header = fields.Boolean(string="Header line", default=True)
    file_name_pattern = fields.Char(
        required=True,
        default="{dataset}_{date}_{time}.csv",
        help="Placeholders: {dataset}, {company}, {format}, {date} (20261231), "
        "{time} (235900). With originals attached the file becomes a .zip.",
    )

    @api.constrains("date_format", "file_name_pattern")
    def _check_patterns(self):
        for export_format in self:
            try:
                datetime.date(2026, 12, 31).strftime(export_format.date_format)
                export_format._file_name(datetime.datetime(2026, 12, 31))
            except (ValueError, KeyError, IndexError) as error:
                raise ValidationError(
                    self.env._(
                        "The date format or the file name pattern of %(format)s "
                        "is not valid: %(error)s",
                        format=export_format.name,
                        error=error,
                    )
                ) from error

    def _model_name(self):
        self.ensure_one()
        return DATASET_MODELS[self.dataset]

    def _csv_options(self):
        self.ensure_one()
        return CsvOptions(
            delimiter=self.delimiter,
            quotechar=self.quotechar,
            quoting=self.quoting,
            decimal_separator=self.decimal_separator,
            encoding=self.encoding,
            date_format=self.date_format,
            with_header=self.with_header,
            columns=[
                ColumnSpec(
                    header=column.header,
                    date_format=column.date_format or "",
                    digits=column.digits,
                )
                for column in self.column_ids
            ],
        )

    def _file_name(self, moment, zipped=False):
        """The file name for an export at moment (local time of the schedule)."""
        self.ensure_one()
        name = self.file_name_pattern.format(
            dataset=self.dataset,
            company=safe_name_part(self.company_id.name or self.env.company.name),
            format=safe_name_part(self.name),
            date=moment.strftime("%Y%m%d"),
            time=moment.strftime("%H%M%S"),
        )
        name = safe_name_part(name)
        if zipped:
            name = name.rsplit(".", 1)[0] + ".zip"
        return name

    def _rows(self, records):
        """Yield one row of plain values per record, in column order."""
        getters = [column._getter() for column in self.column_ids]
        for record in records:
            yield [getter(record) for getter in getters]

    def _missing_required_checker(self):
        """A function giving the headers of the required columns empty for a record."""
        required = [
            (column.header, column._getter())
            for column in self.column_ids
            if column.required
        ]

        def missing(record):
            return [
                header
                for header, getter in required
                if getter(record) in (None, False, "")
            ]

        return missing


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

    def _value(self, record):
        """The plain value of the column for one record."""
        return self._getter()(record)
