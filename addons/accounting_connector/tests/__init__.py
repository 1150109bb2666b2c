from . import test_accounting_connector
