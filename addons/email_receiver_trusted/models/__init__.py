from . import email_receiver
from . import email_receiver_gateway
from . import email_receiver_log
from . import account_move
from . import res_partner
from . import ir_attachment
from . import email_receiver_document
