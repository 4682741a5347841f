"""Running signing's coroutines to completion from synchronous code, whatever the caller's threading model.

pyHanko's API is asynchronous (OCSP, CRL and TSA requests go through aiohttp); the synchronous functions of
``signing.sign`` and ``signing.validate`` each run one coroutine on an event loop of their own. ``asyncio.run``
refuses to start when a loop is already running in the OS thread, and Python keeps the running loop per OS thread,
not per greenlet: under gevent (gunicorn's worker) every request shares one OS thread, so a signature whose loop
yields to the gevent hub (its selector is gevent's) leaves its loop "running" for the next request that signs,
which failed with ``RuntimeError: asyncio.run() cannot be called from a running event loop``. Two loops cannot
take turns in one OS thread at all (each would see the other's as the running one).

``run`` therefore runs the coroutine on a fresh loop:

- in the calling thread when no loop runs there (a plain thread, the command line, the development server);
- on a worker OS thread when one does (a caller inside async code);
- always through the *offload* the host installed with ``set_offload``, when it did: the web app under gevent
  installs gevent's native thread pool, so each signature gets an OS thread (and loop) of its own and the calling
  greenlet waits without holding the hub.

This module knows nothing of gevent: the host says how to reach an OS thread of its own.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
Offload = Callable[[Callable[[], Any]], Any]
"""Runs a blocking call on an OS thread of its own and returns its result (or raises its exception)."""

_offload: Offload | None = None

__all__ = ["Offload", "run", "set_offload"]


def set_offload(offload: Offload | None) -> None:
    """Make every ``run`` go through ``offload`` (``None``: back to running in the calling thread).

    For hosts whose "threads" share OS threads (gevent's greenlets): ``offload`` must run its call on a real OS
    thread, e.g. ``lambda call: gevent.get_hub().threadpool.apply(call)``."""
    global _offload
    _offload = offload


def _loop_running_here() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _on_new_thread(call: Callable[[], T]) -> T:
    """``call()`` on a new OS thread, for a caller whose thread already runs a loop."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = call()
        except BaseException as exc:  # handed to the caller, who raises it
            outcome["error"] = exc

    worker = threading.Thread(target=target, name="signing-loop", daemon=True)
    worker.start()
    worker.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]  # type: ignore[no-any-return]


def run(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """The result of the coroutine ``make()`` returns, run to completion on a fresh event loop (closed after).

    ``make`` builds the coroutine where it will run, so a coroutine object is never created on one thread and
    abandoned unawaited on another."""

    def call() -> T:
        return asyncio.run(make())

    if _offload is not None:
        return _offload(call)  # type: ignore[no-any-return]
    if _loop_running_here():
        return _on_new_thread(call)
    return call()
