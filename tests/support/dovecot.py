"""A throwaway Dovecot IMAP server for the e-mail intake tests: started from Debian's dovecot-imapd binaries on a
free loopback port (STARTTLS offered) and another for IMAP over TLS, with a certificate for 127.0.0.1 from a test CA
(``ca_file``, which the tests make the client trust through SSL_CERT_FILE, as an operator would for a mail server
with a private CA), a passwd-file of test users and a temporary Maildir; stopped and
removed at the end of the test session (tests/support/servers.py). A test adds its own user and puts messages in
its mailbox with IMAP APPEND, as a mail server's delivery would.

Missing on a developer's machine: the tests skip, naming the package; under CI=true they fail
(``components.missing``)."""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.support import servers
from tests.support.components import missing

CONFIG = """\
base_dir = {folder}/run
state_dir = {folder}/state
log_path = {folder}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{folder}/cert.pem
ssl_key = <{folder}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
mail_location = maildir:{folder}/mail/%n
first_valid_uid = 1
default_internal_user = {internal}
default_login_user = {login}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%n {folder}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={folder}/mail/%n
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = {tls_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
  # no penalty for the tests' deliberate wrong passwords (it would delay the next logins by seconds)
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
"""


@dataclass
class ImapServer:
    host: str
    port: int
    tls_port: int
    folder: Path

    @property
    def ca_file(self) -> Path:
        return self.folder / "ca.pem"
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _count: int = 0

    def add_user(self, password: str = "mat-khau-dung") -> str:
        """A new mailbox user (a line in the passwd-file, which Dovecot reads again when it changes), returned once
        Dovecot lets it in: under load its auth process saw the file before the line was there (a fresh-clone run
        refused the new user's first login), and a test's deliberate wrong password must be the only refusal."""
        with self._lock:
            self._count += 1
            name = f"vanthu{os.getpid()}x{self._count}"
            with (self.folder / "passwd").open("a") as out:
                out.write(f"{name}:{{PLAIN}}{password}::::::\n")
        deadline = time.monotonic() + 10
        while True:
            try:
                self.connect(name, password).logout()
                return name
            except imaplib.IMAP4.error:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def connect(self, user: str, password: str = "mat-khau-dung") -> imaplib.IMAP4:
        client = imaplib.IMAP4(self.host, self.port, timeout=10)
        client.login(user, password)
        return client

    def deliver(self, user: str, *messages: bytes, password: str = "mat-khau-dung",
                arrived: datetime | None = None) -> None:
        """Put messages in the user's INBOX; ``arrived``: the date the server records for them (INTERNALDATE)."""
        client = self.connect(user, password)
        try:
            for raw in messages:
                stamp = imaplib.Time2Internaldate(arrived) if arrived is not None else None
                kind, data = client.append("INBOX", None, stamp, raw)
                assert kind == "OK", data
        finally:
            client.logout()

    def flags(self, user: str, password: str = "mat-khau-dung") -> dict[int, str]:
        """UID → the message's flags, as the server keeps them."""
        client = self.connect(user, password)
        try:
            client.select("INBOX", readonly=True)
            kind, data = client.uid("FETCH", "1:*", "(FLAGS)")
            found: dict[int, str] = {}
            for line in data:
                if isinstance(line, bytes) and b"UID" in line:
                    text = line.decode()
                    uid = int(text.split("UID ")[1].split()[0].rstrip(")"))
                    found[uid] = text.split("FLAGS (")[1].split(")")[0]
            return found
        finally:
            client.logout()


_server: ImapServer | None = None


def _binary() -> str | None:
    override = os.environ.get("EDOC_TEST_DOVECOT")
    if override:
        return override if Path(override).is_file() else None
    return shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").is_file() else None)


def _users() -> tuple[str, str, int, int]:
    """(internal user, login user, mail uid, mail gid): Debian's dovecot and dovenull as root, else oneself."""
    if os.geteuid() == 0:
        try:
            internal, login = pwd.getpwnam("dovecot"), pwd.getpwnam("dovenull")
            return internal.pw_name, login.pw_name, internal.pw_uid, internal.pw_gid
        except KeyError:
            pass
    me = pwd.getpwuid(os.geteuid())
    return me.pw_name, me.pw_name, me.pw_uid, me.pw_gid


def _certificates(folder: Path) -> None:
    """A test CA (ca.pem) and the server's certificate for 127.0.0.1 and localhost (cert.pem, key.pem)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.now(UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "edoc test mail CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(hours=1))
          .not_valid_after(now + timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(hours=1)).not_valid_after(now + timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                        x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    (folder / "ca.pem").write_bytes(ca.public_bytes(pem))
    (folder / "cert.pem").write_bytes(cert.public_bytes(pem))
    (folder / "key.pem").write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    (folder / "key.pem").chmod(0o600)


def start(binary: str) -> ImapServer:
    folder = Path(tempfile.mkdtemp(prefix="edoc-test-dovecot-"))
    try:
        folder.chmod(0o755)
        internal, login, uid, gid = _users()
        for sub in ("run", "state", "mail"):
            (folder / sub).mkdir()
        os.chown(folder / "mail", uid, gid)
        (folder / "passwd").write_text("")
        _certificates(folder)
        for _ in range(3):
            port, tls_port = servers._free_port(), servers._free_port()
            (folder / "dovecot.conf").write_text(CONFIG.format(folder=folder, internal=internal, login=login,
                                                               uid=uid, gid=gid, port=port, tls_port=tls_port))
            log = folder / "dovecot.log"
            process = subprocess.Popen(
                [*servers._dies_with_this_process(), binary, "-F", "-c", str(folder / "dovecot.conf")],
                stdout=subprocess.DEVNULL, stderr=(folder / "stderr.log").open("wb"), stdin=subprocess.DEVNULL)

            def answers(port: int = port) -> bool:
                try:
                    imaplib.IMAP4("127.0.0.1", port, timeout=2).logout()
                    return True
                except OSError:
                    return False

            try:
                servers._wait_until(answers, process, log, "dovecot")
            except servers.NotStarted:
                if "in use" in servers._log_tail(log, 20):
                    continue
                raise
            server = ImapServer("127.0.0.1", port, tls_port, folder)
            servers._running.append(servers.Throwaway("Dovecot", f"imap://127.0.0.1:{port}", folder, process,
                                                      lambda process=process: process.pid, signal.SIGTERM))
            return server
        raise servers.NotStarted("dovecot could not bind a free port three times")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def imap_server() -> ImapServer:
    """This test process's Dovecot (started at first use); skips, or under CI fails, when it cannot run."""
    global _server
    if _server is None:
        binary = _binary()
        if binary is None:
            missing("Dovecot IMAP server", "no dovecot binary (Debian: apt-get install dovecot-imapd; or set "
                    "EDOC_TEST_DOVECOT)")
        try:
            _server = start(binary)  # type: ignore[arg-type]
        except servers.NotStarted as exc:
            missing("Dovecot IMAP server", str(exc))
    return _server  # type: ignore[return-value]
