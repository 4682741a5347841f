"""SoftHSM2 tokens for the tests: one configuration (one token folder) for the whole test session.

SoftHSM reads ``SOFTHSM2_CONF`` once, when the library is first initialised in a process; tests that each
pointed it at a folder of their own would find only the first folder's tokens. So every test asks here for a
token by label, and all tokens live in one session folder.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.support.components import missing, require_tool

_FOLDER: Path | None = None


def softhsm_module() -> str:
    """The SoftHSM2 PKCS#11 library (skips, or under CI fails, without it)."""
    from signing.tokens import find_softhsm_module

    require_tool("softhsm2-util", "softhsm2")
    module = find_softhsm_module()
    if module is None:
        missing("SoftHSM2", "libsofthsm2.so not found (install softhsm2)")
    return str(module)


def softhsm_token(tmp_path_factory: pytest.TempPathFactory, label: str, *, pin: str,
                  so_pin: str = "13579111") -> str:
    """Initialise a token called ``label`` (once per session) and return the module path."""
    global _FOLDER
    module = softhsm_module()
    if _FOLDER is None:
        _FOLDER = tmp_path_factory.mktemp("softhsm")
        (_FOLDER / "tokens").mkdir()
        config = _FOLDER / "softhsm2.conf"
        config.write_text(f"directories.tokendir = {_FOLDER / 'tokens'}\nobjectstore.backend = file\n"
                          "log.level = ERROR\n")
        os.environ["SOFTHSM2_CONF"] = str(config)
    shown = subprocess.run(["softhsm2-util", "--show-slots"], capture_output=True, text=True).stdout
    if not any(line.split(":", 1)[-1].strip() == label for line in shown.splitlines()
               if line.strip().startswith("Label:")):
        subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", label, "--pin", pin,
                        "--so-pin", so_pin], check=True, capture_output=True)
        _rescan(module)
    return module


def _rescan(module: str) -> None:
    """SoftHSM lists its tokens when it is initialised: a process that already loaded it sees a token made
    since only after it is initialised again."""
    try:
        import pkcs11
    except ImportError:
        return
    library = pkcs11.lib(module)
    if library.initialized:
        library.reinitialize()
