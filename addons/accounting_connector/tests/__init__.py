from . import test_accounting_connector
from . import test_queue
from . import test_invoices
from . import test_reminders
from . import test_odoo_json2
from . import test_concurrency
from . import test_json2_errors
from . import test_error_texts
