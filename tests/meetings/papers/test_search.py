"""Meeting papers in the one search (issue 11, item 1): found by their meeting, item, title, presenter and file's
text, only by those ``can_read_paper`` lets read them (``reader_keys`` checked against it for every demo user
at every step), kept current in the transaction of each change, and rebuilt when a release time arrives."""

from __future__ import annotations

import io
import time
from datetime import timedelta

from sqlalchemy import func, select, update

from edoc.accounts.models import User
from edoc.core.db import db, utcnow
from edoc.documents import drafting, sources
from edoc.jobs.registry import periodic_jobs
from edoc.search.models import SearchAccess, SearchEntry
from edoc.search.service import Filters, search, user_keys
from meetings.agenda.models import AgendaItem
from meetings.attendance.models import Participant
from meetings.meeting.models import Meeting
from meetings.papers import files, indexing, policy, service
from meetings.papers.models import Paper, PaperRelease
from tests.documents.conftest import api_token, draft_data, simple_pdf
from tests.meetings.agenda.conftest import first_item, paper_pdf
from tests.support.orgs import other_organisation
from tests.support.web import login


def _user(demo, name: str) -> User:
    return db.session.get(User, demo[name])


def _found(app, demo, who: str, q: str, kind: str = indexing.KIND) -> list[int]:
    with app.app_context():
        results = search(_user(demo, who), q, Filters(kind=kind))
        assert not results.message, results.message
        return [h.object_id for h in results.hits]


def _upload(app, demo, meeting_id: int, title: str, pdf: bytes | None = None, item_id: int | None = None) -> int:
    item_id = item_id or first_item(app, meeting_id)
    with app.app_context():
        meeting = db.session.get(Meeting, meeting_id)
        upload = files.read_upload(io.BytesIO(pdf or paper_pdf()), "tai-lieu.pdf")
        paper = service.add_upload(_user(demo, "thuky"), meeting, item_id, upload, title=title)
        return paper.id


def _release(app, demo, meeting_id: int, moment) -> None:
    with app.app_context():
        service.set_release(_user(demo, "thuky"), db.session.get(Meeting, meeting_id), moment)


def _seat(meeting_id: int, user_id: int) -> int:
    return db.session.execute(select(Participant.id).where(Participant.meeting_id == meeting_id,
                                                           Participant.user_id == user_id)).scalar_one()


def _secret_paper(app, demo, meeting_id: int) -> int:
    """A secret draft thuky wrote naming chutich and vanthu (who would issue it) as readers, linked as a paper."""
    with app.app_context():
        secret = drafting.create_draft(_user(demo, "thuky"), draft_data(
            demo, secrecy="Mật", summary="Phương án nhân sự Bảomật", reader_ids=[demo["chutich"], demo["vanthu"]],
            recipients=[]))
        db.session.commit()
        secret_id = secret.id
    item_id = first_item(app, meeting_id)
    with app.app_context():
        sources.render_version(db.session.get(type(secret), secret_id))
        db.session.commit()
        meeting = db.session.get(Meeting, meeting_id)
        paper = service.link_document(_user(demo, "thuky"), meeting, item_id, "outgoing", secret_id)
        return paper.id


def _check_keys(app, paper_ids: list[int], step: str) -> int:
    """For every active user and paper: the index lets them find it exactly when ``can_read_paper`` lets them read
    it, within the meeting's organisation (search keeps each user to their own); someone of another organisation
    is never let find more than the policy allows. The index holds the keys the policy gives now."""
    checked = 0
    users = db.session.execute(select(User).where(User.active.is_(True))).scalars().all()
    for paper_id in paper_ids:
        paper = db.session.get(Paper, paper_id)
        entry_keys = set(db.session.execute(select(SearchAccess.key).join(SearchEntry).where(
            SearchEntry.kind == indexing.KIND, SearchEntry.object_id == paper_id)).scalars())
        if paper is None:
            assert entry_keys == set(), step  # a removed paper has no entry, so no keys
            continue
        meeting = db.session.get(Meeting, paper.meeting_id)
        keys = policy.reader_keys(paper, meeting)
        assert entry_keys == keys, (step, paper.title)
        for user in users:
            findable = user.organisation_id == meeting.organisation_id and bool(keys & set(user_keys(user)))
            may_read = policy.can_read_paper(user, paper, meeting)
            if user.organisation_id == meeting.organisation_id:
                assert findable == may_read, (step, paper.title, user.username)
            else:
                assert not findable, (step, paper.title, user.username)
            checked += 1
    return checked


