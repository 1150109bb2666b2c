from . import ccv_moneybird_connection
