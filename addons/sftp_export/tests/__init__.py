from . import test_sftp_export
