from . import ccv_key_wizard
