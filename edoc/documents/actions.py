"""The document's actions, as the page's buttons and the API's endpoints call them: the service function, the
commit, then the work that must wait for the commit (e-mail to external recipients, the issued file's report).

Each function here is the one a view or API route calls for its change, and it commits (docs/architecture.md,
"Who commits"); the functions it calls (``sources.save_draft``, ``paper.record_scan``, ``copies.make_copy`` …)
write in their caller's transaction, so another package can build them into a bigger change (the minutes'
notice drafts a document inside its own)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any, BinaryIO

from edoc.accounts.models import User
from edoc.core.db import commit, db
from edoc.core.errors import NotFound
from edoc.core.forms import parse_int, parse_optional_id
from edoc.documents import copies as copying
from edoc.documents import dispatch, hooks, paper, sources
from edoc.documents.drafting import DraftData, RecipientData, add_comment
from edoc.documents.issuing import issue, mark_read
from edoc.documents.models import OutgoingDocument
from edoc.documents.recall import recall, start_replacement
from edoc.documents.review import approve, return_draft, submit
from edoc.documents.signature_reports import record_issued
from edoc.notifications.service import mark_link_read

log = logging.getLogger(__name__)


def issue_document(actor: User, doc: OutgoingDocument, *, register_id: int | None = None,
                   at: datetime | None = None) -> OutgoingDocument:
    """The clerk's one action, as pages and API call it: number and deliver (``issue``), fill the number and date
    into the signed PDF and apply the organisation's signature (``sources.finalise_issued``) in the same
    transaction, so a refusal at any step rolls the number back, with the e-mail to external recipients (and the
    notice to those of the document it replaces) asked in it as jobs (``dispatch.ask``); commit. The issued file's
    signature report is kept last: it changes nothing the issue depends on, checking it under the register's lock
    would hold other clerks, and a failure there must neither keep the document from its recipients nor show the
    clerk an error for a document that is issued."""
    doc = issue(actor, doc, register_id=register_id, at=at)
    sources.finalise_issued(actor, doc)
    hooks.run_on_issue(doc)  # same-installation recipients: their incoming queue, in this commit
    dispatch_external(doc)
    commit()
    _keep_issued_report(actor, doc)
    hooks.run_after_issue(doc)
    return doc


def _keep_issued_report(actor: User, doc: OutgoingDocument) -> None:
    doc_id, reference = doc.id, doc.reference  # read now: after a rollback they would be loaded again
    try:
        record_issued(actor, doc)
        commit()
    except Exception:  # whatever failed, the issue is committed and stands: only its kept report is missing
        db.session.rollback()
        log.exception("signature report of issued document %s (%s) not kept", doc_id, reference)


def dispatch_external(doc: OutgoingDocument) -> None:
    """In the issuing transaction: the jobs that e-mail external recipients (``dispatch``) and tell those of the
    document it replaces that it was replaced; they run once it commits, wherever the process dies after."""
    dispatch.ask(doc, dispatch.ISSUE)
    if doc.replaces is not None:
        dispatch.ask(doc.replaces, dispatch.RECALL)


def recall_document(actor: User, doc: OutgoingDocument, reason: str) -> OutgoingDocument:
    """Recall, with the job that e-mails the recall notice to external recipients asked in the same transaction;
    commit."""
    recall(actor, doc, reason)
    dispatch.ask(doc, dispatch.RECALL)
    commit()
    return doc


ACTIONS = ("submit", "approve", "return", "comment", "issue", "recall", "replace", "dispatch", "copy")


def perform(actor: User, doc: OutgoingDocument, action: str, fields: Mapping[str, Any]
            ) -> tuple[OutgoingDocument, str]:
    """One change of state of ``doc``, committed, with what to tell the user; ``fields`` are the form's or
    the JSON body's. Returns the document to show next (the new draft, for a replacement)."""
    if action == "submit":
        submit(actor, doc)
        message = "Đã trình ký."
    elif action == "approve":
        approve(actor, doc)
        message = "Đã duyệt văn bản."
    elif action == "return":
        return_draft(actor, doc, str(fields.get("reason") or ""))
        message = "Đã trả lại dự thảo."
    elif action == "comment":
        add_comment(actor, doc, str(fields.get("text") or ""))
        message = "Đã gửi góp ý."
    elif action == "issue":
        register_id = parse_optional_id(fields.get("register_id"), field="register_id")
        doc = issue_document(actor, doc, register_id=register_id)
        return doc, f"Đã ban hành văn bản số {doc.reference}."
    elif action == "recall":
        recall_document(actor, doc, str(fields.get("reason") or ""))
        return doc, "Đã thu hồi văn bản và thông báo cho nơi nhận."
    elif action == "replace":
        doc = start_replacement(actor, doc)
        message = "Đã tạo dự thảo thay thế. Hãy sửa nội dung rồi trình ký."
    elif action == "copy":
        copy = make_copy(actor, doc, str(fields.get("form") or "SY"),
                         signer_id=parse_optional_id(fields.get("signer_id"), field="signer_id"),
                         copies=parse_int(fields.get("copies") or 1, field="copies", minimum=1, maximum=1000,
                                          message="Số lượng bản phải từ 1 đến 1000."))
        return copy, f"Đã cấp số bản sao {copy.reference}."
    elif action == "dispatch":
        count = dispatch.retry(actor, doc)
        commit()
        return doc, f"Đang gửi lại {count} nơi nhận."
    else:
        raise NotFound("Không có thao tác này.")
    commit()
    return doc, message


def save_draft(actor: User, data: DraftData, *, doc: OutgoingDocument | None = None,
               upload: sources.Upload | None = None, expected_version: int | None = None) -> OutgoingDocument:
    """A new draft or a new version (``sources.save_draft``), committed."""
    doc = sources.save_draft(actor, data, doc=doc, upload=upload, expected_version=expected_version)
    commit()
    return doc


def attach(actor: User, doc: OutgoingDocument, stream: BinaryIO, filename: str, title: str) -> None:
    """A phụ lục in a separate file (``sources.add_attachment``), committed."""
    sources.add_attachment(actor, doc, stream, filename, title)
    commit()


def keep_paper_scan(actor: User, doc: OutgoingDocument, name: str, scan: bytes) -> None:
    """The scan of the signed paper original (read and checked by ``paper.read_scan``), committed."""
    paper.record_scan(actor, doc, name, scan)
    commit()


def make_copy(actor: User, doc: OutgoingDocument, form: str, *, signer_id: int | None = None,
              recipients: list[RecipientData] | None = None, copies: int = 1) -> OutgoingDocument:
    """A numbered electronic copy of an issued document (``copies.make_copy``), committed."""
    copy = copying.make_copy(actor, doc, form, signer_id=signer_id, recipients=recipients, copies=copies)
    commit()
    return copy


def open_document(actor: User, doc: OutgoingDocument, *, link: str | None = None) -> None:
    """A reader opened the document: their delivery marked read, and (on the page) the bell's items pointing at
    ``link``; committed when either changed something, so a page view that changes nothing writes nothing."""
    opened = mark_read(actor, doc)
    cleared = mark_link_read(actor.id, link) if link is not None else 0
    if opened or cleared:
        commit()
