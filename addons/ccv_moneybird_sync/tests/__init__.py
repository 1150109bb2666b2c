from . import test_ccv_moneybird_sync
from . import test_clients
from . import test_http
from . import test_sync
from . import test_languages
from . import test_access
from . import test_protocol
from . import test_token_rotation
