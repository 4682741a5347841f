"""The room page's vote endpoints as a browser calls them (session cookie, CSRF header, JSON): the answers and
their status codes, and forged bodies refused with a message naming the field."""

from __future__ import annotations

from tests.support.web import csrf_token, login


def _post(client, path, body, token):
    return client.post(path, json=body, headers={"X-CSRFToken": token, "Accept": "application/json"})


def test_casting_through_the_page_once_and_every_misuse_refused(app, room):
    with app.app_context():
        room.check_in("chair", "m1", "m2", "guest")
    base = f"/meetings/{room.meeting_id}/votes"
    chair, member, guest = app.test_client(), app.test_client(), app.test_client()
    for client, name in [(chair, "chair"), (member, "m1"), (guest, "guest")]:
        login(client, f"v-{name}")
    ct, mt, gt = (csrf_token(c, "/") for c in (chair, member, guest))
    made = _post(chair, base, {"title": "Thông qua quy chế làm việc", "kind": "open", "option_set": "tan_thanh"}, ct)
    assert made.status_code == 201, made.get_json()
    vote = made.get_json()["id"]
    assert _post(member, f"{base}/{vote}/close", {}, mt).get_json()["error"]["message"].startswith("Chỉ chủ trì")
    assert _post(chair, f"{base}/{vote}/open", {}, ct).status_code == 200
    cast = {"choice": ["yes"], "idempotency_key": "page-key-0001"}
    first, again = _post(member, f"{base}/{vote}/cast", cast, mt), _post(member, f"{base}/{vote}/cast", cast, mt)
    assert (first.status_code, again.status_code) == (201, 200) and again.get_json()["replayed"]
    twice = _post(member, f"{base}/{vote}/cast", {"choice": ["no"], "idempotency_key": "page-key-0002"}, mt)
    assert twice.status_code == 409 and "một lần" in twice.get_json()["error"]["message"]
    assert _post(guest, f"{base}/{vote}/cast", {"choice": ["yes"]}, gt).status_code == 403
    forged = [({"choice": "yes"}, "choice"), ({"choice": [1]}, "choice[0]"), ({}, "choice"),
              ({"choice": ["yes"], "idempotency_key": "x" * 65}, "idempotency_key"), ({"choice": ["veto"]}, "choice")]
    for body, field in forged:
        answer = _post(member, f"{base}/{vote}/cast", body, mt)
        assert answer.status_code in (400, 409) and answer.get_json()["error"]["message"], body
        if answer.status_code == 400:
            assert answer.get_json()["error"].get("field") == field, (body, answer.get_json())
    no_csrf = member.post(f"{base}/{vote}/cast", json=cast, headers={"Accept": "application/json"})
    assert no_csrf.status_code == 400
    assert _post(member, f"/meetings/{room.meeting_id + 1}/votes/{vote}/cast", cast, mt).status_code == 404
    closed = _post(chair, f"{base}/{vote}/close", {}, ct).get_json()
    assert closed["status"] == "closed" and closed["voted"] == 1 and closed["result"]["lines"][0]["votes"] == 1
    late = _post(app.test_client(), f"{base}/{vote}/cast", cast, "")
    assert late.status_code in (302, 400, 401)
    shown = member.get(base, headers={"Accept": "application/json"}).get_json()
    assert shown["can_manage"] is False and shown["votes"][0]["my_vote"]["choice"] == ["yes"]
