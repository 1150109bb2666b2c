from . import accounting_dossier
