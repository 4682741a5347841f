"""Background jobs on a queue library (Huey): e-mail dispatch, batch signing, sweeps, and later OCR and reminders.

The API is small: a higher package registers a handler (``register``/``handler``/``periodic``) and, in a service
function, asks for a job with ``enqueue_after_commit(name, payload)``; the job's row commits with the change that
asked for it and is handed to the queue afterwards. edoc.jobs imports nothing above edoc.core. See docs/jobs.md.
"""

from edoc.jobs.models import DONE, FAILED, QUEUED, RUNNING, Job
from edoc.jobs.queue import JobQueue, init_app, queue_of
from edoc.jobs.registry import Handler, JobContext, Outcome, handler, periodic, register
from edoc.jobs.runner import record_progress
from edoc.jobs.service import (
    Ended,
    JobUnanswered,
    drain,
    enqueue_after_commit,
    jobs_of_batch,
    open_count,
    run_and_wait,
    wait,
)

__all__ = [
    "DONE", "FAILED", "QUEUED", "RUNNING", "Ended", "Handler", "Job", "JobContext", "JobQueue", "JobUnanswered",
    "Outcome", "drain", "enqueue_after_commit", "handler", "init_app", "jobs_of_batch", "open_count", "periodic",
    "queue_of", "record_progress", "register", "run_and_wait", "wait",
]
