"""The application factory: explicit configuration, checked dependencies, registered packages.

The one module that gathers every package (and the one place edoc imports meetings). Some modules are imported
for what importing them does (``noqa: F401``): a package's models put its tables on the metadata (Alembic,
``create_all``), its api module attaches its routes to the API blueprint, ``incoming.ocr`` and ``tasks.jobs``
register their jobs with the queue."""

from __future__ import annotations

import functools
import logging
from datetime import datetime
from pathlib import Path

from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from flask import Flask, Response, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import Connection, inspect, text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.middleware.proxy_fix import ProxyFix

import edoc.accounts.models
import edoc.audit.models
import edoc.calendar.models
import edoc.contacts.api
import edoc.contacts.models
import edoc.documents.api
import edoc.exchange.api
import edoc.exchange.models
import edoc.files.models
import edoc.incoming.api
import edoc.incoming.models
import edoc.incoming.ocr
import edoc.jobs.models
import edoc.notifications.models
import edoc.organisations.models
import edoc.registers.api
import edoc.registers.models
import edoc.search.api
import edoc.search.models as search_models
import edoc.signatures.api
import edoc.signatures.models
import edoc.tasks.jobs
import edoc.tasks.models  # noqa: F401
import storage
from edoc import jobs
from edoc.accounts import sessions
from edoc.accounts.models import ROLE_LABELS, Role, User
from edoc.accounts.policy import register_file_rules
from edoc.accounts.views import add_to_profile
from edoc.accounts.views import bp as accounts_bp
from edoc.admin.views import bp as admin_bp
from edoc.api import bp as api_bp
from edoc.calendar.views import bp as calendar_bp
from edoc.commands import register_commands
from edoc.config import Settings, templates_folder
from edoc.contacts.views import bp as contacts_bp
from edoc.core.clock import VIETNAM, vietnam_time
from edoc.core.db import configure_engine_events, db
from edoc.core.errors import ConfigError
from edoc.core.forms import IdConverter
from edoc.core.headers import register_security_headers
from edoc.core.http import SIGN_IN_FIRST, error_response, register_error_handlers, wants_json
from edoc.core.serving import WholeBodies, configure_signing_loops
from edoc.documents import register_rows
from edoc.documents.files import register_rules
from edoc.documents.indexing import register_indexer
from edoc.documents.signing_views import bp as signing_bp
from edoc.documents.views import bp as documents_bp
from edoc.exchange import incoming as exchange_incoming
from edoc.exchange.cli import exchange_group
from edoc.exchange.views import bp as exchange_bp
from edoc.extensions import babel, csrf, login_manager, migrate
from edoc.files.views import bp as files_bp
from edoc.home.views import bp as home_bp
from edoc.incoming.cli import incoming_group
from edoc.incoming.delivery import register_hooks as register_incoming_hooks
from edoc.incoming.files import register_rules as register_incoming_rules
from edoc.incoming.indexing import register_indexer as register_incoming_indexer
from edoc.incoming.views import bp as incoming_bp
from edoc.notifications.service import unread_count
from edoc.notifications.views import bp as notifications_bp
from edoc.realtime.server import create_socketio
from edoc.registers.views import bp as registers_bp
from edoc.search import index as search_index
from edoc.search.cli import search_group
from edoc.search.views import bp as search_bp
from edoc.signatures import credentials
from edoc.signatures.labels import in_vietnamese
from edoc.signatures.views import bp as signatures_bp
from meetings import init_app as init_meetings

