"""Validation of remote directories and file names.

A directory or a file name typed by a user (or produced by a file-name pattern) must
never lead the upload outside the directory the administrator configured.
"""

import posixpath
import re

# Characters a file name may not carry: path separators, NUL and control characters.
_FORBIDDEN = re.compile(r"[\x00-\x1f/\\]")
MAX_NAME_LENGTH = 200


class PathError(ValueError):
    """A directory or file name that could escape the configured directory."""


def validate_directory(directory):
    """Return the directory in normal form ('' stays the login directory).

    Absolute directories are allowed (the server decides what the user may see),
    but no segment may be '..'.
    """
    directory = (directory or "").strip()
    if "\x00" in directory or "\\" in directory:
        raise PathError(f"The directory {directory!r} contains forbidden characters.")
    segments = [part for part in directory.split("/") if part not in ("", ".")]
    if ".." in segments:
        raise PathError(f"The directory {directory!r} may not contain '..'.")
    normal = "/".join(segments)
    if directory.startswith("/"):
        return "/" + normal
    return normal


def validate_file_name(name):
    """Return name if it is one plain file name inside the target directory."""
    if not name or name != name.strip():
        raise PathError(f"The file name {name!r} is empty or has surrounding spaces.")
    if _FORBIDDEN.search(name):
        raise PathError(f"The file name {name!r} may not contain '/' or '\\'.")
    if name in (".", "..") or name.startswith("."):
        raise PathError(f"The file name {name!r} may not start with a dot.")
    if len(name) > MAX_NAME_LENGTH:
        raise PathError(f"The file name {name!r} is longer than {MAX_NAME_LENGTH}.")
    return name


def remote_path(directory, name):
    """Join a validated directory and file name."""
    directory = validate_directory(directory)
    name = validate_file_name(name)
    return posixpath.join(directory, name) if directory else name


def numbered_name(name, number):
    """name with a number before its extension: invoice.pdf, 2 -> invoice_2.pdf."""
    if number == 1:
        return name
    stem, dot, ext = name.rpartition(".")
    return f"{stem}_{number}.{ext}" if dot and stem else f"{name}_{number}"


def safe_name_part(value):
    """Make a value usable inside a file name (for file-name patterns)."""
    text = re.sub(r"[^\w.\-]+", "_", str(value), flags=re.UNICODE).strip("._")
    return text or "_"
