import datetime

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from ..services.csv_writer import ColumnSpec, CsvOptions
from ..services.paths import fitting_name, safe_name_part
from .sftp_export_format_column import sql_readable
from .sftp_exported_mixin import dataset_models, dataset_selection

DELIMITERS = [
    (";", "Semicolon (;)"),
    (",", "Comma (,)"),
    ("\t", "Tab"),
    ("|", "Pipe (|)"),
]
QUOTECHARS = [('"', 'Double quote (")'), ("'", "Single quote (')")]
QUOTINGS = [("minimal", "Only when needed"), ("all", "Every value")]
DECIMAL_SEPARATORS = [(",", "Comma (1234,56)"), (".", "Point (1234.56)")]
ROWS_BATCH = 10000  # records per query: bounds the memory of large exports
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
    dataset = fields.Selection(dataset_selection, required=True)
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
        return dataset_models(self.env)[self.dataset]

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
        # A long company or format name must not make the file unsendable.
        return fitting_name(name)

    def _rows(self, records, columns=None, extra_fields=()):
        """Yield one row of plain values per record (in the records' order), one
        value per column (all the format's columns by default), followed by the
        values of extra_fields (field names of the records' model).

        Stored values are read with one SQL query per batch, joining the
        many-to-one steps of the paths; relations are shown by name, computed
        once per distinct record. Other paths (computed fields, to-many steps)
        go through the ORM. Exports read tens of thousands of records: this
        avoids a Python round through the ORM cache for every value.
        """
        columns = self.column_ids if columns is None else columns
        plans = [column._sql_plan() for column in columns]
        getters = [
            None if plan else column._getter()
            for column, plan in zip(columns, plans, strict=True)
        ]
        for name in extra_fields:
            field = records._fields[name]
            plan = ((), field) if sql_readable(field) else None
            plans.append(plan)
            getters.append(None if plan else field.__get__)
        by_sql_only = not any(getters)
        for start in range(0, len(records), ROWS_BATCH):
            batch = records[start : start + ROWS_BATCH]
            sql_values = _sql_values(batch, plans)
            if by_sql_only:  # the usual format: every value came from SQL
                yield from sql_values
                continue
            for record, stored in zip(batch, sql_values, strict=True):
                yield [
                    getter(record) if getter else value
                    for getter, value in zip(getters, stored, strict=True)
                ]


def _sql_values(records, plans):
    """For each record, the values of the columns that have an SQL plan (None for
    the others), read in one query: one tuple per record, in the records' order.

    The query selects the values in the columns' order (NULL where a column has
    no plan), so a row is used as it comes; many-to-one ids are replaced by
    names column by column.
    """
    if not any(plans):
        return [(None,) * len(plans) for _record in records]
    model = records.browse()
    aliases = {(): "t"}
    joins = []
    selects = [SQL.identifier("t", "id")]
    relations = []  # (position in the SQL row, comodel)
    for plan in plans:
        if not plan:
            selects.append(SQL("NULL"))
            continue
        hops, last = plan
        path, current, alias = (), model, "t"
        for field in hops:
            path += (field.name,)
            if path not in aliases:
                aliases[path] = f"j{len(aliases)}"
                comodel = current.env[field.comodel_name]
                joins.append(
                    SQL(
                        "LEFT JOIN %s AS %s ON %s = %s",
                        SQL.identifier(comodel._table),
                        SQL.identifier(aliases[path]),
                        SQL.identifier(aliases[path], "id"),
                        field.to_sql(current, alias),
                    )
                )
            current, alias = current.env[field.comodel_name], aliases[path]
        value = _orm_like(last, last.to_sql(current, alias))
        if hops:  # an empty relation on the way gives no value at all
            value = SQL(
                "CASE WHEN %s IS NULL THEN NULL ELSE %s END",
                SQL.identifier(alias, "id"),
                value,
            )
        if last.type == "many2one":
            relations.append((len(selects), last.comodel_name))
        selects.append(value)
    rows = records.env.execute_query(
        SQL(
            "SELECT %s FROM %s AS t %s WHERE t.id = ANY(%s::int[])",
            SQL(", ").join(selects),
            SQL.identifier(model._table),
            SQL(" ").join(joins),
            # One text parameter: psycopg2 would quote ten thousand ints one by one.
            "{" + ",".join(map(str, records.ids)) + "}",
        )
    )
    by_id = {row[0]: row for row in rows}
    rows = [by_id[record_id] for record_id in records.ids]
    if not relations or not rows:
        return [row[1:] for row in rows]
    columns = list(zip(*rows, strict=True))
    for position, comodel in relations:
        names = _display_names(records.env[comodel], columns[position])
        columns[position] = [
            names[value] if value else None for value in columns[position]
        ]
    return list(zip(*columns[1:], strict=True))


def _orm_like(field, sql):
    """The column as the ORM reads it: numbers and booleans are never NULL, and
    floats are Python floats, not Decimals."""
    if field.type in ("float", "monetary"):
        return SQL("COALESCE(%s, 0)::float8", sql)
    if field.type == "integer":
        return SQL("COALESCE(%s, 0)", sql)
    if field.type == "boolean":
        return SQL("COALESCE(%s, FALSE)", sql)
    return sql


def _display_names(comodel, ids):
    """{id: display name} of the comodel's records with these ids (None and
    repeats allowed)."""
    ids = set(ids)
    ids.discard(None)
    return {related.id: related.display_name for related in comodel.browse(sorted(ids))}
