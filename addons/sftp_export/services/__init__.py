# Plain Python, no ORM: CSV and zip writing, paths, schedule times, the SFTP client.
from . import csv_writer, export_file, paths, schedule, sftp_client
