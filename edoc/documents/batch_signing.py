"""The signer signs several approved documents at once, as jobs of ``edoc.jobs``: the PIN and the signature image
are checked on the page, the batch is written as parts of ``BATCH_PART`` documents, each part unlocks the key
once and signs its documents one by one, reporting progress to the signer's pages (``signing.progress``, then
``signing.done``); ``batch_state`` answers a page that reconnects. One document: ``edoc.documents.signing``."""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select

from edoc import jobs
from edoc.accounts.models import User
from edoc.core.db import commit, db, locked
from edoc.core.errors import DomainError, NotFound, ValidationFailed
from edoc.documents import policy
from edoc.documents.models import OutgoingDocument
from edoc.documents.signing import SignerSetup, keep_signature, signed_bytes, source_pdf
from edoc.realtime.events import emit_after_commit, user_room
from edoc.signatures.credentials import personal_key
from edoc.signatures.events import SIGNING_DONE, SIGNING_PROGRESS
from signing.keys import SigningCredential as SigningKey

log = logging.getLogger(__name__)

BATCH_FAILURE = "Lỗi hệ thống khi ký văn bản này (đã ghi nhật ký); văn bản chưa được ký, hãy thử lại sau."
"""What the signer reads for a document whose signing failed unexpectedly; the details go to the log only."""

SIGN_JOB = "signatures.sign"
"""The job's name, as queued rows and Huey's messages store it: kept from when this lived in edoc.signatures, so
a batch queued before the move still finds its handler."""
BATCH_PART = 10
"""Documents per job of a batch: the parts run on as many workers as there are (signing is CPU work, so a batch
uses every core given to workers), each unlocking the key once."""


def start_batch(actor: User, doc_ids: list[int], pin: str) -> str:
    """Sign several approved documents, as jobs: the PIN, the credential and the signature image are checked
    now (a wrong PIN is refused on the page, and counted), then the batch is written as jobs of ``BATCH_PART``
    documents, the PIN sealed with each (``edoc.jobs``), and committed. Returns the batch's id; progress goes to
    the signer's channel (``signing.progress``, then ``signing.done``) and ``batch_state`` answers a page that
    reconnects."""
    if not doc_ids:
        raise ValidationFailed("Chọn ít nhất một văn bản để ký.", field="ids")
    ids = list(dict.fromkeys(doc_ids))
    with personal_key(actor, pin):
        SignerSetup.of(actor)  # an image that is not blue is refused at the door, as for one document
    batch = uuid.uuid4().hex
    for first in range(0, len(ids), BATCH_PART):
        jobs.enqueue_after_commit(SIGN_JOB, {"user_id": actor.id, "document_ids": ids[first:first + BATCH_PART],
                                             "total": len(ids)}, requested_by=actor.id, batch=batch, secret=pin)
    commit()
    return batch


@jobs.handler(SIGN_JOB)
def _sign_part(context: jobs.JobContext) -> jobs.Outcome:
    """One part of a batch. Each document's signature commits with the line recording it in the job's result,
    so an attempt after a crash skips exactly the documents signed before it (and a document signed meanwhile by
    other means is refused by its state): no document is signed twice."""
    ids = [int(i) for i in context.payload["document_ids"]]
    total = int(context.payload["total"])
    results: dict[str, str | None] = dict(context.result.get("results", {}))
    remaining = [i for i in ids if str(i) not in results]
    actor = db.session.get(User, int(context.payload["user_id"]))
    refusal: str | None = None
    if actor is None or not actor.active:
        refusal = "Tài khoản người ký không còn hoạt động."
    elif context.secret is None:
        refusal = "Không mở được mã PIN của lượt ký này (khóa bí mật của máy chủ đã đổi?); hãy ký lại."
    else:
        try:
            with personal_key(actor, context.secret) as key:
                setup = SignerSetup.of(actor)
                commit()
                for doc_id in remaining:
                    error = _sign_queued(setup, actor, doc_id, key)
                    results[str(doc_id)] = error
                    jobs.record_progress(context, len(results), len(ids), {"results": results})
                    commit()  # the signature and the line saying so, together
                    _report(context, actor.id, doc_id, error, total)
                remaining = []
        except DomainError as exc:  # the credential locked, replaced or its PIN changed since the batch began
            db.session.rollback()
            refusal = exc.message
    for doc_id in remaining:
        results[str(doc_id)] = refusal
        jobs.record_progress(context, len(results), len(ids), {"results": results})
        commit()
        _report(context, context.requested_by_id, doc_id, refusal, total)
    signed = sum(1 for error in results.values() if error is None)
    return jobs.Outcome(f"Đã ký {signed}/{len(ids)} văn bản.", result={"results": results})


