from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from edoc.app import create_app
from edoc.config import Settings
from tests.support.components import chromium_path, missing


@pytest.fixture
def served_env(sqlite_template: Path, tmp_path: Path) -> dict[str, str]:
    """A migrated SQLite database with the demo organisation, for servers started as separate processes.

    The demo is loaded in this process (a second interpreter would cost seconds of imports); the servers read
    the same database file, instance folder and store."""
    db_file = tmp_path / "edoc.sqlite3"
    shutil.copy(sqlite_template, db_file)
    env = {"EDOC_SECRET_KEY": "live-secret-key-" + "y" * 16, "EDOC_DATABASE_URL": f"sqlite:///{db_file}",
           "EDOC_INSTANCE_PATH": str(tmp_path / "instance"), "EDOC_STORAGE_DIR": str(tmp_path / "files")}
    from edoc.core.db import db
    from edoc.demo import load_demo

    app = create_app(Settings.from_env(env))
    with app.app_context():
        load_demo()
        db.session.remove()
        db.engine.dispose()
    return env


# Reported to the test through a binding: every page of every context listens from before its first script runs.
_CSP_LISTENER = """document.addEventListener("securitypolicyviolation", (e) => {
    const where = `${e.sourceFile}:${e.lineNumber}`;
    window.__edocCspViolation(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${where}`);
}, true);"""


class CspWatchedBrowser:
    """Chromium whose every context reports Content-Security-Policy violations, from the console ("Refused to
    ... because it violates the following Content Security Policy directive") and from the page's
    ``securitypolicyviolation`` event; the ``browser`` fixture fails the test if there were any."""

    def __init__(self, browser: Any) -> None:
        self._browser = browser
        self.violations: list[str] = []

    def new_context(self, **options: Any) -> Any:
        context = self._browser.new_context(**options)
        context.expose_binding("__edocCspViolation", lambda _source, text: self.violations.append(text))
        context.add_init_script(_CSP_LISTENER)
        context.on("console", self._console)
        return context

    def new_page(self, **options: Any) -> Any:
        return self.new_context(**options).new_page()

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text:
            self.violations.append(message.text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._browser, name)


@pytest.fixture
def browser() -> Iterator[CspWatchedBrowser]:
    """Chromium (Debian's, through Playwright) for the browser tests; a test fails if any page reported a CSP
    violation, so every browser test also checks that the pages work under the policy."""
    path = chromium_path()
    if path is None:
        missing("Chromium", "no /usr/bin/chromium (Debian package chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("Playwright", "the playwright Python package is not installed")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=path, headless=True,
                                     args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                           "--disable-component-update", "--disable-sync", "--no-first-run"])
        watched = CspWatchedBrowser(launched)
        yield watched
        launched.close()
        if watched.violations:
            pytest.fail("Content-Security-Policy violations reported:\n" + "\n".join(watched.violations))
