from . import test_email_receiver_trusted
