"""Write the file an export delivers: a CSV, or a zip of the CSV and the
original documents, sequentially into a (temporary, seekable) binary file.

No ORM here. The zip is written by the standard zipfile module: on a seekable
file it writes no data descriptors; every member gets the same fixed date, so
the same input gives the same bytes. Originals (PDF, images, compressed
already) are stored, the CSV is deflated. Memory stays flat: members are
copied in chunks.
"""

import shutil
import zipfile

from .csv_writer import write_csv
from .paths import safe_name_part

CHUNK = 1024 * 1024
ORIGINALS_FOLDER = "originals/"


def zip_date_time(moment):
    """A zip member date: the export's moment, never before 1980 (zip's epoch)."""
    return max(moment.timetuple()[:6], (1980, 1, 1, 0, 0, 0))


def unique_member_name(name, used):
    """A member name that is safe and not used yet in this archive."""
    base = safe_name_part(name)
    candidate, number = base, 1
    while candidate in used:
        number += 1
        stem, dot, ext = base.rpartition(".")
        candidate = f"{stem}_{number}.{ext}" if dot else f"{base}_{number}"
    used.add(candidate)
    return candidate


def write_zip_file(target, csv_name, rows, options, originals, moment):
    """The zip of the originals (under originals/) and the CSV (last).

    originals: (name, opener) pairs, opener() giving a binary file object.
    Returns the number of originals packed.
    """
    date_time = zip_date_time(moment)
    used = set()
    count = 0
    with zipfile.ZipFile(target, "w", allowZip64=True) as archive:
        for name, opener in originals:
            info = zipfile.ZipInfo(
                ORIGINALS_FOLDER + unique_member_name(name, used), date_time
            )
            info.compress_type = zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            with opener() as source, archive.open(info, "w") as out:
                shutil.copyfileobj(source, out, CHUNK)
            count += 1
        info = zipfile.ZipInfo(csv_name, date_time)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        with archive.open(info, "w") as out:
            write_csv(out, rows, options)
    return count
