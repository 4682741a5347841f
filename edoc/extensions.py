"""Flask extension objects, bound to an app in ``create_app``.

Socket.IO is not here: each app gets its own server (``edoc.realtime.server``), so two apps in one process
(tests, benchmarks) never share one."""

from __future__ import annotations

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
