"""The meeting file (hồ sơ cuộc họp) as one ZIP archive: the invitation(s), the Biên bản and the Thông báo kết luận
as issued (their current PDF, named "du-thao", while not issued), the attendance list, the machine-readable record,
the meeting's audit entries (each with its chain hash, so they can be found in the chain ``edoc audit verify``
checks), and a manifest of SHA-256 sums (``SHA256SUMS``, as ``sha256sum -c`` reads it, and ``manifest.json``).

Stored files are copied into the archive in chunks from the object store (checked against their SHA-256 on the way
out); the archive is built in a temporary file that spills to disk past a few megabytes."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import tempfile
import unicodedata
import zipfile
from typing import IO

from sqlalchemy import or_, select

from edoc.accounts.models import User
from edoc.audit.models import AuditEntry
from edoc.audit.service import record
from edoc.core.db import db
from edoc.documents.models import OutgoingDocument
from edoc.documents.policy import PUBLISHED
from edoc.files.models import StoredFile
from edoc.files.service import open_verified
from meetings.meeting import policy as meeting_policy
from meetings.meeting.models import Invitation, Meeting
from meetings.minutes import facts as f
from meetings.minutes import policy
from meetings.minutes.models import FactCorrection, ItemMinutes, WrittenOpinion
from meetings.minutes.service import content, event_lines, minutes_of
from meetings.papers.service import papers_of
from signing.record import FILE_NAME, canonical

CHUNK = 1024 * 1024


class _Writer:
    def __init__(self, out: IO[bytes]) -> None:
        self.zip = zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED)
        self.sums: list[tuple[str, str, int]] = []

    def add_bytes(self, name: str, data: bytes) -> None:
        self.zip.writestr(name, data)
        self.sums.append((name, hashlib.sha256(data).hexdigest(), len(data)))

    def add_file(self, name: str, row: StoredFile) -> None:
        digest, size = hashlib.sha256(), 0
        with open_verified(row) as source, self.zip.open(name, "w", force_zip64=True) as target:
            while chunk := source.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                target.write(chunk)
        self.sums.append((name, digest.hexdigest(), size))

    def close(self) -> None:
        sums = "".join(f"{sha}  {name}\n" for name, sha, _ in self.sums)
        manifest = {"files": [{"name": name, "sha256": sha, "size": size} for name, sha, size in self.sums],
                    "algorithm": "SHA-256"}
        self.zip.writestr("SHA256SUMS", sums)
        self.zip.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
        self.zip.close()


def _safe(title: str) -> str:
    """A file name part from a title: ASCII letters and digits (Vietnamese folded), dashes, at most 60."""
    folded = unicodedata.normalize("NFKD", title.replace("đ", "d").replace("Đ", "D"))
    ascii_text = "".join(c for c in folded if c.isascii() and (c.isalnum() or c in " -")).strip().lower()
    return "-".join(ascii_text.split())[:60] or "tai-lieu"


def _document_file(doc: OutgoingDocument) -> tuple[StoredFile | None, bool]:
    """The issued file, or the current version's PDF while not issued."""
    if doc.status_enum in PUBLISHED and doc.issued_file is not None:
        return doc.issued_file, True
    version = doc.current_version
    return (version.pdf_file if version is not None else None), False


def _attendance_csv(facts: f.MeetingFacts) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["STT", "Họ tên", "Vai trò", "Tình trạng", "Lý do vắng", "Dự thay cho", "Cơ quan"])
    for n, p in enumerate(f.corrected_people(facts), start=1):
        writer.writerow([n, p.name, p.role, f.STATUS_TEXT.get(p.status, p.status), p.reason, p.deputy_for,
                         p.organisation])
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # a BOM so spreadsheet programs read it as UTF-8


