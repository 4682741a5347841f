"""WSGI entry point for gunicorn, as ``scripts/serve`` (the Docker image's ``edoc-serve``) runs it:

``gunicorn --worker-class geventwebsocket.gunicorn.workers.GeventWebSocketWorker --workers 1 edoc.wsgi:app``
"""

import gc
import sys

from edoc.app import create_app
from edoc.core.errors import ConfigError

try:
    app = create_app()
except ConfigError as exc:
    # One line naming the setting instead of a traceback; exit code 3 is gunicorn's "worker failed to boot",
    # on which the master stops rather than respawning the worker for ever.
    sys.stderr.write(f"edoc: cấu hình sai / bad setting: {exc}\n")
    raise SystemExit(3) from None

# What the worker made while starting (modules, the app, SQLAlchemy's mappers: ~300,000 objects) lives as long as
# the worker: out of the collector's reach, a full collection walks only what came after. Without this, one full
# collection in a worker with 1,000 open meeting pages took 230-450 ms, during which none of its pages heard
# anything (bench/meeting_live.py, docs/meetings.md); after it, 30-40 ms.
gc.collect()
gc.freeze()