TEMPLATES = templates_folder()
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def create_app(settings: Settings | None = None, *, check_services: bool = True,
               async_mode: str | None = None, check_schema: bool = True) -> Flask:
    """Build the app. With ``check_services`` the database, object store and Redis are reached once, so a
    bad or unreachable setting fails here with a message naming it (``ConfigError``), and the database must be
    migrated to the code's head revision; ``check_schema=False`` is for ``edoc db ...``, which migrates it."""
    settings = settings or Settings.from_env()
    settings.create_instance_path()
    app = Flask("edoc", root_path=str(Path(__file__).resolve().parent), template_folder=str(TEMPLATES),
                static_folder="static", instance_path=str(settings.instance_path))
    # Before any blueprint registers: every <int:...> route then only matches ids a database column can hold.
    app.url_map.converters["int"] = IdConverter
    app.config.update(
        EDOC=settings,
        SECRET_KEY=settings.resolve_secret_key(),
        SQLALCHEMY_DATABASE_URI=settings.database_url,
        SQLALCHEMY_ENGINE_OPTIONS=_engine_options(settings),
        MAX_CONTENT_LENGTH=settings.max_upload_mb * 1024 * 1024,
        # Werkzeug keeps form parts this size in memory; file parts spool to disk beyond 500 kB.
        MAX_FORM_MEMORY_SIZE=2 * 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        SESSION_COOKIE_NAME="edoc_session",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=settings.secure_cookies,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_DURATION=sessions.REMEMBER_LIFETIME,
        PERMANENT_SESSION_LIFETIME=8 * 3600,
        WTF_CSRF_TIME_LIMIT=8 * 3600,
        BABEL_DEFAULT_LOCALE="vi",
        BABEL_DEFAULT_TIMEZONE=VIETNAM.key,
        BABEL_TRANSLATION_DIRECTORIES=str(Path(__file__).resolve().parent / "translations"),
        JSON_AS_ASCII=False,
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # a line per rendering step and per font subset, and pikepdf's note that its logger bridge started: noise in our log
    for chatty in ("weasyprint", "fontTools", "pikepdf"):
        logging.getLogger(chatty).setLevel(logging.WARNING)

    db.init_app(app)
    with app.app_context():
        configure_engine_events(db.engine, sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    # the search index's database-specific parts (FTS5 table, tsvector column) are the migration's, not the models'
    migrate.init_app(app, db, directory=str(MIGRATIONS), render_as_batch=True, compare_type=True,
                     include_object=search_models.schema_filter, include_name=search_models.include_name)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    _init_login(app)
    app.extensions["edoc_store"] = build_store(settings)
    jobs.init_app(app, settings)


    create_socketio(app, message_queue=settings.redis_url, channel=settings.socketio_channel,
                    async_mode=async_mode or settings.async_mode, transports=settings.socket_transports,
                    ping=(settings.socketio_ping_interval, settings.socketio_ping_timeout))

    # Around Socket.IO and the app: nothing runs (and nothing is locked) until the request body has arrived.
    app.wsgi_app = WholeBodies(app.wsgi_app, max_bytes=app.config["MAX_CONTENT_LENGTH"])  # type: ignore[method-assign]
    configure_signing_loops()

    if settings.trusted_proxies:
        # Outermost, after Socket.IO wrapped the app: pages, sockets and the sign-in throttle see the client's
        # address and scheme as the trusted proxies report them.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies,  # type: ignore[method-assign]
                                x_proto=settings.trusted_proxies)

    _register_blueprints(app)
    register_error_handlers(app)
    register_security_headers(app, hsts=settings.hsts)
    _register_template_helpers(app)

    if check_services:
        check_dependencies(app, check_schema=check_schema)
    return app


def _engine_options(settings: Settings) -> dict[str, object]:
    """The connection pool, opened as needed: one process's share of the server's connections
    (``Settings.db_pool``: 40 + 10 for one process). Each request holds one from its first query to its end, and one
    process serves every concurrent request (gunicorn's gevent worker, or ``edoc run``'s threads): with
    SQLAlchemy's default 5 + 10, a crowd of 100 waited past the pool's 30 s and got 500s on both servers."""
    pool_size, max_overflow = settings.db_pool()
    return {"pool_pre_ping": True, "pool_size": pool_size, "max_overflow": max_overflow}


def build_store(settings: Settings) -> storage.ObjectStore:
    """The configured store; a setting it refuses (an endpoint that is not host:port, ...) is a ConfigError, as
    in ``check_dependencies``: the store's messages already name the setting."""
    try:
        if settings.storage_backend == "s3":
            return storage.S3Store(
                endpoint=settings.s3_endpoint or "", access_key=settings.s3_access_key or "",
                secret_key=settings.s3_secret_key or "", bucket=settings.s3_bucket, secure=settings.s3_secure,
                region=settings.s3_region, public_url=settings.s3_public_url,
            )
        assert settings.storage_dir is not None
        return storage.LocalStore(settings.storage_dir)
    except storage.StorageUnavailable as exc:
        raise ConfigError(str(exc)) from None


def check_dependencies(app: Flask, *, check_schema: bool = True) -> None:
    settings: Settings = app.config["EDOC"]
    with app.app_context():
        safe_url = db.engine.url.render_as_string(hide_password=True)
        try:
            with db.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
                current = _current_revisions(conn) if check_schema else None
        except SQLAlchemyError as exc:
            reason = str(exc.orig if getattr(exc, "orig", None) else exc).strip().splitlines()[0]
            raise ConfigError(f"EDOC_DATABASE_URL: cannot connect to {safe_url}: {reason}") from None
    if current is not None:
        _check_revision(current, safe_url)
    try:
        app.extensions["edoc_store"].check()
    except storage.StorageUnavailable as exc:
        raise ConfigError(str(exc)) from None
    jobs.queue_of(app).check()
    if settings.redis_url:
        import redis

        try:
            redis.Redis.from_url(settings.redis_url, socket_connect_timeout=3).ping()
        except (redis.RedisError, OSError, ValueError) as exc:
            raise ConfigError(f"EDOC_REDIS_URL: cannot reach {settings.redis_url}: {exc}") from None


def _current_revisions(conn: Connection) -> set[str]:
    # Read directly rather than through alembic's MigrationContext, which logs two INFO lines per start.
    if not inspect(conn).has_table("alembic_version"):
        return set()
    return set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())


