from . import bank_mt940_file
