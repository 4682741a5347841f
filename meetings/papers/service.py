"""A meeting's papers: added from an upload (PDF, or DOCX converted) or from a document already in edoc, new
versions, per-person restriction, the release time (and the 3-working-day warning of QĐ 45/2018 for a regular
meeting), comments on drafts, and delivery with the reader's name stamped on unsigned papers.

Each change of state is one function: validated, authorised through ``meetings.agenda.policy``, written and
audited and committed."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from edoc.accounts.models import User
from edoc.audit.service import record
from edoc.calendar.service import calendar_for
from edoc.core.clock import VIETNAM, vietnam_time
from edoc.core.db import commit, db, locked, utcnow
from edoc.core.errors import NotFound, ValidationFailed
from edoc.core.text import clean, has_control_chars
from edoc.documents import policy as document_policy
from edoc.documents.models import OutgoingDocument
from edoc.files import sniff
from edoc.files.models import StoredFile
from edoc.files.policy import register_reader_rule
from edoc.files.service import read_verified, store_bytes
from edoc.incoming import policy as incoming_policy
from edoc.incoming.models import IncomingDocument
from meetings.agenda.models import AgendaItem
from meetings.agenda.service import refuse_delete_when
from meetings.attendance.models import Participant
from meetings.meeting.models import Meeting
from meetings.papers import files, policy
from meetings.papers.models import (
    FILE_PURPOSE,
    SOURCE_INCOMING,
    SOURCE_OUTGOING,
    SOURCE_UPLOAD,
    Paper,
    PaperComment,
    PaperDelivery,
    PaperReader,
    PaperRelease,
    PaperVersion,
)
from meetings.papers.watermark import WatermarkError, watermark, watermark_lines

MAX_TITLE = 500
MAX_COMMENT = 4000
LEAD_WORKING_DAYS = 3
MAX_LEAD = timedelta(days=366)
"""A release more than a year before the meeting is a typing mistake (the year), not a plan."""
"""QĐ 45/2018/QĐ-TTg: a regular meeting's papers reach participants at least 3 working days before it."""


def _title(raw: object, fallback: str) -> str:
    title = clean(str(raw or "")) or clean(fallback)
    if not title:
        raise ValidationFailed("Chưa nhập tên tài liệu.", field="title")
    if has_control_chars(title):
        raise ValidationFailed("Tên tài liệu chứa ký tự không hợp lệ.", field="title")
    return title[:MAX_TITLE]


def papers_of(meeting: Meeting) -> list[Paper]:
    return list(db.session.execute(select(Paper).where(Paper.meeting_id == meeting.id)
                                   .order_by(Paper.agenda_item_id, Paper.position, Paper.id)).scalars())


def get_paper(meeting: Meeting, paper_id: int) -> Paper:
    """For the managers' actions (the policy is asked by each action): another meeting's paper is not found."""
    paper = db.session.get(Paper, paper_id)
    if paper is None or paper.meeting_id != meeting.id:
        raise NotFound("Không tìm thấy tài liệu.")
    return paper


def _item(meeting: Meeting, item_id: int) -> AgendaItem:
    item = db.session.get(AgendaItem, item_id)
    if item is None or item.meeting_id != meeting.id:
        raise ValidationFailed("Mục chương trình không thuộc cuộc họp này.", field="agenda_item_id")
    return item


def _next_position(item: AgendaItem) -> int:
    top = db.session.execute(select(func.max(Paper.position)).where(Paper.agenda_item_id == item.id)).scalar()
    return (top or 0) + 1


def _store_version(actor: User, meeting: Meeting, paper: Paper, upload: files.PaperFile) -> PaperVersion:
    # A DOCX is kept as its source; readers get the PDF. Both are the meeting organisation's files, read only
    # through the meeting's gate (FILE_PURPOSE has a reader rule that lets nobody in by role).
    source = None
    if upload.media_type != sniff.PDF:
        source = store_bytes(upload.data, upload.name, uploader=actor, purpose=FILE_PURPOSE,
                             media_type=upload.media_type, organisation_id=meeting.organisation_id)
    pdf = store_bytes(upload.pdf, upload.pdf_name, uploader=actor, purpose=FILE_PURPOSE, media_type=sniff.PDF,
                      organisation_id=meeting.organisation_id)
    number = len(paper.versions) + 1
    version = PaperVersion(paper_id=paper.id, number=number, file_id=pdf.id,
                           source_file_id=source.id if source else None, signed=upload.signed, pages=upload.pages,
                           created_by_id=actor.id)
    paper.versions.append(version)
    db.session.flush()
    return version


