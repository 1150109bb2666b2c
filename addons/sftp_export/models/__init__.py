from . import sftp_exported_mixin
from . import sftp_export_server
from . import sftp_export_format
from . import sftp_export_run
from . import sftp_export_schedule
from . import account_move
from . import hr_expense
