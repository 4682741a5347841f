"""What the minutes say, as plain data (no database): the meeting's facts as recorded, the text the secretary
wrote, and the corrections made to recorded facts; from them the Biên bản's body (Decree 30, Appendix III, form
1.9), the machine-readable record embedded in its PDF (``signing.record``) and the Thông báo kết luận's body.

The facts (attendance, votes) are never taken from the secretary's text: they are printed from the record every
time, with each correction shown beside the value first recorded ("ghi nhận ban đầu ... ; đính chính ..."), so a
change to a fact can be seen in the signed document and in the embedded record alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from edoc.core.clock import vietnam_time
from signing.record import FORMAT, attendance_line, vote_line

STATUS_TEXT = {"present": "có mặt tại phòng họp", "online": "tham dự trực tuyến", "absent": "vắng mặt",
               "deputy": "dự thay"}
CHANNEL_TEXT = {"room": "tại phòng họp", "remote": "từ xa", "paper": "phiếu giấy"}
LIST_NAMES_UP_TO = 60
"""Up to this many participants, everyone present is named in the text; above it (a conference of 2,000) the text
gives the figures and names only the absent and their deputies, and the full list is in the embedded record and
the meeting file."""


@dataclass
class Person:
    key: str
    """A stable key for corrections: "p<participant id>"."""
    name: str
    role: str = "member"
    """chair, secretary, member, guest."""
    status: str = "absent"
    """present, online, absent, deputy."""
    votes: bool = True
    reason: str = ""
    deputy_for: str = ""
    organisation: str = ""


@dataclass
class Speech:
    speaker: str
    summary: str = ""


@dataclass
class Opinion:
    """An absent member's written opinion on an item, sent before the meeting."""

    author: str
    text: str


@dataclass
class Item:
    number: str
    title: str
    presenter: str = ""
    papers: list[str] = field(default_factory=list)
    speeches: list[Speech] = field(default_factory=list)
    votes: list[dict[str, Any]] = field(default_factory=list)
    """Each in ``signing.record`` form (number, title, kind, counts, rule, result or elected, ...)."""
    opinions: list[Opinion] = field(default_factory=list)
    proceedings: str = ""
    """What the secretary wrote of the discussion (free text, theirs to edit)."""
    conclusion: str = ""
    """The conclusion the chair or secretary entered for the item."""


@dataclass
class Correction:
    """A recorded fact changed after the meeting, with its reason: attendance (``person:<key>:status`` or
    ``person:<key>:reason``) or a vote's count (``vote:<number>:<option>``)."""

    target: str
    recorded: str
    corrected: str
    reason: str
    by: str


@dataclass
class MeetingFacts:
    organisation: str
    title: str
    starts_at: datetime
    ended_at: datetime | None
    place: str
    online_link: str
    chair: str
    chair_title: str
    secretary: str
    people: list[Person]
    items: list[Item]
    event_log: dict[str, Any] = field(default_factory=dict)
    opening: str = ""
    closing: str = ""
    corrections: list[Correction] = field(default_factory=list)


# --- corrections applied ----------------------------------------------------------------------------------------

def corrected_people(facts: MeetingFacts) -> list[Person]:
    people = [Person(**vars(p)) for p in facts.people]
    by_key = {p.key: p for p in people}
    for c in facts.corrections:
        kind, _, rest = c.target.partition(":")
        key, _, attribute = rest.rpartition(":")
        if kind == "person" and key in by_key and attribute in ("status", "reason"):
            setattr(by_key[key], attribute, c.corrected)
    return people


def corrected_votes(facts: MeetingFacts) -> dict[int, dict[str, Any]]:
    """Votes by number with count corrections applied (the result is whatever the vote's record stated, so a
    correction that changes the result is caught by the record's own check as a mismatch until the vote's result
    is corrected too)."""
    votes: dict[int, dict[str, Any]] = {}
    for item in facts.items:
        for vote in item.votes:
            votes[int(vote["number"])] = {**vote, "counts": dict(vote["counts"])}
    for c in facts.corrections:
        kind, _, rest = c.target.partition(":")
        number, _, option = rest.partition(":")
        if kind == "vote" and number.isdigit() and int(number) in votes:
            vote = votes[int(number)]
            if option == "result":
                vote["result"] = c.corrected
            elif option in vote["counts"]:
                vote["counts"][option] = int(c.corrected)
                if vote.get("ballots") is not None:
                    vote.pop("ballots")  # named ballots no longer add up to a corrected count: the counts stand
                    vote["ballots_withdrawn"] = "đính chính số phiếu"
                if not vote.get("election"):
                    vote["valid"] = sum(vote["counts"].values())
    return votes


