from . import email_receiver
