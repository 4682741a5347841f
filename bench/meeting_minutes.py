"""Minutes benchmark, figures only (no assertion on time): how long the secretary waits for the Biên bản of a large
meeting (issue 14, item 8: 2,000 participants, 30 agenda items, 40 votes; goal at most 10 s), on SQLite.

The meeting is written straight into the database (participants, items, 40 closed votes: 30 named with every
present member's ballot, 8 secret with their ballots' digests, 2 secret elections), then:

1. the text and the record from the database (``service.content``: gather, record, body);
2. ``service.draft_minutes`` end to end (that, a new outgoing document, rendering form 1.9 with WeasyPrint, the
   record embedded, the PDF stored, committed);
3. the secretary's signature on a version rendered afresh (``service.sign_as_secretary``);
4. ``signing.record.check_record`` on the signed PDF (recompute 40 votes, find their figures in the text);

next to a baseline measured in the same process: rendering the one-page plan 445/KH-LĐLĐ.

    .venv/bin/python bench/meeting_minutes.py [--participants 2000] [--items 30] [--votes 40]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert

from edoc.accounts.models import User
from edoc.app import create_app
from edoc.config import Settings
from edoc.core.clock import vietnam_today
from edoc.core.db import db
from edoc.demo import load_demo
from edoc.files.service import read_verified, store_bytes
from edoc.rendering import render_pdf
from edoc.rendering.samples import sample_445_kh
from edoc.signatures.credentials import save_credential
from edoc.signatures.devca import DEMO_PIN, load_or_create_ca, signature_png
from meetings.agenda.models import AgendaItem
from meetings.attendance.models import Participant
from meetings.meeting import service as meeting_service
from meetings.meeting.models import Meeting
from meetings.minutes import service
from meetings.votes import rules
from meetings.votes.models import Vote, VoteBallot, VoteOption, VoteVoter
from signing.record import check_record


def _app(workdir: Path):
    from flask_migrate import upgrade

    app = create_app(Settings.from_env({"EDOC_SECRET_KEY": "b" * 32, "EDOC_INSTANCE_PATH": str(workdir),
                                        "EDOC_DATABASE_URL": f"sqlite:///{workdir}/bench.sqlite3"}),
                     check_schema=False)
    with app.app_context():
        upgrade()
        load_demo()
    return app


def give_certificate(user: User) -> None:
    """The secretary signs too: a development certificate and a signature image, as the demo gives the leaders."""
    user.signature_file_id = store_bytes(signature_png(user.full_name), "chu-ky.png", uploader=user,
                                         purpose="signature-image", media_type="image/png").id
    save_credential(None, user.organisation, load_or_create_ca().issue(user.full_name), user=user, pin=DEMO_PIN,
                    source="devca")


CPU: list[float] = []
"""CPU seconds of this process for each ``_timed`` call: on a shared machine the wall clock also counts the waits
for a core, so both are printed."""


def _timed(fn: Callable[[], object]) -> float:
    start, cpu = time.perf_counter(), time.process_time()
    fn()
    CPU.append(time.process_time() - cpu)
    return time.perf_counter() - start


def _meeting(participants: int, items: int, votes: int) -> int:
    users = {u.username: u for u in db.session.execute(db.select(User)).scalars()}
    secretary = users["thuky"]
    give_certificate(secretary)
    day = vietnam_today() - timedelta(days=1)
    meeting = meeting_service.create_meeting(secretary, meeting_service.MeetingData(
        title="Đại hội đại biểu Công đoàn huyện Gia Lâm lần thứ XV, nhiệm kỳ 2026-2031", kind="conference",
        mode="hybrid", starts_at=meeting_service.vietnam_moment(day, 8, 0),
        ends_at=meeting_service.vietnam_moment(day, 17, 0), chair_id=users["chutich"].id,
        secretary_id=secretary.id, location="Hội trường Trung tâm Văn hóa huyện", online_link="https://hop.example.vn/dh"))
    db.session.flush()
    rows = []
    for i in range(participants - 2):
        answer = "absent" if i % 20 == 7 else "attend_online" if i % 20 == 3 else "attend"
        rows.append({"meeting_id": meeting.id, "guest_name": f"Đại biểu Nguyễn Văn {i:04d}", "role": "member",
                     "votes": True, "answer": answer, "answer_reason": "Đi công tác" if answer == "absent" else None,
                     "guest_organisation": f"Công đoàn cơ sở số {i % 150:03d}"})
    db.session.execute(insert(Participant), rows)
    for n in range(items):
        db.session.add(AgendaItem(meeting_id=meeting.id, position=n, title=f"Nội dung số {n + 1} của đại hội",
                                  kind="decision"))
    db.session.flush()
    item_ids = [i.id for i in db.session.execute(db.select(AgendaItem).where(AgendaItem.meeting_id == meeting.id)
                                                  .order_by(AgendaItem.position)).scalars()]
    members = list(db.session.execute(db.select(Participant).where(Participant.meeting_id == meeting.id,
                                                                   Participant.votes.is_(True))).scalars())
    present = [p for p in members if p.answer != "absent"]
    for n in range(votes):
        election = n >= votes - 2
        secret = election or n % 5 == 4
        kind = "secret" if secret else "named"
        if election:
            options = rules.election_options([f"Ứng cử viên {c}" for c in "ABCDE"], 3)
            preset = rules.preset_rules("union_election")
        else:
            options = rules.OPTION_SETS["tan_thanh"]
            preset = rules.preset_rules("union_conference")
        keys = [o.key for o in options.options]
        choices = [[keys[(i * 7 + n) % len(keys)], keys[(i + 1) % len(keys)]][:1 if not election else 2]
                   if i % 10 else [keys[0]] for i in range(len(present))]
        choices = [list(dict.fromkeys(c)) for c in choices]
        counts = {k: sum(1 for c in choices if k in c) for k in keys}
        decision = rules.decide(options, preset, rules.Tally(counts, len(present)),
                                rules.Electorate(len(members), len(present)))
        vote = Vote(meeting_id=meeting.id, agenda_item_id=item_ids[n % len(item_ids)], title=f"Biểu quyết {n + 1}",
                    kind=kind, option_set=options.key, seats=options.seats, preset="union_conference",
                    quorum_rule=preset.quorum, majority_base=preset.base, threshold=preset.threshold,
                    secret_for_elections=True, status="closed", created_by_id=secretary.id,
                    members_at_close=len(members), present_at_close=len(present),
                    result=json.dumps(decision.as_dict(), ensure_ascii=False), closed_at=meeting.ends_at)
        db.session.add(vote)
        db.session.flush()
        for position, o in enumerate(options.options):
            db.session.add(VoteOption(vote_id=vote.id, position=position, key=o.key, label=o.label,
                                      approves=o.approves))
        if secret:
            db.session.execute(insert(VoteBallot), [
                {"id": n * 10_000_000 + i + 1, "vote_id": vote.id, "choice": ",".join(c), "salt": f"{i:032x}",
                 "digest": hashlib.sha256(f"{vote.id}:{i}:{c}".encode()).hexdigest()} for i, c in enumerate(choices)])
        else:
            db.session.execute(insert(VoteVoter), [
                {"id": n * 10_000_000 + i + 1, "vote_id": vote.id, "participant_id": p.id, "choice": ",".join(c),
                 "channel": "remote" if p.answer == "attend_online" else "room"}
                for i, (p, c) in enumerate(zip(present, choices, strict=True))])
    meeting.status = "ended"
    db.session.commit()
    return meeting.id


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--participants", type=int, default=2000)
    parser.add_argument("--items", type=int, default=30)
    parser.add_argument("--votes", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = _app(Path(tmp))
        with app.app_context():
            setup = time.perf_counter()
            meeting_id = _meeting(args.participants, args.items, args.votes)
            print(f"meeting written: {args.participants} participants, {args.items} items, {args.votes} closed votes "
                  f"({time.perf_counter() - setup:.1f} s)")
            baseline = statistics.median(_timed(lambda: render_pdf(sample_445_kh(issued=False))) for _ in range(3))
            print(f"baseline, one-page plan 445/KH-LĐLĐ rendered: {baseline:.2f} s (CPU {CPU[-1]:.2f} s)")
            meeting = db.session.get(Meeting, meeting_id)
            secretary = db.session.execute(db.select(User).where(User.username == "thuky")).scalar_one()
            text = statistics.median(_timed(lambda: service.content(meeting, None)) for _ in range(3))
            print(f"1. text and record from the database: {text:.2f} s (CPU {CPU[-1]:.2f} s)")
            draft = _timed(lambda: (service.draft_minutes(secretary, meeting), db.session.commit()))
            minutes = service.minutes_of(meeting)
            pdf = read_verified(minutes.document.current_version.pdf_file)
            print(f"2. draft_minutes end to end: {draft:.2f} s ({draft / baseline:.1f}x the one-page render; goal "
                  f"≤ 10 s: {'met' if draft <= 10 else 'NOT met'}; CPU {CPU[-1]:.2f} s); {len(pdf) // 1024} KiB")
            sign = _timed(lambda: (service.sign_as_secretary(secretary, meeting, DEMO_PIN), db.session.commit()))
            signed = read_verified(minutes.document.current_version.pdf_file)
            print(f"3. the secretary's signature on a fresh version: {sign:.2f} s (CPU {CPU[-1]:.2f} s)")
            report = None

            def check() -> None:
                nonlocal report
                report = check_record(signed)

            checked = _timed(check)
            assert report is not None
            print(f"4. check_record on the signed PDF: {checked:.2f} s, {report.checked_votes} votes recomputed, "
                  f"problems: {report.problems or 'none'}")
            return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
