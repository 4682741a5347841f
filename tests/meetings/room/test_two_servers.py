"""Two server processes sharing Redis serve one meeting: the chair's page is on one, delegates on both; the
chair's action reaches every page, with one sequence of numbers, and a page on the other server that missed an
event reads the same log."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

import pytest
import socketio

from edoc.app import create_app
from edoc.config import Settings
from tests.support.components import require_redis
from tests.support.live import http_login, live_server
from tests.support.meeting_room import make_live_room

pytestmark = pytest.mark.redis


def _page(base: str, username: str, meeting_id: int) -> tuple[socketio.Client, list[dict], threading.Event]:
    session = http_login(base, username)
    client = socketio.Client(reconnection=False)
    got: list[dict] = []
    two = threading.Event()

    @client.on("meeting.event")
    def _on(payload: dict) -> None:
        got.append(payload)
        if len(got) == 2:
            two.set()

    cookie = "; ".join(f"{k}={v}" for k, v in session.cookies.items())
    client.connect(base, headers={"Cookie": cookie}, transports=["websocket"], wait_timeout=10)
    assert client.call("meeting.join", {"meeting_id": meeting_id}, timeout=10) == {"ok": True, "seq": 0}
    return client, got, two


def test_one_meeting_served_by_two_processes_over_redis(served_env, tmp_path: Path):
    room = make_live_room(create_app(Settings.from_env(served_env)))
    env = {**served_env, "EDOC_REDIS_URL": require_redis(), "EDOC_SOCKETIO_CHANNEL": f"edoc-test-{uuid.uuid4().hex}"}
    with live_server(env, tmp_path / "a.log") as server_a, live_server(env, tmp_path / "b.log") as server_b:
        chair, _chair_got, _ = _page(server_a, "r-chair", room.meeting_id)
        pages = [_page(server_a, "r-m1", room.meeting_id), _page(server_b, "r-m2", room.meeting_id),
                 _page(server_b, "r-deputy", room.meeting_id)]
        outsider = http_login(server_b, "r-outsider")
        try:
            assert chair.call("meeting.agenda.open", {"meeting_id": room.meeting_id, "item_id": room.items[0]},
                              timeout=10)["ok"]
            # a delegate on server B checks in: the chair's page on A hears it as the next number
            m2 = pages[1][0]
            assert m2.call("meeting.checkin", {"meeting_id": room.meeting_id, "status": "online"}, timeout=10)["ok"]
            for _client, got, two in pages:
                assert two.wait(10), f"an event did not reach a page: {got}"
                assert [(e["seq"], e["type"]) for e in got] == [(1, "agenda.opened"), (2, "checkin.changed")]
            assert got[1]["data"]["quorum"]["online"] == 1
            # what a page on B reads to catch up is the same log
            missed = http_login(server_b, "r-m4").get(f"{server_b}/meetings/{room.meeting_id}/live/events?since=0")
            assert [e["seq"] for e in missed.json()["events"]] == [1, 2]
            assert outsider.get(f"{server_b}/meetings/{room.meeting_id}/live/events?since=0").status_code == 404
        finally:
            for client in (chair, *(p[0] for p in pages)):
                client.disconnect()