def add_upload(actor: User, meeting: Meeting, item_id: int, upload: files.PaperFile, *, title: object = "",
               draft: bool = False) -> Paper:
    """A paper from a file ``files.read_upload`` already checked."""
    policy.require_edit(actor, meeting)
    item = _item(meeting, item_id)
    paper = Paper(meeting_id=meeting.id, agenda_item_id=item.id, position=_next_position(item),
                  title=_title(title, upload.name.rsplit(".", 1)[0]), source=SOURCE_UPLOAD, draft=draft,
                  added_by_id=actor.id)
    db.session.add(paper)
    db.session.flush()
    version = _store_version(actor, meeting, paper, upload)
    record("meeting.paper.add", paper, actor=actor, organisation_id=meeting.organisation_id,
           changes={"meeting_id": meeting.id, "item_id": item.id, "title": paper.title, "source": paper.source,
                    "file_id": version.file_id, "signed": version.signed, "draft": draft})
    commit()
    return paper


def add_version(actor: User, meeting: Meeting, paper: Paper, upload: files.PaperFile) -> PaperVersion:
    """A new version of an uploaded paper; earlier versions and their comments stay."""
    policy.require_edit(actor, meeting)
    if paper.source != SOURCE_UPLOAD:
        raise ValidationFailed("Tài liệu lấy từ văn bản trong hệ thống: cập nhật văn bản đó rồi lấy lại bản mới.",
                               field="file")
    locked(paper)
    version = _store_version(actor, meeting, paper, upload)
    record("meeting.paper.version", paper, actor=actor, organisation_id=meeting.organisation_id,
           changes={"number": version.number, "file_id": version.file_id, "signed": version.signed})
    commit()
    return version


@dataclass(frozen=True)
class DocumentChoice:
    kind: str
    id: int
    label: str
    secret: bool


def document_file(doc: OutgoingDocument | IncomingDocument) -> StoredFile | None:
    """The file a document is read as: an outgoing one's issued file, else its signed file, else its current
    version's PDF (a draft); an incoming one's main file."""
    if isinstance(doc, IncomingDocument):
        return doc.file
    if doc.issued_file is not None:
        return doc.issued_file
    if doc.signed_file is not None:
        return doc.signed_file
    version = doc.current_version
    return version.pdf_file if version is not None else None


def document_choices(actor: User, meeting: Meeting, limit: int = 60) -> list[DocumentChoice]:
    """Recent documents of the meeting's organisation that ``actor`` may read, for the "attach a document"
    list (both kinds, newest first). Only the secretary's own reading rights count: a document they cannot read
    is not offered, and ``link_document`` refuses it by id too."""
    if actor.organisation_id != meeting.organisation_id:
        return []
    outgoing = list(db.session.execute(select(OutgoingDocument).where(
        OutgoingDocument.organisation_id == meeting.organisation_id).order_by(OutgoingDocument.id.desc())
        .limit(limit * 3)).scalars())
    visible = document_policy.viewable_among(actor, outgoing)
    choices = [DocumentChoice(SOURCE_OUTGOING, d.id, f"Văn bản đi {d.reference} — {d.summary[:120]}", d.is_secret)
               for d in outgoing if d.id in visible and document_file(d) is not None][:limit]
    incoming = db.session.execute(select(IncomingDocument).where(
        incoming_policy.visible_clause(actor), IncomingDocument.file_id.is_not(None))
        .order_by(IncomingDocument.id.desc()).limit(limit)).scalars()
    choices += [DocumentChoice(SOURCE_INCOMING, d.id, f"Văn bản đến {d.original_reference or d.arrival_number} — "
                                                      f"{d.summary[:120]}", d.is_secret) for d in incoming]
    return choices


