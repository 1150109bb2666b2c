from . import test_bank_mt940_reconcile
