"""A file the export writes while the upload already reads it.

The export writes the CSV or zip to a temporary file (kept for the history);
the upload runs in a thread and sends the bytes as they are written, so the
network transfer overlaps reading the records and packing the originals instead
of following them. The reader only ever sees the end of the file once the
writer says the file is complete: an export that stops half-way makes the
reader raise, so the upload is abandoned and never renamed to the final name.
"""

import hashlib
import io
import os
import threading

OPEN, COMPLETE, ABORTED = "open", "complete", "aborted"
WRITE_BLOCK = 256 * 1024  # bytes gathered before they are written to the file


class WriterAbortedError(Exception):
    """The file was not completed; what was read so far must not be used."""


class GrowingFile(io.RawIOBase):
    """The writing side, around a binary file opened for writing and reading.

    Also computes the SHA-1 and size of what was written (Odoo's attachment
    checksum), so the file need not be read again to keep it.
    """

    def __init__(self, handle):
        super().__init__()
        self.handle = handle
        self.size = 0  # bytes in the file, readable by the reader
        self._pending = bytearray()
        self._sha1 = hashlib.sha1()
        self._state = OPEN
        self._changed = threading.Condition()

    def writable(self):
        return True

    # write/read are the io protocol here (pylint-odoo takes them for ORM methods).
    def write(self, data):  # pylint: disable=method-required-super
        # Gathered into larger writes: every system call lets the upload thread
        # take the interpreter, and getting it back costs the writer time.
        self._pending += data
        if len(self._pending) >= WRITE_BLOCK:
            self.flush()
        return len(data)

    def finish(self):
        """The file is complete: the reader may reach its end."""
        self.flush()
        self._set_state(COMPLETE)

    def flush(self):
        """Write what was gathered to the file, for the reader."""
        if not self._pending or self._state == ABORTED:
            return
        data = bytes(self._pending)
        self._pending.clear()
        self.handle.write(data)
        # The reader reads the file by position, from the kernel: flush first.
        self.handle.flush()
        self._sha1.update(data)
        with self._changed:
            self.size += len(data)
            self._changed.notify_all()

    def abort(self):
        """The file will not be completed: the reader raises."""
        self._pending.clear()
        self._set_state(ABORTED)

    def checksum(self):
        """SHA-1 of what was flushed to the file."""
        return self._sha1.hexdigest()

    def reader(self):
        return GrowingFileReader(self)

    def _set_state(self, state):
        with self._changed:
            self._state = state
            self._changed.notify_all()

    def _wait_for(self, position):
        """Bytes available after position (0 at the end of a complete file)."""
        with self._changed:
            self._changed.wait_for(lambda: self.size > position or self._state != OPEN)
            if self._state == ABORTED:
                raise WriterAbortedError(
                    "the export stopped before the file was complete"
                )
            return self.size - position


class GrowingFileReader:
    """The reading side: read() waits for bytes until the file is complete."""

    def __init__(self, source):
        self.source = source
        self.position = 0
        self._fd = source.handle.fileno()

    def seek(self, offset, whence=os.SEEK_SET):
        if whence != os.SEEK_SET:
            raise OSError("A growing file can only be read from a position.")
        self.position = offset
        return offset

    def tell(self):
        return self.position

    def read(self, size=-1):  # pylint: disable=method-required-super
        available = self.source._wait_for(self.position)
        if size is not None and size >= 0:
            available = min(available, size)
        if not available:
            return b""
        # pread: the writer's file position is left alone.
        data = os.pread(self._fd, available, self.position)
        self.position += len(data)
        return data