def audit_entries(meeting: Meeting) -> list[AuditEntry]:
    """The meeting's own entries and those of its minutes, texts, corrections, opinions and documents."""
    minutes = minutes_of(meeting)
    keys: list[tuple[str, list[str]]] = [("meeting", [str(meeting.id)])]
    if minutes is not None:
        keys.append(("meeting_minutes", [str(minutes.id)]))
        keys.append(("outgoing_document", [str(i) for i in (minutes.document_id, minutes.notice_id) if i]))
    for model, table in ((ItemMinutes, "meeting_item_minutes"), (FactCorrection, "meeting_fact_correction"),
                         (WrittenOpinion, "meeting_written_opinion")):
        ids = db.session.execute(select(model.id).where(model.meeting_id == meeting.id)).scalars()
        keys.append((table, [str(i) for i in ids]))
    keys.append(("outgoing_document", [str(i.document_id) for i in db.session.execute(
        select(Invitation).where(Invitation.meeting_id == meeting.id)).scalars()]))
    clauses = [(AuditEntry.object_type == kind) & AuditEntry.object_id.in_(ids) for kind, ids in keys if ids]
    return list(db.session.execute(select(AuditEntry).where(or_(*clauses)).order_by(AuditEntry.seq)).scalars())


def meeting_file(actor: User, meeting: Meeting) -> tuple[IO[bytes], str]:
    """The archive (a temporary file, positioned at its start; the caller closes it) and its download name."""
    policy.require(policy.can_download_file(actor, meeting), "Bạn không xem được hồ sơ cuộc họp này.")
    minutes = minutes_of(meeting)
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    writer = _Writer(out)
    invitations = db.session.execute(select(Invitation).where(Invitation.meeting_id == meeting.id)
                                     .order_by(Invitation.id)).scalars()
    for n, invitation in enumerate(invitations, start=1):
        doc = db.session.get(OutgoingDocument, invitation.document_id)
        row, issued = _document_file(doc) if doc is not None else (None, False)
        if row is not None:
            writer.add_file(f"01-giay-moi-{n}{'' if issued else '-du-thao'}.pdf", row)
    for number, doc, name in ((2, minutes.document if minutes else None, "bien-ban"),
                              (3, minutes.notice if minutes else None, "thong-bao-ket-luan")):
        if doc is None:
            continue
        row, issued = _document_file(doc)
        if row is not None:
            writer.add_file(f"{number:02d}-{name}{'' if issued else '-du-thao'}.pdf", row)
    manager = meeting_policy.can_manage_meeting(actor, meeting)
    for n, paper in enumerate(papers_of(meeting), start=1):
        # a paper released to named people only goes into the file of those who manage the meeting
        if paper.versions and (manager or not paper.restricted):
            version = paper.versions[-1]
            writer.add_file(f"07-tai-lieu/{n:02d}-v{version.number}-{_safe(paper.title)}.pdf", version.file)
    facts, data, _ = content(meeting, minutes)
    writer.add_bytes("04-diem-danh.csv", _attendance_csv(facts))
    writer.add_bytes(f"05-{FILE_NAME}", canonical(data))
    lines = [json.dumps({"seq": e.seq, "at": e.at.isoformat(timespec="microseconds"), "actor_id": e.actor_id,
                         "actor_name": e.actor_name, "organisation_id": e.organisation_id, "action": e.action,
                         "object_type": e.object_type, "object_id": e.object_id, "changes": e.changes, "ip": e.ip,
                         "prev_hash": e.prev_hash, "hash": e.hash}, ensure_ascii=False, sort_keys=True)
             for e in audit_entries(meeting)]
    writer.add_bytes("06-nhat-ky-kiem-toan.jsonl", ("\n".join(lines) + "\n").encode("utf-8"))
    # the live room's event log, whose hash the record carries: python -m signing record BB.pdf --event-log this
    writer.add_bytes("08-nhat-ky-su-kien.jsonl", b"".join(line + b"\n" for line in event_lines(meeting)))
    writer.close()
    record("meeting.file_download", meeting, actor=actor, changes={"files": len(writer.sums)})
    out.seek(0)
    return out, f"ho-so-cuoc-hop-{meeting.id}.zip"  # type: ignore[return-value]