def test_reader_keys_agree_with_can_read_paper_for_every_user_and_step(app, demo, make_meeting):
    other_org = other_organisation(app, username="daibieu.khac")
    meeting_id = make_meeting(status="draft")
    first = first_item(app, meeting_id)
    with app.app_context():
        outsider = db.session.execute(select(User).where(User.organisation_id == other_org)).scalar_one()
        db.session.add(Participant(meeting_id=meeting_id, user_id=outsider.id, role="member", votes=True))
        # a sub-item presented by chuyenvien (not invited), under the first item (presented by phochutich)
        db.session.add(AgendaItem(meeting_id=meeting_id, parent_id=first, position=1,
                                  title="Nội dung con", kind="report", presenter_user_id=demo["chuyenvien"]))
        db.session.commit()
        sub_item = db.session.execute(select(AgendaItem.id).where(AgendaItem.title == "Nội dung con")).scalar_one()
    plain = _upload(app, demo, meeting_id, "Báo cáo quý IV")
    restricted = _upload(app, demo, meeting_id, "Chỉ Phó Chủ tịch")
    sub = _upload(app, demo, meeting_id, "Tài liệu mục con", item_id=sub_item)
    removed = _upload(app, demo, meeting_id, "Sẽ gỡ bỏ")
    secret = _secret_paper(app, demo, meeting_id)
    papers = [plain, restricted, sub, removed, secret]
    checked = 0
    with app.app_context():
        meeting = db.session.get(Meeting, meeting_id)
        service.set_readers(_user(demo, "thuky"), meeting, db.session.get(Paper, restricted),
                            [_seat(meeting_id, demo["phochutich"])])
        checked += _check_keys(app, papers, "a draft meeting")
        meeting.status, meeting.announced_at = "announced", utcnow()
        db.session.commit()
        checked += _check_keys(app, papers, "announced, no release")
    _release(app, demo, meeting_id, utcnow() + timedelta(days=2))
    with app.app_context():
        checked += _check_keys(app, papers, "release set for later")
        daibieu = db.session.get(Participant, _seat(meeting_id, demo["daibieu"]))
        daibieu.deputy_approved = False  # the chair refused them (as a deputy): no longer invited
        db.session.commit()
        checked += _check_keys(app, papers, "a seat refused")
        daibieu.deputy_approved = None
        db.session.commit()
    _release(app, demo, meeting_id, utcnow() - timedelta(minutes=1))
    with app.app_context():
        checked += _check_keys(app, papers, "released")
        meeting = db.session.get(Meeting, meeting_id)
        service.remove_paper(_user(demo, "thuky"), meeting, db.session.get(Paper, removed))
        checked += _check_keys(app, papers, "one removed")
        db.session.delete(db.session.get(Participant, _seat(meeting_id, demo["daibieu"])))
        db.session.commit()
        checked += _check_keys(app, papers, "a participant removed")
        users = db.session.execute(select(func.count(User.id)).where(User.active.is_(True))).scalar_one()
    assert checked == (5 * 5 + 2 * 4) * users  # five papers before the removal, four after
    # what each reads, spelt out once (the loop above checks it against the policy, this against the brief)
    with app.app_context():
        meeting = db.session.get(Meeting, meeting_id)
        readers = {pid: {u.username for u in db.session.execute(select(User)).scalars()
                         if u.organisation_id == meeting.organisation_id
                         and policy.reader_keys(db.session.get(Paper, pid), meeting) & set(user_keys(u))}
                   for pid in (plain, restricted, sub, secret)}
    assert {"chutich", "thuky", "phochutich", "vanthu", "quantri"} <= readers[plain]
    assert "daibieu" not in readers[plain] and "chuyenvien" not in readers[sub]  # removed; not invited
    assert "phochutich" in readers[restricted] and "chuyenvien" not in readers[restricted]
    assert readers[secret] == {"chutich", "thuky", "vanthu"}  # the document's people, all managers


