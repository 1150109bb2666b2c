"""Pack a CSV and the original documents in one zip, streamed to a file.

The zip is written to a file object (a temporary file on disk), one member at a
time, so memory stays flat however many originals are packed.
"""

import shutil
import zipfile

from .paths import safe_name_part

CHUNK = 1024 * 1024


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


def write_zip(target, csv_name, csv_file, originals):
    """Write the zip to target (a binary file object).

    csv_file is a binary file object holding the CSV; originals yields
    (member_name, opener) pairs, opener() returning a binary file object.
    Returns the number of originals packed.
    """
    used = {csv_name}
    count = 0
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open(csv_name, "w") as member:
            shutil.copyfileobj(csv_file, member, CHUNK)
        # Originals (PDF, images) are compressed already: store them as they are.
        archive.compression = zipfile.ZIP_STORED
        for name, opener in originals:
            member_name = "originals/" + unique_member_name(name, used)
            with opener() as source, archive.open(member_name, "w") as member:
                shutil.copyfileobj(source, member, CHUNK)
            count += 1
    return count
