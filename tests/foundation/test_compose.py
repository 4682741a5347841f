"""docker-compose.yml stays valid: checked offline with Debian's docker-compose (a compose tool from the
package registries; there is no Docker engine on CI machines)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.support.components import require_tool

ROOT = Path(__file__).resolve().parents[2]


def test_compose_file_is_valid():
    tool = require_tool("docker-compose", "docker-compose")
    env = {**os.environ, "EDOC_DB_PASSWORD": "x", "EDOC_S3_ACCESS_KEY": "edoc", "EDOC_S3_SECRET_KEY": "secret-key",
           "EDOC_SECRET_KEY": "k" * 32}
    result = subprocess.run([tool, "-f", str(ROOT / "docker-compose.yml"), "config"], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    for service in ("db:", "minio:", "minio-init:", "redis:", "app:", "worker:"):
        assert service in result.stdout
    assert "- worker" in result.stdout and "EDOC_REDIS_URL: redis://redis:6379/0" in result.stdout
    assert result.stdout.count("healthcheck:") == 4  # db, minio, redis, app


def test_compose_refuses_to_start_without_secrets():
    tool = require_tool("docker-compose", "docker-compose")
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDOC_")}
    result = subprocess.run([tool, "-f", str(ROOT / "docker-compose.yml"), "config", "-q"], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "EDOC_DB_PASSWORD" in result.stderr


def test_every_image_is_pinned_and_the_obsolete_version_key_is_gone():
    """A floating tag changes what `docker compose up` runs without an edit here; MinIO's `latest` once removed
    the admin console between two pulls. Compose v2 warns that a top-level `version:` is obsolete."""
    compose = (ROOT / "docker-compose.yml").read_text()
    images = [line.split("image:", 1)[1].strip() for line in compose.splitlines() if line.strip().startswith("image:")]
    assert len(images) == 4, images
    for image in images:
        name, _, tag = image.rpartition(":")
        assert name and tag and tag != "latest", image
    assert not any(line.startswith("version:") for line in compose.splitlines())
