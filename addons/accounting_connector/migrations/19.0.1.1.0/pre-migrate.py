def migrate(cr, version):
    """Runs of at most 45 s and claims of at most 120 s (Odoo's cron limits)."""
    cr.execute(
        """
        UPDATE accounting_backend
           SET time_budget_seconds = LEAST(GREATEST(time_budget_seconds, 5), 20),
               lease_seconds = LEAST(GREATEST(lease_seconds, 15), 30)
        """
    )
