"""The app's Socket.IO server: only signed-in users connect; each joins their personal room ``user:<id>``."""

from __future__ import annotations

from flask import Flask
from flask_login import current_user
from flask_socketio import SocketIO, join_room

from edoc.realtime.events import user_room


def _on_connect(auth: object = None) -> None:
    if not current_user.is_authenticated:
        # Refusing the handshake: the client gets "unauthorized" and joins no room.
        raise ConnectionRefusedError("unauthorized")
    join_room(user_room(current_user.id))


def create_socketio(app: Flask, *, message_queue: str | None, channel: str = "edoc",
                    async_mode: str | None = None) -> SocketIO:
    server = SocketIO(
        app,
        message_queue=message_queue,
        channel=channel,
        async_mode=async_mode,
        logger=False,
        engineio_logger=False,
    )
    server.on_event("connect", _on_connect)
    return server
