"""``signing`` stands alone: importing every module of it, in a fresh interpreter, loads neither the app nor
its web and database frameworks (the architecture's dependency rule)."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import signing

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("flask", "edoc", "meetings", "sqlalchemy", "werkzeug")


def test_every_module_imports_without_the_app():
    modules = sorted(f"signing.{m.name}" for m in pkgutil.iter_modules(signing.__path__) if m.name != "__main__")
    assert {"signing.sign", "signing.validate", "signing.tokens", "signing.trust", "signing.cli"} <= set(modules)
    script = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    loaded = set(json.loads(result.stdout))
    assert "pyhanko" in loaded and "signing" in loaded  # the check sees what was imported
    assert not loaded & set(FORBIDDEN), sorted(loaded & set(FORBIDDEN))


def test_the_package_says_it_is_typed():
    assert (Path(signing.__file__).parent / "py.typed").is_file()