def link_document(actor: User, meeting: Meeting, item_id: int, kind: str, doc_id: int, *,
                  title: object = "", draft: bool | None = None) -> Paper:
    """A document already in edoc as a paper: only one of the meeting's organisation that ``actor`` may read.
    Unknown, another organisation's and unreadable ids get the same answer, so none can be probed."""
    policy.require_edit(actor, meeting)
    item = _item(meeting, item_id)
    doc: OutgoingDocument | IncomingDocument | None
    if kind == SOURCE_OUTGOING:
        doc = db.session.get(OutgoingDocument, doc_id)
    elif kind == SOURCE_INCOMING:
        doc = db.session.get(IncomingDocument, doc_id)
    else:
        raise ValidationFailed("Loại văn bản không hợp lệ (văn bản đi hoặc văn bản đến).", field="document")
    if doc is None or doc.organisation_id != meeting.organisation_id or not policy.may_read_document(actor, doc):
        raise ValidationFailed("Không tìm thấy văn bản này trong những văn bản bạn được xem của cơ quan tổ chức "
                               "cuộc họp.", field="document")
    file = document_file(doc)
    if file is None or file.media_type != sniff.PDF:
        raise ValidationFailed("Văn bản chưa có tệp PDF để làm tài liệu họp.", field="document")
    signed, pages = files.pdf_facts(read_verified(file))
    is_draft = (isinstance(doc, OutgoingDocument) and doc.issued_file is None) if draft is None else draft
    paper = Paper(meeting_id=meeting.id, agenda_item_id=item.id, position=_next_position(item),
                  title=_title(title, doc.summary), source=kind,
                  outgoing_document_id=doc.id if kind == SOURCE_OUTGOING else None,
                  incoming_document_id=doc.id if kind == SOURCE_INCOMING else None, draft=is_draft,
                  added_by_id=actor.id)
    db.session.add(paper)
    db.session.flush()
    paper.versions.append(PaperVersion(paper_id=paper.id, number=1, file_id=file.id, signed=signed, pages=pages,
                                       created_by_id=actor.id))
    record("meeting.paper.link", paper, actor=actor, organisation_id=meeting.organisation_id,
           changes={"meeting_id": meeting.id, "item_id": item.id, "source": kind, "document_id": doc.id,
                    "file_id": file.id, "secret": doc.is_secret})
    commit()
    return paper


def remove_paper(actor: User, meeting: Meeting, paper: Paper) -> None:
    """Taken off the agenda with its comments and delivery records (the audit keeps what happened)."""
    policy.require_edit(actor, meeting)
    for model in (PaperComment, PaperDelivery):
        for row in db.session.execute(select(model).where(model.paper_id == paper.id)).scalars():
            db.session.delete(row)
    record("meeting.paper.remove", paper, actor=actor, organisation_id=meeting.organisation_id,
           changes={"title": paper.title})
    db.session.delete(paper)
    commit()


def set_readers(actor: User, meeting: Meeting, paper: Paper, participant_ids: Iterable[int] | None) -> None:
    """Restrict a paper to these participants (each must be one of the meeting's, with an edoc account);
    ``None`` lifts the restriction."""
    policy.require_edit(actor, meeting)
    wanted = sorted(set(participant_ids)) if participant_ids is not None else []
    if participant_ids is not None:
        if not wanted:
            raise ValidationFailed("Chọn ít nhất một đại biểu được đọc tài liệu, hoặc bỏ giới hạn.", field="readers")
        found = set(db.session.execute(select(Participant.id).where(
            Participant.meeting_id == meeting.id, Participant.id.in_(wanted),
            Participant.user_id.is_not(None))).scalars())
        if found != set(wanted):
            raise ValidationFailed("Có người được chọn không phải đại biểu (có tài khoản) của cuộc họp này.",
                                   field="readers")
    paper.readers.clear()
    db.session.flush()
    paper.restricted = participant_ids is not None
    for pid in wanted:
        paper.readers.append(PaperReader(paper_id=paper.id, participant_id=pid))
    record("meeting.paper.readers", paper, actor=actor, organisation_id=meeting.organisation_id,
           changes={"restricted": paper.restricted, "participant_ids": wanted})
    commit()


