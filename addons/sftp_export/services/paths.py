"""Validation of remote directories and file names.

A directory or a file name typed by a user (or produced by a file-name pattern) must
never lead the upload outside the directory the administrator configured.
"""

import posixpath
import re

from odoo.tools.translate import LazyTranslate

_lt = LazyTranslate(__name__)

# Characters a file name may not carry: path separators, NUL and control characters.
_FORBIDDEN = re.compile(r"[\x00-\x1f/\\]")
MAX_NAME_LENGTH = 200


class PathError(ValueError):
    """A directory or file name that could escape the configured directory.

    message: a lazy translation (shown in the user's language); str(error) is
    the English text for the log."""

    def __init__(self, message):
        self.message = message
        super().__init__(message._translate("en_US"))


def validate_directory(directory):
    """Return the directory in normal form ('' stays the login directory).

    Absolute directories are allowed (the server decides what the user may see),
    but no segment may be '..'.
    """
    directory = (directory or "").strip()
    if "\x00" in directory or "\\" in directory:
        raise PathError(
            _lt(
                "The folder %(folder)s contains forbidden characters: remove "
                "them from the folder of the SFTP server.",
                folder=directory,
            )
        )
    segments = [part for part in directory.split("/") if part not in ("", ".")]
    if ".." in segments:
        raise PathError(
            _lt(
                "The folder %(folder)s may not contain '..': give the folder "
                "without it.",
                folder=directory,
            )
        )
    normal = "/".join(segments)
    if directory.startswith("/"):
        return "/" + normal
    return normal


def validate_file_name(name):
    """Return name if it is one plain file name inside the target directory."""
    if not name or name != name.strip():
        message = _lt(
            "The file name %s is empty or starts or ends with a space: correct "
            "the file name pattern of the export format.",
            repr(name),
        )
    elif _FORBIDDEN.search(name):
        message = _lt(
            "The file name %s may not contain a slash, a backslash or control "
            "characters: correct the file name pattern of the export format.",
            repr(name),
        )
    elif name.startswith("."):
        message = _lt(
            "The file name %s may not start with a dot: correct the file name "
            "pattern of the export format.",
            repr(name),
        )
    elif len(name) > MAX_NAME_LENGTH:
        message = _lt(
            "The file name %(name)s is longer than %(limit)s characters: shorten "
            "the file name pattern of the export format.",
            name=repr(name),
            limit=MAX_NAME_LENGTH,
        )
    else:
        return name
    raise PathError(message)


def remote_path(directory, name):
    """Join a validated directory and file name."""
    directory = validate_directory(directory)
    name = validate_file_name(name)
    return posixpath.join(directory, name) if directory else name


def fitting_name(name):
    """name, shortened before its extension to MAX_NAME_LENGTH characters."""
    if len(name) <= MAX_NAME_LENGTH:
        return name
    stem, dot, ext = name.rpartition(".")
    if not (dot and stem) or len(ext) > MAX_NAME_LENGTH // 2:
        return name[:MAX_NAME_LENGTH]
    return f"{stem[: MAX_NAME_LENGTH - len(ext) - 1]}.{ext}"


def numbered_name(name, number):
    """name with a number before its extension: invoice.pdf, 2 -> invoice_2.pdf;
    the stem is shortened where the number would make it too long."""
    if number == 1:
        return name
    stem, dot, ext = name.rpartition(".")
    if not (dot and stem):
        stem, ext = name, ""
    suffix = f"_{number}" + (f".{ext}" if ext else "")
    return fitting_name(stem[: max(1, MAX_NAME_LENGTH - len(suffix))] + suffix)


def safe_name_part(value):
    """Make a value usable inside a file name (for file-name patterns)."""
    text = re.sub(r"[^\w.\-]+", "_", str(value), flags=re.UNICODE).strip("._")
    return text or "_"
