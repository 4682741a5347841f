"""Settings from environment variables, with embedded defaults (SQLite + local folder + one process).

Every setting is named ``EDOC_*``; a bad value fails at start-up with a message naming that setting.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from edoc.core.errors import ConfigError

_PACKAGE = Path(__file__).resolve().parent
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean (use true or false)")


def _folder(env: Mapping[str, str], name: str, default: Path) -> Path:
    raw = env.get(name)
    try:
        return Path(raw).resolve() if raw else default.resolve()
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop
        raise ConfigError(f"{name}={raw or str(default)!r} is not a usable folder: {exc}") from None


def _without_password(url: str) -> str:
    """A URL that did not parse, fit for a message: any password in it replaced, as make_url would have."""
    return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", url)


def _int(env: Mapping[str, str], name: str, default: int, *, minimum: int = 1) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number") from None
    if value < minimum:
        raise ConfigError(f"{name}={raw!r} must be at least {minimum}")
    return value


@dataclass
class Settings:
    instance_path: Path
    secret_key: str
    database_url: str
    storage_backend: str = "local"
    storage_dir: Path | None = None
    s3_endpoint: str | None = None
    s3_access_key: str | None = None
    s3_secret_key: str | None = None
    s3_bucket: str = "edoc"
    s3_secure: bool = True
    s3_region: str | None = None
    s3_public_url: str | None = None
    """Opt-in: the address browsers reach the S3 server at. With it, downloads redirect to a presigned URL there
    and the server no longer checks the bytes' SHA-256 on the way out; without it, every download is streamed
    through the server and checked before its first byte is sent."""
    redis_url: str | None = None
    socketio_channel: str = "edoc"
    """Redis pub/sub channel shared by the processes of one deployment (channels are global to a Redis server)."""
    socketio_ping_interval: int = 25
    socketio_ping_timeout: int = 20
    """Seconds between the server's pings, and how long it waits for the answer before it drops a connection
    (Engine.IO's defaults). Tests of a network cut lower them, so a short cut outlasts the server's patience."""
    async_mode: str = "threading"
    """Socket.IO server mode: threading for ``edoc run``; gevent under gunicorn in production."""
    max_upload_mb: int = 200
    sqlite_busy_timeout_ms: int = 10_000
    """How long a request waits for SQLite's write lock before it gets a 503 "hệ thống đang bận"."""
    db_pool_size: int | None = None
    """Database connections one process keeps open (plus 10 more at peaks). Unset: its share of
    ``db_connections`` (see ``db_pool``). Each request holds a connection from its first query to its end."""
    db_connections: int = 50
    """Connections the web server's worker processes may hold together (EDOC_DB_CONNECTIONS), split evenly
    among the ``workers``; chosen so that the server, the job workers and an operator's psql stay under
    PostgreSQL's max_connections (100 by default; the arithmetic is in docs/production.md)."""
    workers: int = 1
    """Worker processes serving this app on this server (EDOC_WORKERS; ``scripts/serve`` sets it). More than
    one: Socket.IO takes WebSocket only (long-polling would need every request of a client to reach the same
    process) and events cross processes through Redis, so EDOC_REDIS_URL is required."""
    secure_cookies: bool = False
    hsts: bool = False
    """Send Strict-Transport-Security (a year): on by default with secure cookies, as both mean "behind HTTPS"."""
    login_max_failures: int = 5
    login_lockout_minutes: int = 15
    login_max_failures_per_address: int = 30
    """Failed sign-ins from one client address (any usernames) within the lockout window before it waits."""
    trusted_proxies: int = 0
    """How many reverse proxies in front of edoc set X-Forwarded-For/-Proto; 0 trusts none (clients connect
    directly), so a forged header cannot choose the address the sign-in throttle counts."""
    public_url: str = "http://127.0.0.1:5000"
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_sender: str = "edoc@localhost"
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: str | None = None
    tsa_url: str | None = None
    """RFC 3161 timestamp authority: with it every signature is PAdES B-T, and B-LT with revocation data."""
    tsa_username: str | None = None
    tsa_password: str | None = None
    signing_revocation: str = "soft"
    """Revocation check of signers' certificates before signing and when validating: ``off`` (none),
    ``soft`` (use what can be fetched; a responder that does not answer is no refusal) or ``hard``."""
    pkcs11_module: str | None = None
    """Path of a PKCS#11 library (an HSM, or SoftHSM2) whose keys users may sign with."""
    queue_url: str = ""
    """Where background jobs queue (``edoc.jobs``): ``sqlite:///<instance>/queue.sqlite3`` by default (the
    embedded one-process default), ``redis://...`` in production; ``EDOC_REDIS_URL`` when only that is set."""
    queue_setting: str = "EDOC_QUEUE_URL"
    """The setting ``queue_url`` came from, named in start-up errors."""
    queue_name: str = "edoc"
    """Name of the queue within its storage (Redis keys, rows of the SQLite file): one per deployment."""
    queue_threads: int = 2
    """Consumer threads: in the web process of ``edoc run``, and per ``edoc worker`` unless told."""
    job_lease_seconds: int = 60
    """A running job's claim lasts this long unless its worker renews it; a job neither started nor finished
    that long after it was queued is queued again."""
    exchange_transport: str = "folder"
    """edXML exchange (trục liên thông): ``folder`` (a drop box, ``exchange_dir``) or ``http``."""
    exchange_dir: Path | None = None
    exchange_http_url: str | None = None
    exchange_http_token: str | None = None
    exchange_max_mb: int = 50
    """Largest edXML message accepted (base64 makes files a third bigger)."""
    extra: dict[str, object] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, instance_path: Path | None = None) -> Settings:
        env = os.environ if env is None else env
        instance = _folder(env, "EDOC_INSTANCE_PATH", Path(instance_path or Path.cwd() / "instance"))
        database_url = env.get("EDOC_DATABASE_URL") or f"sqlite:///{instance / 'edoc.sqlite3'}"
        try:
            url = make_url(database_url)
        except (ArgumentError, ValueError):  # ValueError: a port that is not a number
            raise ConfigError(f"EDOC_DATABASE_URL={_without_password(database_url)!r} is not a database URL "
                              f"(postgresql://user:password@host:5432/name or sqlite:///path)") from None
        if url.get_backend_name() not in {"sqlite", "postgresql"}:
            raise ConfigError(
                f"EDOC_DATABASE_URL uses {url.get_backend_name()!r}; edoc supports sqlite and postgresql"
            )
        if url.get_backend_name() == "postgresql" and url.drivername == "postgresql":
            # psycopg 3 is the driver we ship; plain postgresql:// would look for psycopg2.
            url = url.set(drivername="postgresql+psycopg")
            database_url = url.render_as_string(hide_password=False)
        _check_driver(url.drivername)

        backend = (env.get("EDOC_STORAGE") or "local").strip().lower()
        if backend not in {"local", "s3"}:
            raise ConfigError(f"EDOC_STORAGE={backend!r}: use local or s3")
        settings = cls(
            instance_path=instance,
            secret_key=env.get("EDOC_SECRET_KEY") or "",
            database_url=database_url,
            storage_backend=backend,
            storage_dir=_folder(env, "EDOC_STORAGE_DIR", instance / "files"),
            s3_endpoint=env.get("EDOC_S3_ENDPOINT") or None,
            s3_access_key=env.get("EDOC_S3_ACCESS_KEY") or None,
            s3_secret_key=env.get("EDOC_S3_SECRET_KEY") or None,
            s3_bucket=env.get("EDOC_S3_BUCKET") or "edoc",
            s3_secure=_bool(env, "EDOC_S3_SECURE", True),
            s3_region=env.get("EDOC_S3_REGION") or None,
            s3_public_url=(env.get("EDOC_S3_PUBLIC_URL") or "").strip().rstrip("/") or None,
            redis_url=env.get("EDOC_REDIS_URL") or None,
            socketio_channel=env.get("EDOC_SOCKETIO_CHANNEL") or "edoc",
            socketio_ping_interval=_int(env, "EDOC_SOCKETIO_PING_INTERVAL", 25),
            socketio_ping_timeout=_int(env, "EDOC_SOCKETIO_PING_TIMEOUT", 20),
            async_mode=(env.get("EDOC_ASYNC_MODE") or "threading").strip().lower(),
            max_upload_mb=_int(env, "EDOC_MAX_UPLOAD_MB", 200),
            sqlite_busy_timeout_ms=_int(env, "EDOC_SQLITE_BUSY_TIMEOUT_MS", 10_000),
            db_pool_size=_int(env, "EDOC_DB_POOL_SIZE", 0) or None,
            db_connections=_int(env, "EDOC_DB_CONNECTIONS", 50, minimum=2),
            workers=_int(env, "EDOC_WORKERS", 1),
            secure_cookies=_bool(env, "EDOC_SECURE_COOKIES", False),
            hsts=_bool(env, "EDOC_HSTS", _bool(env, "EDOC_SECURE_COOKIES", False)),
            login_max_failures=_int(env, "EDOC_LOGIN_MAX_FAILURES", 5),
            login_lockout_minutes=_int(env, "EDOC_LOGIN_LOCKOUT_MINUTES", 15),
            login_max_failures_per_address=_int(env, "EDOC_LOGIN_MAX_FAILURES_PER_ADDRESS", 30),
            trusted_proxies=_int(env, "EDOC_TRUSTED_PROXIES", 0, minimum=0),
            public_url=(env.get("EDOC_PUBLIC_URL") or "http://127.0.0.1:5000").rstrip("/"),
            smtp_host=env.get("EDOC_SMTP_HOST") or None,
            smtp_port=_int(env, "EDOC_SMTP_PORT", 25),
            smtp_sender=env.get("EDOC_SMTP_SENDER") or "edoc@localhost",
            smtp_starttls=_bool(env, "EDOC_SMTP_STARTTLS", False),
            smtp_username=env.get("EDOC_SMTP_USERNAME") or None,
            smtp_password=env.get("EDOC_SMTP_PASSWORD") or None,
            tsa_url=(env.get("EDOC_TSA_URL") or "").strip() or None,
            tsa_username=env.get("EDOC_TSA_USERNAME") or None,
            tsa_password=env.get("EDOC_TSA_PASSWORD") or None,
            signing_revocation=(env.get("EDOC_SIGNING_REVOCATION") or "soft").strip().lower(),
            pkcs11_module=(env.get("EDOC_PKCS11_MODULE") or "").strip() or None,
            queue_name=(env.get("EDOC_QUEUE_NAME") or "edoc").strip() or "edoc",
            queue_threads=_int(env, "EDOC_QUEUE_THREADS", 2),
            job_lease_seconds=_int(env, "EDOC_JOB_LEASE_SECONDS", 60, minimum=2),
            exchange_transport=(env.get("EDOC_EXCHANGE_TRANSPORT") or "folder").strip().lower(),
            exchange_dir=_folder(env, "EDOC_EXCHANGE_DIR", instance / "exchange"),
            exchange_http_url=(env.get("EDOC_EXCHANGE_HTTP_URL") or "").strip() or None,
            exchange_http_token=env.get("EDOC_EXCHANGE_HTTP_TOKEN") or None,
            exchange_max_mb=_int(env, "EDOC_EXCHANGE_MAX_MB", 50),
        )
        settings.queue_url, settings.queue_setting = _queue_url(env, instance)
        if settings.exchange_transport not in {"folder", "http"}:
            raise ConfigError(f"EDOC_EXCHANGE_TRANSPORT={settings.exchange_transport!r}: use folder or http")
        if settings.exchange_transport == "http" and not (settings.exchange_http_url or "").startswith(
                ("http://", "https://")):
            raise ConfigError("EDOC_EXCHANGE_HTTP_URL (http:// or https://) is required with "
                              "EDOC_EXCHANGE_TRANSPORT=http")
        if backend == "s3":
            for name, value in (
                ("EDOC_S3_ENDPOINT", settings.s3_endpoint),
                ("EDOC_S3_ACCESS_KEY", settings.s3_access_key),
                ("EDOC_S3_SECRET_KEY", settings.s3_secret_key),
            ):
                if not value:
                    raise ConfigError(f"{name} is required when EDOC_STORAGE=s3")
        if settings.s3_public_url:
            parts = urlsplit(settings.s3_public_url)
            if backend != "s3":
                raise ConfigError("EDOC_S3_PUBLIC_URL is set but EDOC_STORAGE is not s3")
            if parts.scheme not in {"http", "https"} or not parts.netloc or parts.path or parts.query:
                raise ConfigError(f"EDOC_S3_PUBLIC_URL={settings.s3_public_url!r} is not http(s)://host[:port] "
                                  f"(no path): the address browsers reach the S3 server at")
        if settings.async_mode not in {"threading", "gevent"}:
            raise ConfigError(f"EDOC_ASYNC_MODE={settings.async_mode!r}: use threading or gevent")
        if settings.tsa_url and not settings.tsa_url.startswith(("http://", "https://")):
            raise ConfigError(f"EDOC_TSA_URL={settings.tsa_url!r} is not an http:// or https:// URL")
        if settings.signing_revocation not in {"off", "soft", "hard"}:
            raise ConfigError(f"EDOC_SIGNING_REVOCATION={settings.signing_revocation!r}: use off, soft or hard")
        if settings.pkcs11_module and not Path(settings.pkcs11_module).is_file():
            raise ConfigError(f"EDOC_PKCS11_MODULE={settings.pkcs11_module!r}: no such library file")
        if settings.redis_url and not settings.redis_url.startswith(("redis://", "rediss://", "unix://")):
            raise ConfigError(f"EDOC_REDIS_URL={settings.redis_url!r} is not a redis:// URL")
        if settings.workers > 1 and not settings.redis_url:
            raise ConfigError(f"EDOC_WORKERS={settings.workers} needs EDOC_REDIS_URL: an event one worker process "
                              f"emits reaches the pages connected to the others only through Redis "
                              f"(set EDOC_REDIS_URL=redis://host:6379/0, or EDOC_WORKERS=1)")
        return settings

    @property
    def socket_transports(self) -> list[str]:
        """Socket.IO transports the server accepts and the pages use: WebSocket only with several worker
        processes, since a long-polling client's requests would land on different processes that do not know
        its session; with one process long-polling stays as the fallback for networks that block WebSocket."""
        return ["websocket"] if self.workers > 1 else ["websocket", "polling"]

    def db_pool(self) -> tuple[int, int]:
        """(pool_size, max_overflow) of one process's database pool: EDOC_DB_POOL_SIZE (+10) if set, else this
        process's share of ``db_connections``, a fifth of it kept for peaks: 1 worker 40 + 10 (what one process
        needed for 100 users at once), 2 workers 20 + 5 each, 4 workers 10 + 2 each."""
        if self.db_pool_size:
            return self.db_pool_size, 10
        share = max(2, self.db_connections // self.workers)
        return share - share // 5, share // 5

    def resolve_secret_key(self) -> str:
        """The configured key, or one generated once and kept in the instance folder (embedded default)."""
        if self.secret_key:
            if len(self.secret_key) < 16:
                raise ConfigError("EDOC_SECRET_KEY is too short (at least 16 characters)")
            return self.secret_key
        path = self.instance_path / "secret_key"
        try:
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                # Written whole under a private temporary name (mkstemp: mode 0600), then linked into place: two
                # processes starting at once keep one key between them, and neither reads a half-written file.
                fd, partial = tempfile.mkstemp(dir=path.parent, prefix=".secret_key-")
                try:
                    with os.fdopen(fd, "w") as out:
                        out.write(secrets.token_urlsafe(48))
                    try:
                        os.link(partial, path)
                    except FileExistsError:
                        pass  # another process was first: its key is the one
                    except OSError:
                        os.replace(partial, path)  # a filesystem without hard links: the last one wins
                finally:
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(partial)
            self.secret_key = path.read_text().strip()
        except OSError as exc:
            raise ConfigError(f"EDOC_INSTANCE_PATH {self.instance_path}: cannot keep the generated secret key in "
                              f"{path.name} ({exc.strerror or exc}); make the folder writable or set "
                              f"EDOC_SECRET_KEY") from None
        if len(self.secret_key) < 16:
            raise ConfigError(f"EDOC_INSTANCE_PATH {self.instance_path}: {path.name} holds no usable key (fewer "
                              f"than 16 characters); delete it to have one generated, or set EDOC_SECRET_KEY")
        return self.secret_key

    def create_instance_path(self) -> None:
        try:
            self.instance_path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"EDOC_INSTANCE_PATH {self.instance_path} cannot be created: "
                              f"{exc.strerror or exc}") from None