# --- the record -------------------------------------------------------------------------------------------------

def record_of(facts: MeetingFacts) -> dict[str, Any]:
    people = corrected_people(facts)
    counts = {s: sum(1 for p in people if p.status == s) for s in STATUS_TEXT}
    votes = corrected_votes(facts)
    return {
        "format": FORMAT,
        "meeting": {"organisation": facts.organisation, "title": facts.title,
                    "starts_at": facts.starts_at.isoformat(),
                    "ended_at": facts.ended_at.isoformat() if facts.ended_at else None,
                    "place": facts.place, "online_link": facts.online_link, "chair": facts.chair,
                    "secretary": facts.secretary},
        "attendance": {"summoned": len(people), "present": counts["present"], "online": counts["online"],
                       "absent": counts["absent"], "deputies": counts["deputy"],
                       "people": [{"name": p.name, "role": p.role, "status": p.status, "votes": p.votes,
                                   **({"reason": p.reason} if p.reason else {}),
                                   **({"deputy_for": p.deputy_for} if p.deputy_for else {}),
                                   **({"organisation": p.organisation} if p.organisation else {})}
                                  for p in people]},
        "votes": [votes[n] for n in sorted(votes)],
        "opinions": [{"item": i.number, "author": o.author, "text": o.text} for i in facts.items for o in i.opinions],
        "corrections": [vars(c) for c in facts.corrections],
        "event_log": facts.event_log,
    }


# --- the Biên bản's text ----------------------------------------------------------------------------------------

def _when(moment: datetime) -> str:
    local = vietnam_time(moment)
    return f"{local:%H} giờ {local:%M}, ngày {local.day:02d} tháng {local.month:02d} năm {local.year}"


def _plain(text: str) -> list[str]:
    """Free text as body lines, each kept a plain paragraph (a line the secretary starts with "1." or "- " must
    not turn into a heading): the body format's leading backslash."""
    return [f"\\{line.strip()}" for line in text.splitlines() if line.strip()]


def _corrections_of(facts: MeetingFacts, prefix: str) -> list[Correction]:
    return [c for c in facts.corrections if c.target.startswith(prefix)]


def _correction_line(c: Correction, what: str) -> str:
    return (f"- Đính chính {what}: ghi nhận ban đầu “{c.recorded}”, sửa thành “{c.corrected}” (lý do: {c.reason}; "
            f"người đính chính: {c.by}).")