_LOCAL = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::\d{2})?$")


def parse_local_time(raw: object, *, field: str = "release_at") -> datetime:
    """"2026-12-07T08:00" (a datetime-local field, Hà Nội time) or an ISO 8601 time with its offset, to UTC."""
    text = str(raw or "").strip()
    if not text:
        raise ValidationFailed("Chưa nhập thời điểm.", field=field)
    try:
        if _LOCAL.match(text):
            moment = datetime.fromisoformat(text.replace(" ", "T")).replace(tzinfo=VIETNAM)
        else:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=VIETNAM)
        return moment.astimezone(UTC)  # year 1 at +01:00 has no UTC: OverflowError, refused below
    except (ValueError, OverflowError):
        raise ValidationFailed("Thời điểm không hợp lệ (dạng ngày/tháng/năm giờ:phút).", field=field) from None


def set_release(actor: User, meeting: Meeting, release_at: datetime) -> PaperRelease:
    """When the papers reach the participants; it must be before the meeting starts."""
    policy.require_edit(actor, meeting)
    if release_at < meeting.starts_at - MAX_LEAD:
        raise ValidationFailed("Thời điểm phát hành quá xa trước cuộc họp (hơn một năm): kiểm tra lại năm.",
                               field="release_at")
    if release_at >= meeting.starts_at:
        raise ValidationFailed(
            f"Thời điểm phát hành tài liệu ({vietnam_time(release_at):%H:%M %d/%m/%Y}) phải trước giờ bắt đầu họp "
            f"({vietnam_time(meeting.starts_at):%H:%M %d/%m/%Y}).", field="release_at")
    release = db.session.get(PaperRelease, meeting.id)
    before = release.release_at.isoformat() if release else None
    if release is None:
        release = PaperRelease(meeting_id=meeting.id, release_at=release_at, set_by_id=actor.id)
        db.session.add(release)
    else:
        release.release_at, release.set_by_id, release.set_at = release_at, actor.id, utcnow()
    record("meeting.paper.release", meeting, actor=actor, organisation_id=meeting.organisation_id,
           changes={"release_at": [before, release_at.isoformat()]})
    commit()
    return release


def release_warning(meeting: Meeting) -> str | None:
    """For a regular meeting: a warning when its papers go out less than 3 working days before it (counted on the
    organisation's working-day calendar, as incoming deadlines are), or when no release time is set."""
    if meeting.kind != "regular":
        return None
    release = db.session.get(PaperRelease, meeting.id)
    if release is None:
        return ("Chưa đặt thời điểm phát hành tài liệu: họp thường kỳ phải gửi tài liệu trước ít nhất "
                f"{LEAD_WORKING_DAYS} ngày làm việc (Quyết định 45/2018/QĐ-TTg).")
    days = working_days_ahead(meeting, release.release_at)
    if days >= LEAD_WORKING_DAYS:
        return None
    return (f"Tài liệu phát hành {vietnam_time(release.release_at):%H:%M %d/%m/%Y}, chỉ trước cuộc họp {days} ngày "
            f"làm việc: họp thường kỳ phải gửi tài liệu trước ít nhất {LEAD_WORKING_DAYS} ngày làm việc (Quyết "
            f"định 45/2018/QĐ-TTg).")


def working_days_ahead(meeting: Meeting, release_at: datetime) -> int:
    """Working days from the release day (exclusive) to the meeting's day (inclusive), on Hà Nội's calendar:
    released Monday for a Thursday meeting is 3."""
    calendar = calendar_for(meeting.organisation_id)
    return calendar.working_days_between(vietnam_time(release_at).date(), vietnam_time(meeting.starts_at).date())


