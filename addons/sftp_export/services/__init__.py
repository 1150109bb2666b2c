# Plain Python, no ORM: CSV writing, zip packing and the SFTP client.
from . import csv_writer, paths, schedule, sftp_client, zip_packer
