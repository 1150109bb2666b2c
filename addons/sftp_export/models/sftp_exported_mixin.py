from odoo import api, fields, models
from odoo.fields import Domain

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
    holding the record), so a record counts as exported only when its file
    arrived, and marking thousands of records costs no update of the records.
    Models using it define sftp_run_ids (the runs whose file holds the record)
    and the dataset hooks below: a new dataset is one model implementing them.
    """

    _name = "sftp.exported.mixin"
    _description = "Records delivered by the SFTP export"

    sftp_exported_on = fields.Datetime(
        string="Exported on",
        compute="_compute_sftp_exported_on",
        search="_search_sftp_exported_on",
        help="When the record was last delivered to the SFTP server.",
    )

    @api.depends("sftp_run_ids.state", "sftp_run_ids.date")
    def _compute_sftp_exported_on(self):
        # sudo: the date is shown to whoever sees the record; the history itself
        # follows its own access rules.
        for record in self:
            dates = (
                record.sudo()
                .sftp_run_ids.filtered(lambda run: run.state == "delivered")
                .mapped("date")
            )
            record.sftp_exported_on = max(dates) if dates else False

    def _search_sftp_exported_on(self, operator, value):
        delivered = Domain("state", "=", "delivered")
        if operator in ("in", "not in") and set(value) == {False}:
            exported = operator == "not in"
            return Domain("sftp_run_ids", "any" if exported else "not any", delivered)
        if operator in ("<", "<=", ">", ">=") and value:
            return Domain(
                "sftp_run_ids", "any", delivered & Domain("date", operator, value)
            )
        return NotImplemented

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
