from . import accounting_backend
from . import accounting_backend_run
from . import accounting_dossier
from . import accounting_task
from . import accounting_task_queue
from . import accounting_instruction
from . import account_move