def _sign_queued(setup: SignerSetup, actor: User, doc_id: int, key: SigningKey) -> str | None:
    """Sign one document of a batch: read, then sign with no transaction open (pyHanko's work, and a timestamp
    authority or revocation responder that may be slow), then lock the row, check it is still to be signed and
    keep the signature, uncommitted (the caller commits it with its record). None, or why not."""
    try:
        doc = db.session.get(OutgoingDocument, doc_id)
        if doc is None:
            return "Văn bản không còn (đã bị xóa)."
        if not policy.can_view(actor, doc):
            return "Không tìm thấy văn bản, hoặc bạn không có quyền xem văn bản này."
        if doc.signed_file_id is not None:
            return "Văn bản đã được ký."
        if not policy.can_sign(actor, doc):
            return "Văn bản không còn chờ bạn ký (đã bị trả lại, thu hồi hoặc thay đổi)."
        pdf, version_id, name = source_pdf(doc), _version_id(doc), actor.full_name
        commit()  # nothing held while signing: on SQLite every transaction holds the write lock
        signed = signed_bytes(setup, pdf, key, None, name)
        doc = locked(doc)
        if not policy.can_sign(actor, doc) or _version_id(doc) != version_id:
            db.session.rollback()
            return "Văn bản đã thay đổi trong khi ký (đã được ký, trả lại hoặc có phiên bản mới); chưa ký."
        keep_signature(setup, actor, doc, key, signed)
        return None
    except DomainError as exc:  # one refused document (no spot for the signature, ...) stops no other
        db.session.rollback()
        return exc.message
    except Exception:
        # Storage, pyHanko or the database failing on one document must not stop the batch: this document is
        # rolled back (its stored bytes with it), the others go on, and the signer is told which.
        db.session.rollback()
        log.exception("batch signing: document %s failed unexpectedly", doc_id)
        return BATCH_FAILURE


def _version_id(doc: OutgoingDocument) -> int | None:
    version = doc.current_version
    return version.id if version is not None else None


def _report(context: jobs.JobContext, user_id: int | None, doc_id: int, error: str | None, total: int) -> None:
    """After a document's outcome commits: the batch's progress to the signer's pages (all parts counted), and
    the end once every document of the batch has its outcome (the last part to commit sees it)."""
    if user_id is None or context.batch is None:
        return
    done = int(db.session.execute(select(func.coalesce(func.sum(jobs.Job.progress_done), 0))
                                  .where(jobs.Job.batch == context.batch)).scalar_one())
    room = user_room(user_id)
    emit_after_commit(db.session, SIGNING_PROGRESS, {"batch": context.batch, "done": done, "total": total,
                                                       "document_id": doc_id, "error": error}, room=room)
    if done >= total:
        emit_after_commit(db.session, SIGNING_DONE, {"batch": context.batch}, room=room)
    commit()


@dataclass
class BatchState:
    batch: str
    total: int
    done: int
    signed: int
    finished: bool
    results: list[dict[str, object]]
    """In the order the documents were chosen: document id and error (None when signed)."""

    def to_json(self) -> dict[str, object]:
        errors = [f"#{r['document_id']}: {r['error']}" for r in self.results if r["error"] is not None]
        return {"batch": self.batch, "total": self.total, "done": self.done, "signed": self.signed,
                "finished": self.finished, "results": self.results, "errors": errors}


def batch_state(actor: User, batch: str) -> BatchState:
    """Where a batch stands, for its signer only (another's batch is not found)."""
    parts = [j for j in jobs.jobs_of_batch(batch) if j.name == SIGN_JOB and j.requested_by_id == actor.id]
    if not parts:
        raise NotFound("Không tìm thấy lượt ký này.")
    results: list[dict[str, object]] = []
    finished = True
    for part in parts:
        recorded = json.loads(part.result or "{}").get("results", {})
        for doc_id in json.loads(part.payload)["document_ids"]:
            if str(doc_id) in recorded:
                results.append({"document_id": int(doc_id), "error": recorded[str(doc_id)]})
            elif part.status == jobs.FAILED:
                results.append({"document_id": int(doc_id), "error": BATCH_FAILURE})
        finished = finished and part.status in {jobs.DONE, jobs.FAILED}
    total = int(json.loads(parts[0].payload)["total"])
    signed = sum(1 for r in results if r["error"] is None)
    return BatchState(batch, total, len(results), signed, finished, results)