def test_found_by_what_it_says_and_kept_current(app, client, demo, make_meeting):
    meeting_id = make_meeting()
    paper = _upload(app, demo, meeting_id, "Báo cáo tình hình quý IV")
    # the file's text, the title, the meeting's name, the item, the presenter: the secretary finds it by each
    for q in ["tinh hinh hoat dong cong doan", "bao cao quy IV", "ban thuong vu thang 12", "noi dung 1"]:
        assert _found(app, demo, "thuky", q) == [paper], q
    with app.app_context():
        presenter = _user(demo, "phochutich").full_name
    assert _found(app, demo, "thuky", presenter) == [paper]
    assert _found(app, demo, "daibieu", "tinh hinh hoat dong") == []  # not released yet
    _release(app, demo, meeting_id, utcnow() - timedelta(minutes=1))
    assert _found(app, demo, "daibieu", "tinh hinh hoat dong") == [paper]
    assert _found(app, demo, "chuyenvien", "tinh hinh hoat dong") == []  # not invited
    # a new version: its text replaces the old one's
    with app.app_context():
        meeting = db.session.get(Meeting, meeting_id)
        upload = files.read_upload(io.BytesIO(simple_pdf(["BÁO CÁO", "Kết quả phát triển đoàn viên Xuânthu"])),
                                   "v2.pdf")
        service.add_version(_user(demo, "thuky"), meeting, db.session.get(Paper, paper), upload)
    assert _found(app, demo, "daibieu", "xuanthu") == [paper]
    assert _found(app, demo, "daibieu", "tinh hinh hoat dong") == []
    # restricted to phochutich: daibieu no longer finds it; lifted: again
    with app.app_context():
        meeting = db.session.get(Meeting, meeting_id)
        service.set_readers(_user(demo, "thuky"), meeting, db.session.get(Paper, paper),
                            [_seat(meeting_id, demo["phochutich"])])
    assert _found(app, demo, "daibieu", "xuanthu") == []
    assert _found(app, demo, "phochutich", "xuanthu") == [paper]
    with app.app_context():
        service.set_readers(_user(demo, "thuky"), db.session.get(Meeting, meeting_id),
                            db.session.get(Paper, paper), None)
    assert _found(app, demo, "daibieu", "xuanthu") == [paper]
    # the release moved to later: participants lose it at once
    with app.app_context():
        starts = db.session.get(Meeting, meeting_id).starts_at
    _release(app, demo, meeting_id, starts - timedelta(days=1))
    assert _found(app, demo, "daibieu", "xuanthu") == []
    _release(app, demo, meeting_id, utcnow() - timedelta(minutes=1))
    # a participant removed loses it; the page, the API and the kind filter show it as a meeting paper
    with app.app_context():
        db.session.delete(db.session.get(Participant, _seat(meeting_id, demo["daibieu"])))
        db.session.commit()
    assert _found(app, demo, "daibieu", "xuanthu") == []
    # one search over every kind: without a kind the paper is among the results, filtered to another it is not
    assert paper in _found(app, demo, "thuky", "xuanthu", kind="")
    assert _found(app, demo, "thuky", "xuanthu", kind="outgoing") == []
    login(client, "thuky")
    page = client.get("/search/?q=xuanthu").get_data(as_text=True)
    assert f'href="/meetings/{meeting_id}/papers/{paper}"' in page and "Tài liệu họp" in page
    assert f'<option value="{indexing.KIND}"' in page
    body = client.get("/api/v1/search?q=xuanthu", headers=api_token(app, demo["thuky"])).get_json()
    assert [(r["kind"], r["id"]) for r in body["results"]] == \
        [(indexing.KIND, paper)]
    # removed: nobody finds it
    with app.app_context():
        service.remove_paper(_user(demo, "thuky"), db.session.get(Meeting, meeting_id), db.session.get(Paper, paper))
    assert _found(app, demo, "thuky", "xuanthu") == []
    with app.app_context():
        assert db.session.execute(select(SearchEntry).where(SearchEntry.kind == indexing.KIND)).first() is None


def test_a_release_time_arriving_rebuilds_the_entries_without_a_write(app, demo, make_meeting):
    meeting_id = make_meeting()
    paper = _upload(app, demo, meeting_id, "Báo cáo Hẹngiờ")
    release_at = (utcnow() + timedelta(seconds=1.5))
    _release(app, demo, meeting_id, release_at)
    assert _found(app, demo, "daibieu", "hengio") == []
    time.sleep(max(0.0, (release_at - utcnow()).total_seconds()) + 0.1)
    assert _found(app, demo, "daibieu", "hengio") == []  # the time came, nothing wrote: the entry is stale
    with app.app_context():
        assert policy.can_read_paper(_user(demo, "daibieu"), db.session.get(Paper, paper),
                                     db.session.get(Meeting, meeting_id))
        assert indexing.rebuild_released() == 1
        db.session.commit()
    assert _found(app, demo, "daibieu", "hengio") == [paper]
    # run again (a job delivered twice): the same entry, the same keys; once settled, nothing is picked
    with app.app_context():
        before = set(db.session.execute(select(SearchAccess.key).join(SearchEntry).where(
            SearchEntry.object_id == paper, SearchEntry.kind == indexing.KIND)).scalars())
        indexing.rebuild_released()
        db.session.commit()
        after = set(db.session.execute(select(SearchAccess.key).join(SearchEntry).where(
            SearchEntry.object_id == paper, SearchEntry.kind == indexing.KIND)).scalars())
        assert before == after and f"u:{demo['daibieu']}" in after
        assert indexing.rebuild_released(utcnow() + timedelta(minutes=30)) == 0
        # a stop longer than the settling window: an entry still built before the release is picked whenever
        db.session.execute(update(SearchEntry).where(SearchEntry.object_id == paper, SearchEntry.kind ==
                                                     indexing.KIND).values(updated_at=release_at - timedelta(hours=1)))
        assert indexing.rebuild_released(utcnow() + timedelta(days=3)) == 1
        db.session.rollback()
        release = db.session.get(PaperRelease, meeting_id)
        assert release is not None
    # the periodic job that does it is registered on edoc's queue
    assert indexing.JOB in {p.name for p in periodic_jobs()}