def _queue_url(env: Mapping[str, str], instance: Path) -> tuple[str, str]:
    """(URL, the setting it came from). A dedicated EDOC_QUEUE_URL wins; else the deployment's Redis
    (EDOC_REDIS_URL), which every process of a production deployment already shares; else a SQLite file in the
    instance folder, which the one process of the embedded default consumes itself."""
    raw = (env.get("EDOC_QUEUE_URL") or "").strip()
    if raw:
        if raw.startswith(("redis://", "rediss://", "unix://")):
            return raw, "EDOC_QUEUE_URL"
        if raw.startswith("sqlite:///") and len(raw) > len("sqlite:///"):
            return raw, "EDOC_QUEUE_URL"
        raise ConfigError(f"EDOC_QUEUE_URL={_without_password(raw)!r}: use redis://host:6379/0 or "
                          f"sqlite:///path/queue.sqlite3")
    redis_url = (env.get("EDOC_REDIS_URL") or "").strip()
    if redis_url:
        return redis_url, "EDOC_QUEUE_URL (from EDOC_REDIS_URL)"
    return f"sqlite:///{instance / 'queue.sqlite3'}", "EDOC_QUEUE_URL"


def templates_folder() -> Path:
    """The Jinja2 templates, web pages and rendered documents alike. An installed wheel carries them inside the
    package (pyproject.toml maps templates/ to edoc/templates); a checkout, editable installs included, keeps them
    at the top of the repository beside edoc/."""
    for candidate in (_PACKAGE / "templates", _PACKAGE.parent / "templates"):
        if (candidate / "base.html").is_file():
            return candidate
    raise RuntimeError(f"edoc's templates are missing: neither {_PACKAGE / 'templates'} (an installed wheel) nor "
                       f"{_PACKAGE.parent / 'templates'} (a checkout) holds base.html; reinstall edoc")


def _check_driver(drivername: str) -> None:
    """Load the database driver now: a missing or unknown one would otherwise fail at the first connection
    with an ImportError far from the setting that chose it."""
    try:
        dialect = make_url(f"{drivername}://").get_dialect()
        dialect.import_dbapi()
    except (ArgumentError, ImportError) as exc:
        raise ConfigError(f"EDOC_DATABASE_URL uses the driver {drivername!r}, which cannot be loaded ({exc}); "
                          f"use postgresql:// (psycopg 3) or sqlite:///") from None
    if dialect.is_async:
        raise ConfigError(f"EDOC_DATABASE_URL uses the asynchronous driver {drivername!r}; use postgresql:// "
                          f"(psycopg 3) or sqlite:///")
