from . import test_bank_mt940_reconcile
from . import test_concurrency
from . import test_fuzz
from . import test_import
from . import test_import_batches
from . import test_parser
from . import test_public_corpus
from . import test_tour
