"""Moving one file's bytes over an open SFTP session: sending it pipelined,
comparing it with a file on the server, removing a temporary file."""

import contextlib
import errno
import io

import paramiko

MIN_CHUNK = 4096
COMPARE_CHUNK = 1024 * 1024
# Bytes an SFTP write request adds around its data: length, type, request id,
# handle length, offset, data length (the handle itself comes on top).
WRITE_REQUEST_OVERHEAD = 4 + 1 + 4 + 4 + 8 + 4
# Bytes paramiko keeps free in every channel packet for the SSH header.
CHANNEL_HEADER = 64


def discard(sftp, path):
    # The connection may be gone already; a stale .part file is harmless.
    with contextlib.suppress(OSError, paramiko.SSHException, EOFError):
        sftp.remove(path)


def _size(fileobj):
    fileobj.seek(0, io.SEEK_END)
    return fileobj.tell()


def holds(sftp, path, fileobj):
    """Does path on the server hold exactly the bytes of fileobj? None when
    there is no file by that name, False when it holds another file."""
    try:
        remote_size = sftp.stat(path).st_size
    except OSError as error:
        if getattr(error, "errno", None) == errno.ENOENT:
            return None
        raise
    if remote_size != _size(fileobj):
        return False
    fileobj.seek(0)
    with sftp.open(path, "rb") as remote:
        remote.prefetch(remote_size)
        while chunk := fileobj.read(COMPARE_CHUNK):
            if remote.read(len(chunk)) != chunk:
                return False
    return True


def put(sftp, fileobj, path):
    """sftp.putfo(fileobj, path, confirm=True) with requests sized to the channel.

    Write requests are pipelined (no wait for each answer) and sized so that
    each fits one SSH packet: paramiko's default 32 KiB requests take two
    packets each, doubling the packets to encrypt and send. One stat at the end
    checks the server holds every byte.
    """
    with sftp.open(path, "wb", bufsize=0) as remote:
        remote.set_pipelined(True)
        chunk = max(
            MIN_CHUNK,
            sftp.sock.out_max_packet_size
            - CHANNEL_HEADER
            - WRITE_REQUEST_OVERHEAD
            - len(remote.handle),
        )
        size = 0
        while data := fileobj.read(chunk):
            remote.write(data)
            size += len(data)
    stored = sftp.stat(path).st_size
    if stored != size:
        raise OSError(f"{stored} of {size} bytes arrived")
    return size
