from . import ccv_moneybird_connection
from . import connection_ccv
from . import connection_moneybird
from . import connection_sync
from . import ccv_moneybird_remote
from . import ccv_payment
from . import moneybird_token
from . import request_budget
