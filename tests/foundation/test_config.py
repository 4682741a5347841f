"""A bad or unreachable setting fails at start-up with a message that names the setting."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import sysconfig
import uuid
import zipfile
from pathlib import Path

import pytest

from edoc.app import create_app
from edoc.config import Settings
from edoc.core.errors import ConfigError
from tests.support.components import free_port, missing

ROOT = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"EDOC_SECRET_KEY": "k" * 32, "EDOC_INSTANCE_PATH": str(tmp_path), **extra}


def test_embedded_defaults(tmp_path):
    settings = Settings.from_env({"EDOC_INSTANCE_PATH": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path / 'edoc.sqlite3'}"
    assert settings.storage_backend == "local" and settings.storage_dir == tmp_path / "files"
    assert settings.redis_url is None and settings.async_mode == "threading"
    # the secret key is generated once and kept
    again = Settings.from_env({"EDOC_INSTANCE_PATH": str(tmp_path)})
    assert settings.resolve_secret_key() == again.resolve_secret_key()


def test_plain_postgresql_url_uses_psycopg3(tmp_path):
    settings = Settings.from_env(_env(tmp_path, EDOC_DATABASE_URL="postgresql://u:p@db:5432/edoc"))
    assert settings.database_url.startswith("postgresql+psycopg://u:p@db:5432/edoc")


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ({"EDOC_DATABASE_URL": "not a url"}, "EDOC_DATABASE_URL"),
        ({"EDOC_DATABASE_URL": "mysql://x@y/z"}, "EDOC_DATABASE_URL"),
        ({"EDOC_STORAGE": "ftp"}, "EDOC_STORAGE"),
        ({"EDOC_STORAGE": "s3"}, "EDOC_S3_ENDPOINT"),
        ({"EDOC_STORAGE": "s3", "EDOC_S3_ENDPOINT": "127.0.0.1:9000"}, "EDOC_S3_ACCESS_KEY"),
        ({"EDOC_S3_SECURE": "maybe"}, "EDOC_S3_SECURE"),
        ({"EDOC_MAX_UPLOAD_MB": "lots"}, "EDOC_MAX_UPLOAD_MB"),
        ({"EDOC_REDIS_URL": "http://redis"}, "EDOC_REDIS_URL"),
        ({"EDOC_QUEUE_URL": "amqp://rabbit"}, "EDOC_QUEUE_URL='amqp://rabbit': use redis://"),
        ({"EDOC_QUEUE_THREADS": "0"}, "EDOC_QUEUE_THREADS"),
        ({"EDOC_JOB_LEASE_SECONDS": "1"}, "EDOC_JOB_LEASE_SECONDS"),
        ({"EDOC_ASYNC_MODE": "eventlet"}, "EDOC_ASYNC_MODE"),
        ({"EDOC_S3_PUBLIC_URL": "https://files.example.vn"}, "EDOC_S3_PUBLIC_URL is set but EDOC_STORAGE is not s3"),
        ({"EDOC_STORAGE": "s3", "EDOC_S3_ENDPOINT": "minio:9000", "EDOC_S3_ACCESS_KEY": "a", "EDOC_S3_SECRET_KEY": "b",
          "EDOC_S3_PUBLIC_URL": "files.example.vn"}, "EDOC_S3_PUBLIC_URL='files.example.vn' is not http"),
        ({"EDOC_STORAGE": "s3", "EDOC_S3_ENDPOINT": "minio:9000", "EDOC_S3_ACCESS_KEY": "a", "EDOC_S3_SECRET_KEY": "b",
          "EDOC_S3_PUBLIC_URL": "https://example.vn/s3"}, "EDOC_S3_PUBLIC_URL='https://example.vn/s3' is not http"),
    ],
)
def test_bad_settings_are_named(tmp_path, extra, named):
    with pytest.raises(ConfigError, match=named):
        Settings.from_env(_env(tmp_path, **extra))


def test_short_secret_key_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="EDOC_SECRET_KEY"):
        create_app(Settings.from_env({"EDOC_SECRET_KEY": "short", "EDOC_INSTANCE_PATH": str(tmp_path)}))


def test_unreachable_database_is_named(tmp_path):
    port = free_port()
    settings = Settings.from_env(_env(tmp_path, EDOC_DATABASE_URL=f"postgresql://postgres@127.0.0.1:{port}/x"))
    with pytest.raises(ConfigError, match="EDOC_DATABASE_URL: cannot connect"):
        create_app(settings)


def _migrated(tmp_path: Path, template: Path) -> str:
    shutil.copy(template, tmp_path / "edoc.sqlite3")
    return f"sqlite:///{tmp_path / 'edoc.sqlite3'}"


def test_unreachable_s3_is_named(tmp_path, sqlite_template):
    port = free_port()
    settings = Settings.from_env(_env(
        tmp_path, EDOC_DATABASE_URL=_migrated(tmp_path, sqlite_template), EDOC_STORAGE="s3",
        EDOC_S3_ENDPOINT=f"127.0.0.1:{port}", EDOC_S3_ACCESS_KEY="a",
        EDOC_S3_SECRET_KEY="b", EDOC_S3_SECURE="false"))
    with pytest.raises(ConfigError, match="EDOC_S3_ENDPOINT"):
        create_app(settings)


def test_unreachable_redis_is_named(tmp_path, sqlite_template):
    port = free_port()
    settings = Settings.from_env(_env(tmp_path, EDOC_DATABASE_URL=_migrated(tmp_path, sqlite_template),
                                      EDOC_REDIS_URL=f"redis://127.0.0.1:{port}/0"))
    with pytest.raises(ConfigError, match="EDOC_REDIS_URL"):
        create_app(settings)


def test_the_queue_defaults_to_a_file_in_the_instance_folder_or_the_deployments_redis(tmp_path):
    embedded = Settings.from_env(_env(tmp_path))
    assert embedded.queue_url == f"sqlite:///{embedded.instance_path / 'queue.sqlite3'}"
    shared = Settings.from_env(_env(tmp_path, EDOC_REDIS_URL="redis://redis:6379/0"))
    assert (shared.queue_url, shared.queue_setting) == ("redis://redis:6379/0", "EDOC_QUEUE_URL (from EDOC_REDIS_URL)")
    own = Settings.from_env(_env(tmp_path, EDOC_REDIS_URL="redis://redis:6379/0", EDOC_QUEUE_URL="redis://q:6379/1"))
    assert (own.queue_url, own.queue_setting) == ("redis://q:6379/1", "EDOC_QUEUE_URL")


def test_unreachable_job_queue_is_named(tmp_path, sqlite_template):
    port = free_port()
    settings = Settings.from_env(_env(tmp_path, EDOC_DATABASE_URL=_migrated(tmp_path, sqlite_template),
                                      EDOC_QUEUE_URL=f"redis://127.0.0.1:{port}/0"))
    with pytest.raises(ConfigError, match=f"EDOC_QUEUE_URL: cannot reach the job queue at redis://127.0.0.1:{port}/0"):
        create_app(settings)


def test_command_line_reports_a_bad_setting_without_a_traceback(tmp_path):
    port = free_port()
    env = {**os.environ, **_env(tmp_path, EDOC_DATABASE_URL=f"postgresql://postgres@127.0.0.1:{port}/x")}
    result = subprocess.run([sys.executable, "-m", "edoc", "demo"], env=env, cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 2
    assert "EDOC_DATABASE_URL: cannot connect" in result.stderr
    assert "Traceback" not in result.stderr


BAD_SETTING = "edoc: cấu hình sai / bad setting: "


def _edoc(env: dict[str, str], *args: str, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*prefix, sys.executable, "-m", "edoc", *args], env={**os.environ, **env}, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def _one_line_naming(result: subprocess.CompletedProcess[str], expected: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith(BAD_SETTING) and expected in line, line


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        # make_url raises ValueError, not ArgumentError, for a port that is not a number; the password stays hidden
        ({"EDOC_DATABASE_URL": "postgresql://u:hunter2@h:abc/db"},
         "EDOC_DATABASE_URL='postgresql://u:***@h:abc/db' is not a database URL"),
        ({"EDOC_DATABASE_URL": "postgresql+nosuchdriver://u@h/db"},
         "EDOC_DATABASE_URL uses the driver 'postgresql+nosuchdriver', which cannot be loaded"),
        # refused by the store's constructor, before check_dependencies reaches it
        ({"EDOC_STORAGE": "s3", "EDOC_S3_ENDPOINT": "host:notaport", "EDOC_S3_ACCESS_KEY": "a",
          "EDOC_S3_SECRET_KEY": "b"}, "EDOC_S3_ENDPOINT 'host:notaport' is not host:port"),
        ({"EDOC_INSTANCE_PATH": "{file}/instance"}, "EDOC_INSTANCE_PATH {file}/instance cannot be created: "),
        ({"EDOC_STORAGE_DIR": "{file}/files"}, "EDOC_STORAGE_DIR {file}/files is not writable: "),
        ({"EDOC_QUEUE_URL": "sqlite:///{file}/queue.sqlite3"},
         "EDOC_QUEUE_URL: cannot open the job queue's SQLite file {file}/queue.sqlite3: the folder {file} does not "
         "exist"),
        ({"EDOC_QUEUE_URL": "redis://127.0.0.1:{port}/0"},
         "EDOC_QUEUE_URL: cannot reach the job queue at redis://127.0.0.1:{port}/0: "),
        ({"EDOC_REDIS_URL": "redis://127.0.0.1:{port}/0"},
         "EDOC_QUEUE_URL (from EDOC_REDIS_URL): cannot reach the job queue at redis://127.0.0.1:{port}/0: "),
    ],
    ids=["port-not-a-number", "unknown-driver", "s3-endpoint-not-host-port", "instance-uncreatable",
         "storage-dir-uncreatable", "queue-file-folder-missing", "queue-redis-unreachable",
         "queue-from-redis-url-unreachable"],
)
def test_command_line_names_a_setting_that_cannot_be_used(tmp_path, sqlite_template, extra, expected):
    a_file = tmp_path / "a-file"  # a folder cannot be made inside a file, even by root
    a_file.write_text("")
    port = free_port()  # nobody listens there
    env = {"EDOC_DATABASE_URL": _migrated(tmp_path, sqlite_template),
           **_env(tmp_path, **{k: v.format(file=a_file, port=port) for k, v in extra.items()})}
    result = _edoc(env, "demo")
    _one_line_naming(result, expected.format(file=a_file, port=port))
    assert "hunter2" not in result.stderr


def test_command_line_names_an_instance_folder_where_the_secret_key_cannot_be_written(tmp_path, sqlite_template):
    instance = tmp_path / "read-only-instance"
    instance.mkdir()
    instance.chmod(0o555)
    env = {**_env(tmp_path, EDOC_INSTANCE_PATH=str(instance), EDOC_DATABASE_URL=_migrated(tmp_path, sqlite_template)),
           "EDOC_SECRET_KEY": ""}
    prefix: tuple[str, ...] = ()
    if os.geteuid() == 0:
        # root writes through permission bits only by CAP_DAC_OVERRIDE; without it the folder is read-only to root
        # too (as in tests/storage/test_local.py), so the test means the same in a CI container as anywhere.
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            missing("setpriv", "needed to drop root's CAP_DAC_OVERRIDE (Debian util-linux)")
        prefix = (str(setpriv), "--bounding-set=-dac_override,-dac_read_search", "--")
    try:
        result = _edoc(env, "demo", prefix=prefix)
    finally:
        instance.chmod(0o755)
    _one_line_naming(result, f"EDOC_INSTANCE_PATH {instance}: cannot keep the generated secret key in secret_key "
                             f"(Permission denied); make the folder writable or set EDOC_SECRET_KEY")
    assert list(instance.iterdir()) == []


def test_a_generated_secret_key_is_private_to_its_owner(tmp_path):
    settings = Settings.from_env({"EDOC_INSTANCE_PATH": str(tmp_path)})
    assert len(settings.resolve_secret_key()) >= 16
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def _sqlite_env(tmp_path: Path, db_file: Path) -> dict[str, str]:
    return _env(tmp_path, EDOC_DATABASE_URL=f"sqlite:///{db_file}", EDOC_STORAGE_DIR=str(tmp_path / "files"))


def test_a_database_that_was_never_migrated_is_refused_at_start_up(tmp_path):
    settings = Settings.from_env(_sqlite_env(tmp_path, tmp_path / "empty.sqlite3"))
    with pytest.raises(ConfigError) as refused:
        create_app(settings)
    message = str(refused.value)
    assert message.startswith("EDOC_DATABASE_URL: the database at sqlite:///") and "is not migrated" in message
    assert message.endswith("run `edoc db upgrade`")
    # The commands that migrate it build the app without that check.
    app = create_app(Settings.from_env(_sqlite_env(tmp_path, tmp_path / "empty.sqlite3")), check_schema=False)
    from edoc.core.db import db

    with app.app_context():
        db.engine.dispose()


def test_a_database_behind_or_ahead_of_the_code_is_refused(tmp_path, sqlite_template):
    from edoc.app import _migration_revisions

    heads, known = _migration_revisions()
    [head] = heads
    older = sorted(known - heads)[-1]
    for revision, expected in [(older, f"is at revision {older}, this code needs {head}: run `edoc db upgrade`"),
                               ("ffff0000", "is at revision ffff0000, which this version of edoc does not know")]:
        db_file = tmp_path / f"{revision}.sqlite3"
        shutil.copy(sqlite_template, db_file)
        with sqlite3.connect(db_file) as conn:
            conn.execute("UPDATE alembic_version SET version_num = ?", (revision,))
        with pytest.raises(ConfigError, match="EDOC_DATABASE_URL: the database at ") as refused:
            create_app(Settings.from_env(_sqlite_env(tmp_path, db_file)))
        assert expected in str(refused.value)


@pytest.mark.postgres
def test_an_empty_postgresql_database_is_refused(tmp_path, postgres_database):
    from sqlalchemy import create_engine, text

    from tests.support.components import postgres_url

    name = f"edoc_empty_{uuid.uuid4().hex[:8]}"
    admin = create_engine(f"{postgres_url()}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        settings = Settings.from_env(_env(tmp_path, EDOC_DATABASE_URL=f"{postgres_url()}/{name}"))
        with pytest.raises(ConfigError, match=r"EDOC_DATABASE_URL: the database at postgresql\+psycopg://.* is not "
                                              r"migrated \(no edoc schema yet\): run `edoc db upgrade`"):
            create_app(settings)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_edoc_db_upgrade_migrates_what_the_other_commands_refuse(tmp_path):
    env = {**os.environ, **_sqlite_env(tmp_path, tmp_path / "fresh.sqlite3")}

    def edoc(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "edoc", *args], env=env, cwd=ROOT, capture_output=True,
                              text=True, timeout=120)

    refused = edoc("demo")
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "EDOC_DATABASE_URL: the database at sqlite:///" in refused.stderr
    assert "run `edoc db upgrade`" in refused.stderr
    upgraded = edoc("db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    # What scripts/start and the Dockerfile run next now passes the check (`edoc demo` itself: test_demo).
    from edoc.app import _migration_revisions

    with sqlite3.connect(tmp_path / "fresh.sqlite3") as conn:
        assert {r for (r,) in conn.execute("SELECT version_num FROM alembic_version")} == _migration_revisions()[0]
    create_app(Settings.from_env(_sqlite_env(tmp_path, tmp_path / "fresh.sqlite3")))


def test_health_check_answers_503_naming_the_database_once_it_is_down(tmp_path, sqlite_template):
    from edoc.core.db import db

    db_file = tmp_path / "edoc.sqlite3"
    shutil.copy(sqlite_template, db_file)
    app = create_app(Settings.from_env(_sqlite_env(tmp_path, db_file)))
    client = app.test_client()
    ok = client.get("/healthz")
    assert (ok.status_code, ok.json) == (200, {"status": "ok"})
    # The database goes away under the running app: its file becomes a folder, which SQLite cannot open.
    with app.app_context():
        db.engine.dispose()
    db_file.unlink()
    db_file.mkdir()
    down = client.get("/healthz")
    assert (down.status_code, down.json) == (503, {"status": "unavailable", "down": ["database"]})
    # A server that does not answer at all (started without the start-up check, as a container may be).
    unreachable = create_app(Settings.from_env(_env(
        tmp_path, EDOC_DATABASE_URL=f"postgresql://postgres@127.0.0.1:{free_port()}/x",
        EDOC_STORAGE_DIR=str(tmp_path / "files"))), check_services=False)
    down = unreachable.test_client().get("/healthz")
    assert (down.status_code, down.json) == (503, {"status": "unavailable", "down": ["database"]})


PACKAGED = ("edoc", "meetings", "signing", "storage", "templates")
INSTALLED_APP = """
import sys
from pathlib import Path

