"""Pack a CSV and the original documents in one zip, written strictly forwards.

Each member's CRC-32 and size are computed before its header is written, so the
archive never seeks back (any forward-only stream will do), the same input gives
the same bytes, and it is a plain zip without data descriptors, which every reader
accepts.
Originals (PDF, images) are stored as they are (compressed already); the CSV is
deflated. Memory stays flat: members are read in chunks.
"""

import datetime
import io
import os
import struct
import tempfile
import zlib

from .paths import safe_name_part

CHUNK = 1024 * 1024
STORED, DEFLATED = 0, 8
MAX_ENTRIES = 65535  # beyond needs zip64
MAX_OFFSET = 0xFFFFFFFF
UTF8_NAMES = 0x0800


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


def _dos_datetime(moment):
    moment = max(moment, datetime.datetime(1980, 1, 1))
    date = (moment.year - 1980) << 9 | moment.month << 5 | moment.day
    time = moment.hour << 11 | moment.minute << 5 | moment.second // 2
    return time, date


def _read_small(source):
    """The whole content of a source smaller than CHUNK, else None.

    A file is read at its own size: reading CHUNK bytes would allocate (and
    touch) a 1 MB buffer for every small scan.
    """
    try:
        size = os.fstat(source.fileno()).st_size
    except (AttributeError, OSError, io.UnsupportedOperation):
        size = CHUNK - 1  # not a file: read up to CHUNK to find out
    if size >= CHUNK:
        return None
    data = source.read(size + 1)
    if len(data) > size:  # grew since: read it as a large file
        return None
    return data


def _crc_and_size(source):
    crc, size = 0, 0
    while chunk := source.read(CHUNK):
        crc = zlib.crc32(chunk, crc)
        size += len(chunk)
    return crc, size


class DeflatedMember:
    """A member compressed ahead of the archive: write() its content (in one
    pass: CRC-32, size and deflate together), then ZipStreamWriter.add_deflated().

    The content is read once and compressed as it is written, so adding the
    member to the archive only copies the compressed bytes.
    """

    def __init__(self):
        self.crc = self.size = self.packed_size = 0
        self._compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
        # Closed by __exit__: the member is used as a context manager.
        self._packed = tempfile.TemporaryFile(prefix="sftp_export_member_")  # noqa: SIM115

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._packed.close()

    # write() is the io protocol here (pylint-odoo takes it for the ORM method).
    def write(self, data):  # pylint: disable=method-required-super
        self.crc = zlib.crc32(data, self.crc)
        self.size += len(data)
        self._packed.write(self._compressor.compress(data))
        return len(data)

    def finish(self):
        """The compressed data, rewound; no more writes after this."""
        if self._compressor is not None:
            self._packed.write(self._compressor.flush())
            self._compressor = None
            self.packed_size = self._packed.tell()
        self._packed.seek(0)
        return self._packed


class ZipStreamWriter:
    """Write a zip to a forward-only binary stream (write() is all it needs)."""

    def __init__(self, stream, moment):
        self.stream = stream
        self.time, self.date = _dos_datetime(moment)
        self.offset = 0
        self.entries = []
        self.used = set()

    def _write(self, data):
        self.stream.write(data)
        self.offset += len(data)

    def add(self, name, opener, deflate=False):
        """Add a member; opener() returns a fresh binary file object each call."""
        if len(self.entries) >= MAX_ENTRIES:
            raise ValueError(f"A zip holds at most {MAX_ENTRIES} files.")
        if deflate:
            self._add_deflated(name, opener)
            return
        with opener() as source:
            head = _read_small(source)
            if head is not None:
                # A small file (scans, PDFs mostly are): read once, kept in memory.
                self._add_member(name, STORED, zlib.crc32(head), len(head), len(head))
                self._write(head)
                return
        with opener() as source:
            crc, size = _crc_and_size(source)
        self._add_member(name, STORED, crc, size, size)
        with opener() as source:
            self._copy(source)

    def _add_deflated(self, name, opener):
        with DeflatedMember() as member, opener() as source:
            while chunk := source.read(CHUNK):
                member.write(chunk)
            self.add_deflated(name, member)

    def add_deflated(self, name, member):
        """Add a DeflatedMember whose content is complete."""
        packed = member.finish()
        self._add_member(name, DEFLATED, member.crc, member.packed_size, member.size)
        self._copy(packed)

    def _add_member(self, name, method, crc, packed_size, size):
        """Write the local header of a member; its data must follow."""
        encoded = name.encode()
        if max(size, packed_size, self.offset + packed_size) >= MAX_OFFSET:
            raise ValueError("The zip would exceed 4 GB.")
        self.entries.append((encoded, method, crc, packed_size, size, self.offset))
        self._write(
            struct.pack(
                "<IHHHHHIIIHH",
                0x04034B50,  # local file header
                20,  # version needed: 2.0
                UTF8_NAMES,
                method,
                self.time,
                self.date,
                crc,
                packed_size,
                size,
                len(encoded),
                0,
            )
            + encoded
        )

    def _copy(self, source):
        while chunk := source.read(CHUNK):
            self._write(chunk)

    def close(self):
        start = self.offset
        for encoded, method, crc, packed_size, size, offset in self.entries:
            self._write(
                struct.pack(
                    "<IHHHHHHIIIHHHHHII",
                    0x02014B50,  # central directory header
                    20,  # made by: 2.0
                    20,  # version needed
                    UTF8_NAMES,
                    method,
                    self.time,
                    self.date,
                    crc,
                    packed_size,
                    size,
                    len(encoded),
                    0,  # extra
                    0,  # comment
                    0,  # disk
                    0,  # internal attributes
                    0o644 << 16,  # external attributes: rw-r--r--
                    offset,
                )
                + encoded
            )
        size = self.offset - start
        if self.offset >= MAX_OFFSET:
            raise ValueError("The zip would exceed 4 GB.")
        self._write(
            struct.pack(
                "<IHHHHIIH",
                0x06054B50,  # end of central directory
                0,
                0,
                len(self.entries),
                len(self.entries),
                size,
                start,
                0,
            )
        )


def pack_originals(writer, originals):
    """Add (name, opener) originals under originals/; returns how many."""
    count = 0
    for name, opener in originals:
        writer.add("originals/" + unique_member_name(name, writer.used), opener)
        count += 1
    return count