def body_of(facts: MeetingFacts, record: dict[str, Any] | None = None) -> str:
    record = record or record_of(facts)
    people = corrected_people(facts)
    lines = [f"Thời gian bắt đầu: {_when(facts.starts_at)}."]
    place = facts.place or ""
    if facts.online_link:
        place = f"{place}; trực tuyến: {facts.online_link}" if place else f"trực tuyến: {facts.online_link}"
    lines.append(f"Địa điểm: {place or 'không ghi'}.")
    lines.append(f"Thành phần tham dự: {attendance_line(record)}.")
    present = [p for p in people if p.status in ("present", "online", "deputy") and p.role not in ("chair",
                                                                                                    "secretary")]
    if len(people) <= LIST_NAMES_UP_TO:
        for p in present:
            extra = f", dự thay {p.deputy_for}" if p.status == "deputy" and p.deputy_for else ""
            where = " (trực tuyến)" if p.status == "online" else ""
            org = f", {p.organisation}" if p.organisation else ""
            lines.append(f"- {p.name}{org}{where}{extra};")
    else:
        lines.append(f"Danh sách {len(people)} người được triệu tập và tình trạng tham dự của từng người có trong "
                     "dữ liệu cuộc họp kèm theo biên bản.")
        for p in (p for p in present if p.status == "deputy"):
            lines.append(f"- {p.name} dự thay {p.deputy_for};")
    absent = [p for p in people if p.status == "absent"]
    if absent:
        lines.append("Vắng mặt:")
        for p in absent:
            lines.append(f"- {p.name}: {p.reason or 'không báo lý do'};")
    for key in {p.key for p in facts.people}:
        for c in _corrections_of(facts, f"person:{key}:"):
            name = next(p.name for p in facts.people if p.key == key)
            what = "tình trạng tham dự của " if c.target.endswith(":status") else "lý do vắng mặt của "
            lines.append(_correction_line(
                Correction(c.target, STATUS_TEXT.get(c.recorded, c.recorded), STATUS_TEXT.get(c.corrected,
                                                                                               c.corrected),
                           c.reason, c.by), what + name))
    lines.append(f"Chủ trì (chủ tọa): {facts.chair}{', ' + facts.chair_title if facts.chair_title else ''}.")
    lines.append(f"Thư ký (người ghi biên bản): {facts.secretary}.")
    lines.append("Nội dung (theo diễn biến cuộc họp):")
    lines += _plain(facts.opening)
    votes = {int(v["number"]): v for v in record["votes"]}
    for item in facts.items:
        lines.append(f"{item.number}. {item.title}")
        if item.presenter:
            lines.append(f"Trình bày: {item.presenter}.")
        if item.papers:
            lines.append("Tài liệu: " + "; ".join(item.papers) + ".")
        for opinion in item.opinions:
            lines.append(f"- Ý kiến bằng văn bản của {opinion.author} (vắng mặt): {opinion.text}")
        lines += _plain(item.proceedings)
        if item.speeches:
            lines.append("Ý kiến phát biểu:")
            for speech in item.speeches:
                lines.append(f"- {speech.speaker}: {speech.summary or '(không ghi tóm tắt)'}")
        for vote in item.votes:
            stated = votes[int(vote["number"])]
            lines.append(f"Biểu quyết: {vote['title']} ({_kind_text(stated)}; {stated['rule']['label']}).")
            lines.append(vote_line(stated) + ".")
            if vote.get("ballots") is not None and vote.get("kind") != "secret":
                # how the ballots arrived, as recorded (a later count correction does not change how they came)
                channels = {ch: sum(1 for b in vote["ballots"] if b.get("channel") == ch) for ch in CHANNEL_TEXT}
                arrived = ", ".join(f"{CHANNEL_TEXT[ch]}: {n}" for ch, n in channels.items() if n)
                if arrived:
                    lines.append(f"Cách gửi phiếu: {arrived}.")
            for c in _corrections_of(facts, f"vote:{vote['number']}:"):
                lines.append(_correction_line(c, f"biểu quyết số {vote['number']}"))
        if item.conclusion:
            lines.append("Kết luận:")
            lines += _plain(item.conclusion)
    lines += _plain(facts.closing)
    if facts.ended_at is not None:
        lines.append(f"Cuộc họp kết thúc vào {_when(facts.ended_at)}./.")
    return "\n".join(lines)


def _kind_text(vote: dict[str, Any]) -> str:
    if vote.get("election"):
        return "bầu cử, bỏ phiếu kín" if vote.get("kind") == "secret" else "bầu cử"
    return {"secret": "bỏ phiếu kín", "named": "biểu quyết ghi danh"}.get(str(vote.get("kind")), "biểu quyết công khai")


# --- the Thông báo kết luận's text ------------------------------------------------------------------------------

def notice_body(facts: MeetingFacts) -> str:
    local = vietnam_time(facts.starts_at)
    lines = [f"Ngày {local.day:02d} tháng {local.month:02d} năm {local.year}, {facts.organisation} tổ chức "
             f"{facts.title[:1].lower() + facts.title[1:]}. {facts.chair_title + ' ' if facts.chair_title else ''}"
             f"{facts.chair} chủ trì cuộc họp.",
             f"Sau khi nghe báo cáo và ý kiến của các thành viên dự họp, {facts.chair} kết luận như sau:"]
    concluded = [i for i in facts.items if i.conclusion.strip()]
    for n, item in enumerate(concluded, start=1):
        lines.append(f"{n}. Về {item.title[:1].lower() + item.title[1:]}")
        lines += _plain(item.conclusion)
    lines.append(f"{facts.organisation} thông báo để các đơn vị, cá nhân liên quan biết, thực hiện./.")
    return "\n".join(lines)