import edoc
from edoc.app import create_app
from edoc.rendering.pdf import render_pdf
from edoc.rendering.samples import sample_445_kh

venv = Path(sys.argv[1]).resolve()
assert Path(edoc.__file__).resolve().is_relative_to(venv), f"edoc imported from {edoc.__file__}, not the wheel"
app = create_app()
app.config.update(WTF_CSRF_ENABLED=False)
client = app.test_client()
assert client.get("/login").status_code == 200
assert "Không tìm thấy".encode() in client.get("/no-such-page").data
home = client.post("/login", data={"username": "vanthu", "password": "GiaLam@2023"}, follow_redirects=True)
assert home.status_code == 200 and "Văn thư".encode() in home.data, home.data[:500]
assert render_pdf(sample_445_kh()).pdf.startswith(b"%PDF")
print("rendered from", app.template_folder)
"""


def _tracked_files(source: Path) -> set[str]:
    """The files of the packaged folders as git tracks them (others' untracked work in the checkout aside), named
    as the wheel names them."""
    listed = subprocess.run(["git", "ls-files", "--", *PACKAGED], cwd=ROOT, capture_output=True, text=True,
                            timeout=60)
    if listed.returncode == 0 and listed.stdout.strip():
        names = set(listed.stdout.splitlines())
    else:  # not a git checkout (a source archive): what was copied
        names = {str(f.relative_to(source)) for d in PACKAGED for f in (source / d).rglob("*") if f.is_file()}
    return {"edoc/" + n if n.startswith("templates/") else n for n in names}


@pytest.mark.slow
def test_an_installed_wheel_carries_its_templates_and_runs_outside_the_checkout(tmp_path):
    """templates/ sits at the top of the repository; a non-editable install (the Docker image's) must still find
    it. The wheel is built from a copy (setuptools writes build/ beside its sources), installed into a new venv
    whose dependencies come from this one (a .pth: no download), and run from a folder outside the checkout."""
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for name in PACKAGED:
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    wheels = tmp_path / "wheels"
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(source)],
                           capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr
    [wheel] = wheels.glob("edoc-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        carried = set(archive.namelist())
    left_out = sorted(_tracked_files(source) - carried)
    assert not left_out, (f"the wheel lacks {left_out}: list a new Python folder in [tool.setuptools] packages, a "
                          f"new kind of data file in package-data (pyproject.toml)")

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                             capture_output=True, text=True, check=True, timeout=60).stdout.strip()
    installed = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
                                str(wheel)], capture_output=True, text=True, timeout=300)
    assert installed.returncode == 0, installed.stderr
    # Only now, so that pip never sees (nor offers to replace) this venv's edoc. Appended after the new venv's own
    # site-packages, so edoc comes from the wheel; this venv's editable finder is not loaded (a .pth line adds a
    # path, it does not process that folder's .pth files).
    (Path(purelib) / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EDOC_", "PYTHON"))}
    env.update(_env(elsewhere / "instance"))
    for command in (["db", "upgrade"], ["demo"]):
        ran = subprocess.run([str(venv / "bin" / "edoc"), *command], cwd=elsewhere, env=env, capture_output=True,
                             text=True, timeout=300)
        assert ran.returncode == 0, ran.stderr
    ran = subprocess.run([str(python), "-c", INSTALLED_APP, str(venv)], cwd=elsewhere, env=env,
                         capture_output=True, text=True, timeout=300)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == f"rendered from {Path(purelib).resolve() / 'edoc' / 'templates'}", ran.stdout
