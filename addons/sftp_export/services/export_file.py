"""Write the zip an export delivers: the original documents and the CSV,
sequentially into a (temporary, seekable) binary file.

No ORM here. The zip is written by the standard zipfile module: on a seekable
file it writes no data descriptors; every member gets the same fixed date, so
the same input gives the same bytes (a zip is made again, identical, when it
is sent again). Originals (PDF, images, compressed already) are stored, the
CSV is deflated. Memory stays flat: one original is read at a time.
"""

import zipfile

from .paths import numbered_name, safe_name_part

ORIGINALS_FOLDER = "originals/"


def zip_date_time(moment):
    """A zip member date: the export's moment, never before 1980 (zip's epoch)."""
    return max(moment.timetuple()[:6], (1980, 1, 1, 0, 0, 0))


def unique_member_name(name, used):
    """A member name that is safe and not used yet in this archive."""
    base = safe_name_part(name)
    number = 1
    while numbered_name(base, number) in used:
        number += 1
    candidate = numbered_name(base, number)
    used.add(candidate)
    return candidate


def original_member_names(names):
    """The members under originals/ for the originals' names, in order."""
    used = set()
    return [ORIGINALS_FOLDER + unique_member_name(name, used) for name in names]


def write_zip_file(target, originals, csv_name, csv_data, date_time):
    """The zip of the originals and the CSV (last).

    originals: (member name, read) pairs, read() giving the original's bytes
    (called when it is packed); csv_data: the CSV's bytes; date_time: every
    member's date (see zip_date_time). Returns the number of originals packed.
    """
    count = 0
    with zipfile.ZipFile(target, "w", allowZip64=True) as archive:
        for member, read in originals:
            info = zipfile.ZipInfo(member, date_time)
            info.compress_type = zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            # Sizes and checksum known before the header: written once.
            archive.writestr(info, read())
            count += 1
        info = zipfile.ZipInfo(csv_name, date_time)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        archive.writestr(info, csv_data)
    return count
