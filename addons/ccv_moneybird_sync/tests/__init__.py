from . import test_ccv_moneybird_sync
