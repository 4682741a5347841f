"""The baseline of bench/meeting_live.py: a bare Flask-SocketIO app, served by the same gunicorn gevent WebSocket
worker as edoc, that broadcasts a payload to one room when told to. No database, no session, no policy: what
edoc's meeting events cost on top of Socket.IO itself is the difference between the two.

    gunicorn --worker-class geventwebsocket.gunicorn.workers.GeventWebSocketWorker bench.socketio_bare:app

Every connection joins the room ``bare``; ``POST /emit`` with a JSON body emits it as ``meeting.event`` to that
room (the same event name and the same payload edoc's pages get) and answers 204 once the emit is queued.
"""

from __future__ import annotations

import os

from flask import Flask, request
from flask_socketio import SocketIO, join_room

ROOM = "bare"

app = Flask(__name__)
app.config["SECRET_KEY"] = os.environ.get("BARE_SECRET_KEY", "bare-socketio-baseline")
# several workers (bench --workers): an emit reaches the other workers' connections through Redis, as edoc's do
socketio = SocketIO(app, async_mode="gevent", logger=False, engineio_logger=False,
                    message_queue=os.environ.get("BARE_REDIS_URL") or None,
                    channel=os.environ.get("BARE_CHANNEL", "flask-socketio"))


@socketio.on("connect")
def _connect(auth: object = None) -> None:
    join_room(ROOM)


@app.post("/emit")
def emit() -> tuple[str, int]:
    socketio.emit("meeting.event", request.get_json(force=True), to=ROOM)
    return "", 204


@app.get("/healthz")
def healthz() -> str:
    return "ok"