@functools.cache
def _migration_revisions() -> tuple[frozenset[str], frozenset[str]]:
    """(head revisions, every known revision) of the migrations shipped with this code."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    scripts = ScriptDirectory.from_config(config)
    return frozenset(scripts.get_heads()), frozenset(r.revision for r in scripts.walk_revisions())


def _check_revision(current: set[str], safe_url: str) -> None:
    """A database behind the code fails at the first query of a new column, in the middle of somebody's work;
    one that is ahead (migrated by a newer release) may lack what this code expects. Both stop here instead."""
    heads, known = _migration_revisions()
    if current == heads:
        return
    prefix = f"EDOC_DATABASE_URL: the database at {safe_url}"
    if not current:
        raise ConfigError(f"{prefix} is not migrated (no edoc schema yet): run `edoc db upgrade`")
    if current <= known:
        raise ConfigError(f"{prefix} is at revision {', '.join(sorted(current))}, this code needs "
                          f"{', '.join(sorted(heads))}: run `edoc db upgrade`")
    raise ConfigError(f"{prefix} is at revision {', '.join(sorted(current))}, which this version of edoc does "
                      f"not know (migrated by a newer release?): run the matching release, or `edoc db upgrade` "
                      f"after updating edoc")


def _select_locale() -> str:
    lang = request.cookies.get("lang", "vi") if request else "vi"
    return lang if lang in {"vi", "en"} else "vi"


def _init_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"

    @login_manager.unauthorized_handler
    def _unauthorized() -> Response | tuple[Response | str, int]:
        # Nothing is written to the session here (Flask-Login's default flashes a message, which does): a request
        # sent with a session that has just ended (a tab open while the password was changed in another) would
        # write its stale cookie back over the fresh one this browser has meanwhile been given. The login page
        # says why from its ``next`` argument instead; a script asking for JSON gets a 401.
        if wants_json():
            return error_response(401, SIGN_IN_FIRST, "unauthenticated")
        return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))

    @login_manager.user_loader
    def _load(user_id: str) -> User | None:
        return sessions.load(user_id)


def _register_blueprints(app: Flask) -> None:
    register_rules()
    search_index.install()
    exchange_incoming.install()
    register_indexer()
    register_rows.install()
    register_file_rules()
    add_to_profile(credentials.profile_part)
    register_incoming_rules()
    register_incoming_indexer()
    register_incoming_hooks()
    for bp in (home_bp, accounts_bp, admin_bp, files_bp, notifications_bp, contacts_bp, documents_bp, signing_bp,
               registers_bp, signatures_bp, calendar_bp, search_bp, incoming_bp, exchange_bp):
        app.register_blueprint(bp)

    # The one place edoc imports meetings: it registers its pages and attaches its API routes to edoc's API
    # blueprint, so before that registers.
    init_meetings(app)
    csrf.exempt(api_bp)  # the API takes bearer tokens only, never the session cookie
    app.register_blueprint(api_bp)
    register_commands(app)
    app.cli.add_command(search_group)
    app.cli.add_command(exchange_group)
    app.cli.add_command(incoming_group)


def _register_template_helpers(app: Flask) -> None:
    @app.context_processor
    def _globals() -> dict[str, object]:
        unread = 0
        if current_user.is_authenticated:
            unread = unread_count(current_user.id)
        return {"Role": Role, "ROLE_LABELS": ROLE_LABELS, "unread_notifications": unread}

    @app.template_filter("datetimeformat")
    def _datetimeformat(value: datetime | str | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
        """dd/mm/yyyy HH:MM on the Vietnam clock, from a datetime or an ISO 8601 string (kept reports)."""
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                return value
        return "" if value is None else vietnam_time(value).strftime(fmt)


    app.add_template_filter(in_vietnamese, "vi")
