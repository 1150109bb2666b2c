"""A file the export writes while the upload already reads it.

The export writes the CSV or zip to a temporary file (kept for the history);
the upload sends the bytes as they are written, so the network transfer
overlaps reading the records and packing the originals instead of following
them. The reader only ever sees the end of the file once the writer says the
file is complete: an export that stops half-way makes the reader raise, so the
upload is abandoned and never renamed to the final name.

The reader runs in a thread of the same process (GrowingFileReader) or in a
child process (ProcessReader), which reads the inherited file descriptor and
learns how far the file is from a shared memory word, woken by a pipe.
"""

import contextlib
import hashlib
import io
import mmap
import os
import select
import struct
import threading

OPEN, COMPLETE, ABORTED = "open", "complete", "aborted"
WRITE_BLOCK = 256 * 1024  # bytes gathered before they are written to the file
# How far the file is, for a ProcessReader: one signed 64-bit word in memory
# shared with the child. n >= 0: n bytes are in the file so far; -(n + 2): the
# file is complete with n bytes; -1: the export stopped. A byte on a pipe wakes
# the reader after each change; when the pipe is full the byte is dropped (the
# reader has bytes to wake it already), so the export never waits for it.
PROGRESS = struct.Struct("<q")
ABORTED_PROGRESS = -1
PARENT_CHECK = 5  # seconds between checks that the writing process still lives


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
        self._channels = []  # (shared progress, pipe write end) per ProcessReader

    def writable(self):
        return True

    # write/read are the io protocol here (pylint-odoo takes them for ORM methods).
    def write(self, data):  # pylint: disable=method-required-super
        # Gathered into larger writes: fewer system calls and fewer messages to
        # the reader.
        self._pending += data
        if len(self._pending) >= WRITE_BLOCK:
            self.flush()
        return len(data)

    def finish(self):
        """The file is complete: the reader may reach its end."""
        self.flush()
        self._set_state(COMPLETE)
        self._tell_processes()

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
        self._tell_processes()

    def abort(self):
        """The file will not be completed: the reader raises."""
        self._pending.clear()
        self._set_state(ABORTED)
        self._tell_processes()

    def checksum(self):
        """SHA-1 of what was flushed to the file."""
        return self._sha1.hexdigest()

    def reader(self):
        return GrowingFileReader(self)

    def process_channel(self):
        """A new channel to a ProcessReader: (shared progress, pipe read end,
        pipe write end), made before the fork.

        The child keeps the read end and closes the write end; the writer
        closes the read end, and its write end once the file is complete or
        aborted.
        """
        progress = mmap.mmap(-1, PROGRESS.size)  # shared with children
        read_end, write_end = os.pipe()
        os.set_blocking(write_end, False)  # the export never waits for the reader
        self._channels.append((progress, write_end))
        self._tell_processes()
        return progress, read_end, write_end

    def _progress(self):
        if self._state == COMPLETE:
            return -(self.size + 2)
        if self._state == ABORTED:
            return ABORTED_PROGRESS
        return self.size

    def _tell_processes(self):
        if not self._channels:
            return
        value = self._progress()
        last = self._state != OPEN
        for progress, write_end in self._channels:
            PROGRESS.pack_into(progress, 0, value)
            # Full: the reader has wake-ups waiting. Broken: it ended already.
            with contextlib.suppress(BlockingIOError, BrokenPipeError):
                os.write(write_end, b"!")
            if last:
                os.close(write_end)
        if last:
            self._channels = []

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


class _PositionalReader:
    """Reads the file by position (pread): the writer's position is left alone."""

    def __init__(self, fd):
        self.position = 0
        self._fd = fd

    def seek(self, offset, whence=os.SEEK_SET):
        if whence != os.SEEK_SET:
            raise OSError("A growing file can only be read from a position.")
        self.position = offset
        return offset

    def tell(self):
        return self.position

    def _pread(self, available, size):
        if size is not None and size >= 0:
            available = min(available, size)
        if not available:
            return b""
        data = os.pread(self._fd, available, self.position)
        self.position += len(data)
        return data


class GrowingFileReader(_PositionalReader):
    """The reading side in a thread: read() waits for bytes until the file is
    complete."""

    def __init__(self, source):
        super().__init__(source.handle.fileno())
        self.source = source

    def read(self, size=-1):  # pylint: disable=method-required-super
        return self._pread(self.source._wait_for(self.position), size)


class ProcessReader(_PositionalReader):
    """The reading side in a child process: the file descriptor inherited from
    the writer and a GrowingFile.process_channel()."""

    def __init__(self, fd, progress, wake_up):
        super().__init__(fd)
        self._progress = progress
        self._wake_up = wake_up
        self._parent = os.getppid()

    def read(self, size=-1):  # pylint: disable=method-required-super
        while True:
            (value,) = PROGRESS.unpack_from(self._progress, 0)
            if value == ABORTED_PROGRESS:
                raise WriterAbortedError(
                    "the export stopped before the file was complete"
                )
            available = -value - 2 if value < 0 else value
            if available > self.position:
                return self._pread(available - self.position, size)
            if value < 0:  # the end of the complete file
                # Checked last, just before the upload is renamed: a file of an
                # export whose process was killed meanwhile is never delivered.
                if os.getppid() != self._parent:
                    raise WriterAbortedError("the export process ended")
                return b""
            self._wait()

    def _wait(self):
        """Until the writer says something (or seems gone)."""
        ready, _write, _error = select.select([self._wake_up], [], [], PARENT_CHECK)
        if ready:
            if not os.read(self._wake_up, 4096):
                # The writer closed its end without completing: it died.
                (value,) = PROGRESS.unpack_from(self._progress, 0)
                if value >= 0:
                    raise WriterAbortedError("the export process ended")
        elif os.getppid() != self._parent:  # killed without a word
            raise WriterAbortedError("the export process ended")