def add_comment(actor: User, meeting: Meeting, paper: Paper, version_id: int, page: int, body: object) -> PaperComment:
    if not policy.can_comment(actor, paper, meeting):
        raise ValidationFailed("Chỉ góp ý được trên tài liệu dự thảo mà bạn được đọc, trước khi cuộc họp kết thúc.",
                               field="body")
    version = db.session.get(PaperVersion, version_id)
    if version is None or version.paper_id != paper.id:
        raise ValidationFailed("Phiên bản tài liệu không hợp lệ.", field="version_id")
    if not 1 <= page <= max(version.pages, 1):
        raise ValidationFailed(f"Trang phải từ 1 đến {version.pages}.", field="page")
    text = clean(str(body or ""))
    if not text:
        raise ValidationFailed("Chưa nhập nội dung góp ý.", field="body")
    if len(text) > MAX_COMMENT or has_control_chars(text.replace("\n", " ").replace("\t", " ")):
        raise ValidationFailed(f"Góp ý dài quá {MAX_COMMENT} ký tự hoặc chứa ký tự không hợp lệ.", field="body")
    comment = PaperComment(paper_id=paper.id, version_id=version.id, page=page, author_id=actor.id, body=text)
    db.session.add(comment)
    record("meeting.paper.comment", comment, actor=actor, organisation_id=meeting.organisation_id,
           changes={"paper_id": paper.id, "version": version.number, "page": page})
    commit()
    return comment


def comments_for(user: User, meeting: Meeting, paper: Paper) -> list[PaperComment]:
    query = select(PaperComment).where(PaperComment.paper_id == paper.id)
    if not policy.sees_all_comments(user, paper, meeting):
        query = query.where(PaperComment.author_id == user.id)
    return list(db.session.execute(query.order_by(PaperComment.version_id, PaperComment.page,
                                                  PaperComment.id)).scalars())


@dataclass(frozen=True)
class Delivered:
    version: PaperVersion
    watermarked: bool
    data: bytes | None
    """The stamped PDF; None for a signed one, sent intact from the store."""
    filename: str


def deliver(actor: User, meeting: Meeting, paper: Paper, *, version_number: int | None = None,
            inline: bool = False) -> Delivered:
    """The paper's PDF for ``actor`` (who may read it: the caller asked ``policy.readable_paper``), recorded.
    Unsigned: stamped with their name; signed: intact, as a stamp would break the signature."""
    version = (paper.current if version_number is None
               else next((v for v in paper.versions if v.number == version_number), None))
    if version is None:
        raise NotFound("Không tìm thấy phiên bản tài liệu.")
    filename = f"{paper.title[:120]}.pdf".replace("/", "-").replace("\\", "-")
    data = None
    if not version.signed:
        name, footer = watermark_lines(actor.full_name or actor.username, [
            meeting.title[:80], f"{vietnam_time():%H:%M %d/%m/%Y}"])
        try:
            data = watermark(read_verified(version.file), name, footer)
        except WatermarkError as exc:
            raise ValidationFailed(f"Không tạo được bản tài liệu mang tên bạn: {exc}.", field="file") from None
    db.session.add(PaperDelivery(paper_id=paper.id, version_id=version.id, user_id=actor.id,
                                 watermarked=not version.signed, inline=inline))
    if version.signed:
        record("meeting.paper.download", paper, actor=actor, organisation_id=meeting.organisation_id,
               changes={"version": version.number, "signed": True, "inline": inline})
    commit()
    return Delivered(version, not version.signed, data, filename)


def deliveries_of(paper: Paper) -> list[PaperDelivery]:
    return list(db.session.execute(select(PaperDelivery).where(PaperDelivery.paper_id == paper.id)
                                   .order_by(PaperDelivery.id.desc()).limit(200)).scalars())


def _reader_rule(user: User, file: StoredFile) -> bool:
    """Uploaded papers are read through the meeting's pages only (its gate, restriction, watermark): never
    through /files by role, not even an admin's (their uploader still may, as for every file)."""
    return False


def _papers_left(item: AgendaItem) -> str | None:
    if db.session.execute(select(Paper.id).where(Paper.agenda_item_id == item.id)).first() is not None:
        return "Mục còn tài liệu: gỡ tài liệu trước khi xóa mục."
    return None


def register_rules() -> None:
    register_reader_rule(FILE_PURPOSE, _reader_rule)
    refuse_delete_when(_papers_left)
