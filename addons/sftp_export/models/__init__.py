from . import sftp_export_server
