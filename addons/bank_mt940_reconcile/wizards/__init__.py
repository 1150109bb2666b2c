from . import bank_mt940_upload
