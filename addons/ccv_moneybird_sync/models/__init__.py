from . import ccv_moneybird_connection
from . import ccv_moneybird_remote
from . import ccv_payment
