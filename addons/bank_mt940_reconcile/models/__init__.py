from . import account_bank_statement_line
from . import account_move
from . import bank_mt940_file
from . import bank_mt940_log
from . import bank_mt940_progress
from . import res_company
from . import res_config_settings
