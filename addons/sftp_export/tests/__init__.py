from . import test_csv_writer
from . import test_delivered_files
from . import test_export_flow
from . import test_paths_and_times
from . import test_sftp_client
from . import test_sftp_export
from . import test_zip_packer
