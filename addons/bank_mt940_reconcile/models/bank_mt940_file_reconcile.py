"""What each transaction of an MT940 file becomes: a statement line, the
invoices it pays (one reconciliation for the whole chunk), and its log line."""

from odoo import models
from odoo.fields import Command
from odoo.tools import float_compare
from odoo.tools.misc import formatLang


class BankMt940File(models.Model):
    _inherit = "bank.mt940.file"

    def _log_vals(self, index, transaction, currency):
        return {
            "sequence": index,
            "date": transaction.date,
            "reference": transaction.bank_reference
            or transaction.end_to_end_reference
            or transaction.customer_reference,
            "currency_id": currency.id,
            "amount": float(transaction.amount),
            "counterparty": " ".join(
                x
                for x in (
                    transaction.counterparty_name,
                    transaction.counterparty_account,
                )
                if x
            ),
        }

    def _plan_transaction(self, item, log, existing, context):
        """Statement line values and reconciliation plan, or None when skipped."""
        transaction, journal, currency = item[:3]
        if transaction.import_id in existing:
            log.update(
                status="duplicate",
                message=self.env._("Not imported – payment already exists"),
            )
            return None
        existing.add(transaction.import_id)
        if not transaction.is_credit and not context["import_debits"]:
            log.update(
                status="debit_skipped",
                message=self.env._(
                    "Debit skipped: only received payments are imported."
                ),
            )
            return None
        vals = self._statement_line_vals(journal, transaction)
        plan = {"log": log, "invoices": self.env["account.move"]}
        if transaction.is_credit:
            match = context["matcher"].match(transaction, currency)
            plan.update(match)
            if match["invoices"]:
                vals["partner_id"] = match["partner"].id
                vals["counterpart_account_id"] = match["account"].id
            elif match.get("partner"):
                vals["partner_id"] = match["partner"].id
            log["partner_id"] = vals.get("partner_id", False)
        else:
            plan["reason"] = self.env._(
                "Debit imported as an open bank statement line."
            )
        return vals, plan

    def _statement_line_vals(self, journal, transaction):
        label = (
            transaction.remittance
            or transaction.details
            or transaction.customer_reference
            or "/"
        )
        return {
            "journal_id": journal.id,
            "date": transaction.date,
            "amount": float(transaction.amount),
            "payment_ref": label[:500],
            "partner_name": transaction.counterparty_name or False,
            "account_number": transaction.counterparty_account or False,
            "transaction_type": transaction.type_code or False,
            "unique_import_id": transaction.import_id,
            "mt940_file_id": self.id,
            "narration": transaction.details or False,
        }

    def _reconcile_all(self, lines, plans):
        """Reconcile every matched credit in one batch, then log the outcome.

        Each credit pays its invoices in the order named: one step per
        invoice, in Odoo's reconciliation plan.
        """
        steps = []
        # The journal items of every invoice the chunk pays, read at once
        # instead of once per credit.
        invoices = self.env["account.move"].union(*(plan["invoices"] for plan in plans))
        invoices.line_ids.fetch(["account_id", "reconciled"])
        for line, plan in zip(lines, plans, strict=True):
            plan["log"]["statement_line_id"] = line.id
            if not plan["invoices"]:
                continue
            account = plan["account"]
            plan["counterpart"] = line.move_id.line_ids.filtered(
                lambda x, account=account: x.account_id == account
            )
            plan["steps"] = [
                plan["counterpart"]
                + invoice.line_ids.filtered(
                    lambda x, account=account: (
                        x.account_id == account and not x.reconciled
                    )
                )
                for invoice in plan["invoices"]
            ]
            steps.append(plan["steps"] if len(plan["steps"]) > 1 else plan["steps"][0])
        if steps:
            self.env["account.move.line"]._reconcile_plan(steps)
            # What each credit paid, read for the whole chunk at once.
            counterparts = self.env["account.move.line"].browse(
                line_id
                for plan in plans
                if plan["invoices"]
                for line_id in plan["counterpart"].ids
            )
            counterparts.matched_debit_ids.debit_move_id.move_id.mapped("payment_state")
        # The product's own words for what an invoice became ("Deels betaald"),
        # not Odoo's payment state labels.
        states = {
            "paid": self.env._("Paid"),
            "in_payment": self.env._("Paid"),
            "partial": self.env._("Partly paid"),
            "not_paid": self.env._("Not paid"),
        }
        for plan in plans:
            self._log_outcome(plan, states)

    def _log_outcome(self, plan, states):
        log = plan["log"]
        invoices = plan["invoices"]
        if not invoices:
            log.update(status="unmatched", message=plan.get("reason"))
            return
        counterpart = plan["counterpart"]
        paid_moves = counterpart.matched_debit_ids.debit_move_id.move_id
        paid = invoices.filtered(lambda inv: inv in paid_moves)
        notes = [
            self.env._("%s not paid: nothing left of the payment.", invoice.name)
            for invoice in invoices - paid
        ]
        parts = [
            self.env._(
                "%(invoice)s: %(state)s",
                invoice=invoice.name,
                state=states.get(invoice.payment_state, invoice.payment_state),
            )
            for invoice in paid
        ]
        surplus = -counterpart.amount_residual
        rounding = counterpart.company_currency_id.rounding
        if paid and float_compare(surplus, 0.0, precision_rounding=rounding) > 0:
            parts.append(
                self.env._(
                    "%(amount)s overpaid, kept as an open credit for the customer",
                    amount=formatLang(
                        self.env, surplus, digits=counterpart.currency_id.decimal_places
                    ),
                )
            )
        if plan.get("by_amount"):
            parts.append(self.env._("matched by amount"))
        log.update(
            status="imported" if paid else "unmatched",
            message="; ".join(parts + notes),
            invoice_ids=[Command.set(paid.ids or invoices.ids)],
        )
