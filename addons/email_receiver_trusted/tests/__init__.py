from . import test_concurrency
from . import test_email_receiver_trusted
from . import test_gateway
from . import test_notifications
from . import test_postfix_end_to_end
from . import test_spam_corpus
from . import test_tour
from . import test_trust_rules
