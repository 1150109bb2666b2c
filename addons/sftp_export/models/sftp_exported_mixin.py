from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import SQL

MIXIN = "sftp.exported.mixin"


def dataset_models(env):
    """{dataset key: model name} of every model exported with the mixin."""
    datasets = {}
    for name in sorted(env.registry.descendants([MIXIN], "_inherit")):
        if not env[name]._abstract:
            datasets.update(dict.fromkeys(env[name]._sftp_datasets(), name))
    return datasets


def dataset_selection(records):
    """The datasets as a selection, labelled in the user's language."""
    env = records.env
    return [
        (key, env._(label))
        for name in sorted(env.registry.descendants([MIXIN], "_inherit"))
        if not env[name]._abstract
        for key, label in env[name]._sftp_datasets().items()
    ]


class SftpExportedMixin(models.AbstractModel):
    """A model whose records the SFTP export delivers.

    'Exported on' is read from the export history (the last delivered file
    holding the record, sftp.export.run.record_ids), so a record counts as
    exported only when its file arrived, and marking thousands of records costs
    no update of the records. Models using it define the dataset hooks below: a
    new dataset is one model implementing them.
    """

    _name = "sftp.exported.mixin"
    _description = "Records delivered by the SFTP export"

    sftp_exported_on = fields.Datetime(
        string="Exported on",
        compute="_compute_sftp_exported_on",
        search="_search_sftp_exported_on",
        help="When the record was last delivered to the SFTP server.",
    )

    # The history invalidates this field when it changes (sftp.export.run).
    def _compute_sftp_exported_on(self):
        ids = [record_id for record_id in self._origin.ids if record_id]
        dates = {}
        if ids:
            # SQL: the history follows its own access rules; the date is shown
            # to whoever sees the record.
            dates = dict(
                self.env.execute_query(
                    SQL(
                        "SELECT exported.id, max(exported.date) FROM %s "
                        "WHERE exported.id = ANY(%s) GROUP BY exported.id",
                        self._sftp_exported(),
                        ids,
                    )
                )
            )
        for record in self:
            record.sftp_exported_on = dates.get(record._origin.id, False)

    def _search_sftp_exported_on(self, operator, value):
        if operator in ("in", "not in") and set(value) == {False}:
            exported, moment = operator == "not in", None
        elif operator in ("<", "<=", ">", ">=") and value:
            exported, moment = True, (operator, value)
        else:
            return NotImplemented

        def to_sql(model, alias, query):
            condition = SQL("exported.id = %s", SQL.identifier(alias, "id"))
            if moment:
                condition = SQL(
                    "%s AND exported.date %s %s", condition, SQL(moment[0]), moment[1]
                )
            return SQL(
                "%s EXISTS (SELECT FROM %s WHERE %s)",
                SQL() if exported else SQL("NOT"),
                model._sftp_exported(),
                condition,
            )

        return Domain.custom(to_sql=to_sql)

    @api.model
    def _sftp_exported(self):
        """FROM item "exported": (id, date) of every record of this model in
        a delivered file, with the file's date."""
        self.env["sftp.export.run"].flush_model(
            ["state", "date", "dataset", "record_ids"]
        )
        return SQL(
            "(SELECT item::int AS id, run.date FROM sftp_export_run AS run, "
            "jsonb_array_elements_text(run.record_ids) AS item "
            "WHERE run.state = 'delivered' AND run.dataset IN %s) AS exported",
            tuple(self._sftp_datasets()),
        )

    # -- dataset hooks ------------------------------------------------------------
    @api.model
    def _sftp_datasets(self):
        """{dataset key: label (a lazy translation)} this model exports."""
        return {}

    @api.model
    def _sftp_dataset_domain(self, dataset, company):
        """The records of the dataset in the company, whatever their status."""
        raise NotImplementedError

    @api.model
    def _sftp_paid_domain(self, dataset):
        """The paid records of the dataset."""
        raise NotImplementedError

    @api.model
    def _sftp_status_domains(self, dataset):
        """{"ready", "approval", "verification"}: the records ready for export,
        those waiting for approval and those waiting for verification."""
        raise NotImplementedError

    @api.model
    def _sftp_status_fields(self, dataset):
        """Fields read with the required columns to decide readiness."""
        raise NotImplementedError

    @api.model
    def _sftp_is_ready(self, dataset, values):
        """Is a record with these values (of _sftp_status_fields) ready?"""
        raise NotImplementedError
