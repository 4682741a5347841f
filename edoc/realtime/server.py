"""The app's Socket.IO server: only signed-in users connect; each joins their personal room ``user:<id>``."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import socketio
from flask import Flask
from flask_login import current_user
from flask_socketio import SocketIO, join_room

from edoc.realtime.events import SESSION_ROOM_PREFIX, session_room, user_room


def _on_connect(auth: object = None) -> None:
    # current_user comes from the handshake's cookie through the user loader, which checks the session's row:
    # a cookie of a session that has ended connects nobody.
    if not current_user.is_authenticated:
        # Refusing the handshake: the client gets "unauthorized" and joins no room.
        raise ConnectionRefusedError("unauthorized")
    join_room(user_room(current_user.id))
    join_room(session_room(current_user.session_id))


class _SessionRoomsDisconnect:
    """Closing a session's room disconnects its connections, in every process: close_room is the one operation
    the Socket.IO message queue carries to every server by room (each then acts on its own connections), and a
    connection of an ended session must not merely leave its rooms but end (a copied cookie's client would keep
    its socket and could be joined to a room again by a later handler). Other rooms close as usual."""

    server: Any
    get_participants: Callable[[str, str], Iterable[tuple[str, str]]]

    def basic_close_room(self, room: str, namespace: str) -> None:
        if isinstance(room, str) and room.startswith(SESSION_ROOM_PREFIX):
            for sid, _eio_sid in list(self.get_participants(namespace, room)):
                self.server.disconnect(sid, namespace=namespace, ignore_queue=True)
            return
        super().basic_close_room(room, namespace)  # type: ignore[misc]


class _LocalManager(_SessionRoomsDisconnect, socketio.Manager):
    pass


class _RedisManager(_SessionRoomsDisconnect, socketio.RedisManager):
    pass


WEBSOCKET_ONLY = (
    "Socket.IO: this server accepts the WebSocket transport only (it runs several worker processes, and "
    "long-polling would need every request of a client to reach the same one): connect with "
    "transports: ['websocket']."
)


class _RefusePolling:
    """WSGI middleware before Socket.IO's: a long-polling request gets a 400 saying why and what to do (engineio
    alone would answer a bare "Invalid transport"). A polling client's requests would be spread over the worker
    processes, and all but the one holding its session would refuse it."""

    def __init__(self, app: Any, path: str) -> None:
        self.app = app
        self.path = "/" + path.strip("/") + "/"

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if (environ.get("PATH_INFO", "").rstrip("/") + "/").startswith(self.path) and \
                "transport=polling" in environ.get("QUERY_STRING", ""):
            body = WEBSOCKET_ONLY.encode()
            start_response("400 Bad Request", [("Content-Type", "text/plain; charset=utf-8"),
                                               ("Content-Length", str(len(body)))])
            return [body]
        return self.app(environ, start_response)


def create_socketio(app: Flask, *, message_queue: str | None, channel: str = "edoc",
                    async_mode: str | None = None, transports: list[str] | None = None,
                    ping: tuple[int, int] = (25, 20)) -> SocketIO:
    """The app's Socket.IO server. ``transports``: what it accepts (``Settings.socket_transports``: WebSocket
    only under several worker processes); the pages read the same list from ``<body data-socket-transports>``,
    since the CSP forbids the inline script that could otherwise hand it over. ``ping``: Engine.IO's ping interval
    and timeout in seconds (``Settings.socketio_ping_*``)."""
    transports = transports or ["websocket", "polling"]
    manager = _RedisManager(message_queue, channel=channel) if message_queue else _LocalManager()
    server = SocketIO(
        app,
        client_manager=manager,
        async_mode=async_mode,
        transports=transports,
        logger=False,
        engineio_logger=False,
        ping_interval=ping[0],
        ping_timeout=ping[1],
    )
    server.on_event("connect", _on_connect)
    if "polling" not in transports:
        app.wsgi_app = _RefusePolling(app.wsgi_app, "socket.io")  # type: ignore[method-assign]
    joined = ",".join(transports)
    app.context_processor(lambda: {"socket_transports": joined})
    return server
