"""The storage sweep runs by itself, as a periodic job: an hour's tick at minute 17 makes one job for the slot,
which deletes an object no row points at and spares a fresh one."""

from __future__ import annotations

import io
import os
import time
from datetime import UTC, datetime

from sqlalchemy import select

from edoc import jobs
from edoc.core.db import db
from edoc.jobs import runner


def test_the_storage_sweep_is_a_periodic_job(app, settings_env):
    store = app.extensions["edoc_store"]
    old_key = store.put(io.BytesIO(b"left by a crash")).key
    new_key = store.put(io.BytesIO(b"being committed")).key
    old = time.time() - 2 * 3600
    os.utime(os.path.join(settings_env["EDOC_STORAGE_DIR"], old_key), (old, old))
    queue = jobs.queue_of(app)
    with app.app_context():
        runner.tick(queue, datetime.now(UTC).replace(minute=16))  # not its minute
        assert db.session.execute(select(jobs.Job).where(jobs.Job.name == "files.sweep")).first() is None
        at = datetime.now(UTC).replace(minute=17)
        runner.tick(queue, at)  # runs at once: the tests' immediate mode
        runner.tick(queue, at)  # another worker's scheduler, the same minute: nothing more
        [job] = db.session.execute(select(jobs.Job).where(jobs.Job.name == "files.sweep")).scalars().all()
        assert job.key == f"files.sweep@{at:%Y-%m-%dT%H:17}" and job.status == "done"
        assert job.outcome == "Đã xóa 1 đối tượng không còn bản ghi nào trỏ tới."
    assert not store.exists(old_key) and store.exists(new_key)
