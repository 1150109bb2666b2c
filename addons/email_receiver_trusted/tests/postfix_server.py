"""A private Postfix instance on 127.0.0.1 for the end-to-end test.

It listens on a free port, offers STARTTLS with a throw-away certificate and
hands every mail for the alias domain to Odoo's own mailgate script
(mail/static/scripts/odoo-mailgate.py, XML-RPC message_process), as a
production Postfix does with a pipe transport. Everything lives in a temporary
folder and is removed by stop(). The mailgate runs with --debug so that a
failure shows its traceback in the maillog the test reports; bounces are
discarded (default_transport), nothing leaves 127.0.0.1."""

import datetime
import ipaddress
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from odoo.modules.module import get_module_path

TIMEOUT = 30  # seconds to wait for Postfix to start or to deliver one mail
HOSTNAME = "mx.ourcompany.test"

MASTER_CF = """\
127.0.0.1:{port} inet n - n - - smtpd
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
odoo      unix  - n n - - pipe flags=DRq user=nobody
  argv={python} {mailgate} --host=127.0.0.1 --port={odoo_port}
  -d {db} -u {uid} -p {password} --debug
"""

MAIN_CF = """\
compatibility_level = 3.6
queue_directory = {root}/queue
data_directory = {root}/data
mail_owner = postfix
setgid_group = postdrop
myhostname = {hostname}
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relay_domains = {domain}
transport_maps = inline:{{ {domain}=odoo: }}
default_transport = discard
smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_tls_cert_file = {root}/cert.pem
smtpd_tls_key_file = {root}/key.pem
smtpd_tls_security_level = may
smtpd_tls_received_header = yes
maillog_file = {root}/maillog
maillog_file_prefixes = {root}
alias_maps =
alias_database =
local_recipient_maps =
biff = no
smtputf8_enable = no
notify_classes =
odoo_destination_recipient_limit = 1
"""


def postfix_available():
    """Postfix can run here: installed, and we are root (its master needs it)."""
    return bool(shutil.which("postfix")) and os.geteuid() == 0


def _system_python():
    """A python3 the unprivileged pipe user may run (the mailgate needs only
    the standard library)."""
    for candidate in ("/usr/bin/python3", "/usr/local/bin/python3"):
        if os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("python3")


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _write_certificate(root):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOSTNAME)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    (root / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (root / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    os.chmod(root / "key.pem", 0o600)


class PostfixServer:
    def __init__(self, domain, odoo_port, db, uid, password):
        self.root = Path(tempfile.mkdtemp(prefix="odoo-postfix-"))
        # Postfix's daemons run as the postfix user and must reach queue/data.
        os.chmod(self.root, 0o755)
        self.port = _free_port()
        self.cafile = str(self.root / "cert.pem")
        self.process = None
        _write_certificate(self.root)
        (self.root / "queue").mkdir()
        (self.root / "data").mkdir()
        shutil.chown(self.root / "data", user="postfix")
        mailgate = Path(get_module_path("mail")) / "static/scripts/odoo-mailgate.py"
        (self.root / "main.cf").write_text(
            MAIN_CF.format(root=self.root, hostname=HOSTNAME, domain=domain)
        )
        (self.root / "master.cf").write_text(
            MASTER_CF.format(
                port=self.port,
                python=_system_python(),
                mailgate=mailgate,
                odoo_port=odoo_port,
                db=db,
                uid=uid,
                password=password,
            )
        )
        os.chmod(self.root / "master.cf", 0o600)

    def start(self):
        self.process = subprocess.Popen(
            ["postfix", "-c", str(self.root), "start-fg"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"Postfix did not start; see {self.root}/maillog")

    def stop(self):
        if self.process and self.process.poll() is None:
            subprocess.run(
                ["postfix", "-c", str(self.root), "stop"],
                capture_output=True,
                timeout=TIMEOUT,
                check=False,
            )
            try:
                self.process.wait(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=TIMEOUT)
        shutil.rmtree(self.root, ignore_errors=True)

    def maillog(self):
        path = self.root / "maillog"
        return path.read_text(errors="replace") if path.exists() else ""

    def wait_delivered(self, count):
        """Wait until ``count`` mails left the queue through the odoo pipe;
        return their delivery lines."""
        deadline = time.monotonic() + TIMEOUT
        pattern = re.compile(r"relay=odoo.*status=(\w+)")
        while time.monotonic() < deadline:
            done = pattern.findall(self.maillog())
            if "deferred" in done or "bounced" in done:
                break
            if len(done) >= count:
                return done
            time.sleep(0.2)
        raise AssertionError(f"Postfix did not deliver in time:\n{self.maillog()}")
