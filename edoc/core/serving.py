"""What the app needs from the server it runs under, whichever it is (``edoc run``'s threads or gunicorn's gevent
worker): request bodies read whole before the app sees the request, and signing's event loops on OS threads of
their own when greenlets share one.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable, Iterable
from typing import IO, Any

from werkzeug.wsgi import ClosingIterator

import signing.aio

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

BODY_IN_MEMORY = 1024 * 1024
"""Bodies up to this size are kept in memory while the app reads them; larger ones spool to a temporary file, so
a large upload costs disk, not memory."""
_CHUNK = 64 * 1024


class WholeBodies:
    """WSGI middleware: the request body has arrived in full before the app is called.

    The app takes locks while it answers (SQLite's write turn from the first query on, PostgreSQL's row locks
    inside a service's transaction); a body still arriving while one is held makes everyone wait for the slowest
    client: a 14-byte JSON body sent at one byte a second held SQLite's write lock for 14 s, after the bearer
    token had been checked, and every other request answered 503. Read here, the body is a local file or buffer
    by the time anything is locked, as behind a buffering proxy (nginx's ``proxy_request_buffering``). A client
    that sends slowly holds only its own greenlet (or thread).

    A body over ``max_bytes`` is not read: its Content-Length goes on to the app, which refuses it (413) without
    reading it; a chunked one is read up to one byte past the limit, for the same 413. A body cut short by the
    client reaches the app cut short, with its declared length: Werkzeug then answers 400 (client disconnected).
    """

    def __init__(self, app: WSGIApp, *, max_bytes: int, in_memory: int = BODY_IN_MEMORY) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.in_memory = in_memory

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        try:
            declared = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0  # Werkzeug refuses a malformed length itself
        if chunked:
            declared = -1
        elif declared <= 0 or declared > self.max_bytes:
            return self.app(environ, start_response)
        body, size = self._read(environ["wsgi.input"], declared)
        environ["wsgi.input"] = body
        if chunked:
            # now a body of known length: Werkzeug limits its reads to CONTENT_LENGTH
            environ["CONTENT_LENGTH"] = str(size)
            environ.pop("HTTP_TRANSFER_ENCODING", None)
            environ.pop("wsgi.input_terminated", None)
        try:
            answer = self.app(environ, start_response)
        except BaseException:
            body.close()
            raise
        return ClosingIterator(answer, body.close)

    def _read(self, stream: IO[bytes], declared: int) -> tuple[IO[bytes], int]:
        """The body in a spooled file rewound to its start, and its size. ``declared`` -1: to the end (chunked),
        at most ``max_bytes`` + 1."""
        limit = declared if declared >= 0 else self.max_bytes + 1
        body = tempfile.SpooledTemporaryFile(max_size=self.in_memory)  # closed after the answer
        size = 0
        try:
            while size < limit:
                chunk = stream.read(min(_CHUNK, limit - size))
                if not chunk:
                    break
                body.write(chunk)
                size += len(chunk)
        except OSError:
            pass  # the client went away: what arrived goes on, and Werkzeug finds it short (400)
        except Exception as exc:  # servers have their own "no more data" errors (gunicorn's NoMoreData)
            if not _is_disconnect(exc):
                body.close()
                raise
        body.seek(0)
        return body, size  # type: ignore[return-value]


def _is_disconnect(exc: Exception) -> bool:
    return type(exc).__name__ in {"NoMoreData", "ClientDisconnected", "UnexpectedEOF", "ChunkMissingTerminator",
                                  "InvalidChunkSize"}


def greenlets_share_threads() -> bool:
    """True under gevent's monkey-patching (gunicorn's gevent worker patches before it loads the app): "threads"
    are then greenlets of one OS thread."""
    monkey = sys.modules.get("gevent.monkey")
    return monkey is not None and bool(monkey.is_module_patched("threading"))


def configure_signing_loops() -> None:
    """Under gevent, signing's event loops run on gevent's pool of OS threads (``signing.aio``): two signatures
    at once in one OS thread made the second fail with "asyncio.run() cannot be called from a running event
    loop". The waiting greenlet yields to the hub, so the worker keeps serving while a signature is made."""
    if not greenlets_share_threads():
        signing.aio.set_offload(None)
        return
    import gevent

    def on_os_thread(call: Callable[[], Any]) -> Any:
        return gevent.get_hub().threadpool.apply(call)

    signing.aio.set_offload(on_os_thread)
