"""A bad or unreachable setting fails at start-up with a message that names the setting."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from edoc.app import create_app
from edoc.config import Settings
from edoc.core.errors import ConfigError
from tests.support.components import free_port

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
        ({"EDOC_ASYNC_MODE": "eventlet"}, "EDOC_ASYNC_MODE"),
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


def test_unreachable_s3_is_named(tmp_path):
    port = free_port()
    settings = Settings.from_env(_env(
        tmp_path, EDOC_STORAGE="s3", EDOC_S3_ENDPOINT=f"127.0.0.1:{port}", EDOC_S3_ACCESS_KEY="a",
        EDOC_S3_SECRET_KEY="b", EDOC_S3_SECURE="false"))
    with pytest.raises(ConfigError, match="EDOC_S3_ENDPOINT"):
        create_app(settings)


def test_unreachable_redis_is_named(tmp_path):
    port = free_port()
    settings = Settings.from_env(_env(tmp_path, EDOC_REDIS_URL=f"redis://127.0.0.1:{port}/0"))
    with pytest.raises(ConfigError, match="EDOC_REDIS_URL"):
        create_app(settings)


def test_command_line_reports_a_bad_setting_without_a_traceback(tmp_path):
    port = free_port()
    env = {**os.environ, **_env(tmp_path, EDOC_DATABASE_URL=f"postgresql://postgres@127.0.0.1:{port}/x")}
    result = subprocess.run([sys.executable, "-m", "edoc", "demo"], env=env, cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 2
    assert "EDOC_DATABASE_URL: cannot connect" in result.stderr
    assert "Traceback" not in result.stderr
