"""A meeting's machine-readable record (attendance, votes with their rules, per-option counts, the secret
ballots' hashes, the hash of the meeting's event log) carried inside the minutes' PDF as an embedded file, and
the check that anyone can run on the signed PDF alone:

- ``embed_record(pdf, record)`` adds the record to an unsigned PDF (one incremental update). It must happen before
  the first signature: the signatures then cover it, and later PAdES updates (a second signature, the number
  filled in, the organisation's signature, a document timestamp) leave it as it was.
- ``check_record(pdf)`` reads the record from the last revision and from the revision the first signature covers
  (an edit after signing shows as a difference), checks that every signature's bytes are intact, recomputes each
  vote's result from its counts and rule (and the counts from the open ballots, the ballot count from the secret
  ballots' hashes), recounts attendance from the people listed, and finds the figures (``attendance_line``,
  ``vote_line``) in the signed revision's text.

The figure lines are produced here and printed by whoever renders the minutes, so the text and the check cannot
drift apart. A rule is self-describing (``Rule``): the checker needs no list of a body's rule presets.

Knows nothing of Flask or the database; ``python -m signing record FILE.pdf`` runs the check.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import subprocess
import tempfile
import unicodedata
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.embed import EmbeddedFileObject, FileSpec, embed_file
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader

from signing.errors import CorruptPdf, SigningError
from signing.sign import _intact, _reader

FORMAT = "edoc-meeting-record/1"
FILE_NAME = "du-lieu-cuoc-hop.json"
"""The embedded file's name (ASCII, so every PDF reader shows it)."""
DESCRIPTION = "Dữ liệu cuộc họp (điểm danh, biểu quyết) để kiểm tra lại kết quả"
BASES = ("all_members", "present", "valid_ballots")
"""What a rule's threshold is taken of: every voting member summoned, the voting members present when the vote
closed, or the valid ballots (the names meetings.votes.rules uses)."""
CHANNELS = ("room", "remote", "paper")
"""How a ballot arrived: at the meeting's page in the room, remotely (online, or an absent member allowed to vote
from afar), or on paper, entered by the secretary."""
STATUSES = ("present", "online", "absent", "deputy")
_READ_ERRORS = (PdfError, KeyError, ValueError, TypeError, IndexError, AttributeError, RecursionError)
_HEX64 = re.compile(r"[0-9a-f]{64}")


class RecordError(SigningError):
    """The record cannot be embedded (the PDF is already signed, the record is not valid JSON data)."""


@dataclass(frozen=True)
class Share:
    """More than (``strict``) or at least ``numerator``/``denominator`` of a base."""

    numerator: int
    denominator: int
    strict: bool

    @classmethod
    def of(cls, data: dict[str, Any]) -> Share:
        share = cls(int(data["numerator"]), int(data["denominator"]), bool(data["strict"]))
        if share.denominator <= 0 or not 0 <= share.numerator <= share.denominator:
            raise ValueError(f"tỷ lệ không hợp lệ: {data}")
        return share

    def needed(self, base: int) -> int:
        """The least whole count meeting the share of ``base``, in integers (2/3 of 31 is 21, quá 1/2 of 30 is 16)."""
        exact, rest = divmod(self.numerator * base, self.denominator)
        return exact + 1 if self.strict else exact + (1 if rest else 0)


@dataclass(frozen=True)
class Rule:
    """A vote's rule, self-describing so the check needs no body's list of presets: the threshold (a ``Share``)
    of ``base``, and the quorum (a ``Share`` of the members summoned, or none)."""

    label: str
    base: str
    threshold: Share
    quorum: Share | None

    @classmethod
    def of(cls, data: dict[str, Any]) -> Rule:
        base = str(data["base"])
        if base not in BASES:
            raise ValueError(f"cơ sở tính tỷ lệ không hợp lệ: {base}")
        quorum = data.get("quorum")
        return cls(str(data["label"]), base, Share.of(data["threshold"]), Share.of(quorum) if quorum else None)


def base_value(vote: dict[str, Any]) -> int:
    base = Rule.of(vote["rule"]).base
    return int(vote["members"] if base == "all_members" else vote["present"] if base == "present" else vote["valid"])


def quorum_met(vote: dict[str, Any]) -> bool:
    quorum = Rule.of(vote["rule"]).quorum
    members = int(vote["members"])
    return quorum is None or (members > 0 and int(vote["present"]) >= quorum.needed(members))


def recompute_result(vote: dict[str, Any]) -> str:
    """A motion: "passed" or "rejected", from the counts and the rule alone."""
    rule, base = Rule.of(vote["rule"]), base_value(vote)
    yes = int(vote["counts"].get(vote["approving"], 0))
    return "passed" if quorum_met(vote) and base > 0 and yes >= rule.threshold.needed(base) else "rejected"


def recompute_elected(vote: dict[str, Any]) -> list[str]:
    """An election: those elected, in the order of their votes (most first): each with at least the threshold;
    when more qualify than there are seats, a tie across the last seat elects none of the tied."""
    rule, base = Rule.of(vote["rule"]), base_value(vote)
    if not quorum_met(vote) or base <= 0:
        return []
    needed, seats = rule.threshold.needed(base), int(vote["seats"])
    counts = {str(o): int(vote["counts"].get(o, 0)) for o in vote["options"]}
    qualified = sorted((o for o in counts if counts[o] >= needed), key=lambda o: -counts[o])
    if len(qualified) <= seats:
        return qualified
    cutoff = counts[qualified[seats - 1]]
    above = [o for o in qualified if counts[o] > cutoff]
    tied = [o for o in qualified if counts[o] == cutoff]
    return above + tied if len(above) + len(tied) <= seats else above


RESULT_TEXT = {"passed": "THÔNG QUA", "rejected": "KHÔNG THÔNG QUA"}


def vote_line(vote: dict[str, Any]) -> str:
    """The vote's figures as the minutes print them (and the check looks for): "Biểu quyết số 3: Tán thành: 25;
    Không tán thành: 3; Không biểu quyết: 2; phiếu: 30/31 có mặt, 30 hợp lệ; kết quả: THÔNG QUA"; an election
    ends "trúng cử: Nguyễn Văn A, Trần Thị B" (or "trúng cử: không có ai")."""
    counts = "; ".join(f"{option}: {int(vote['counts'].get(option, 0))}" for option in vote["options"])
    cast = int(vote["valid"]) + int(vote.get("invalid", 0))
    head = (f"Biểu quyết số {int(vote['number'])}: {counts}; phiếu: {cast}/{int(vote['present'])} có mặt, "
            f"{int(vote['valid'])} hợp lệ; ")
    if vote.get("election"):
        return head + f"trúng cử: {', '.join(vote['elected']) or 'không có ai'}"
    return head + f"kết quả: {RESULT_TEXT[str(vote['result'])]}"


def attendance_counts(record: dict[str, Any]) -> dict[str, int]:
    return {status: sum(1 for p in record["attendance"]["people"] if p["status"] == status) for status in STATUSES}


def attendance_line(record: dict[str, Any]) -> str:
    """"Triệu tập: 31; có mặt tại phòng họp: 25; trực tuyến: 3; vắng mặt: 2; dự thay: 1 người"."""
    a = record["attendance"]
    return (f"Triệu tập: {int(a['summoned'])}; có mặt tại phòng họp: {int(a['present'])}; trực tuyến: "
            f"{int(a['online'])}; vắng mặt: {int(a['absent'])}; dự thay: {int(a['deputies'])} người")


def canonical(record: dict[str, Any]) -> bytes:
    """The record's bytes as embedded: sorted keys, UTF-8, no spaces (the same record gives the same bytes)."""
    return json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def event_log_hash(lines: list[bytes]) -> str:
    """SHA-256 over the meeting's event log, one canonical JSON line per event in sequence order, each line
    ended by a newline: what ``record["event_log"]["sha256"]`` holds."""
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line.rstrip(b"\n") + b"\n")
    return digest.hexdigest()


# --- recomputing ---------------------------------------------------------------------------------------------

def consistency_problems(record: dict[str, Any]) -> list[str]:
    """What in the record does not add up, in Vietnamese; empty when everything recomputes to what it states."""
    problems: list[str] = []
    try:
        if record.get("format") != FORMAT:
            return [f"dữ liệu không theo định dạng {FORMAT}"]
        found = attendance_counts(record)
        a = record["attendance"]
        for status, key in (("present", "present"), ("online", "online"), ("absent", "absent"),
                            ("deputy", "deputies")):
            if found[status] != int(a[key]):
                problems.append(f"điểm danh: ghi {key} = {a[key]} nhưng danh sách có {found[status]} người")
        if len(a["people"]) != int(a["summoned"]):
            problems.append(f"điểm danh: ghi triệu tập {a['summoned']} người nhưng danh sách có {len(a['people'])}")
        for vote in record["votes"]:
            problems += [f"biểu quyết số {vote.get('number')}: {p}" for p in _vote_problems(vote)]
        log = record.get("event_log") or {}
        if log and not _HEX64.fullmatch(str(log.get("sha256", ""))):
            problems.append("mã băm nhật ký sự kiện không hợp lệ")
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        problems.append(f"dữ liệu thiếu hoặc sai kiểu ({type(exc).__name__}: {exc})")
    return problems


def _vote_problems(vote: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    options = [str(o) for o in vote["options"]]
    counts = {str(k): int(v) for k, v in vote["counts"].items()}
    valid, invalid = int(vote["valid"]), int(vote.get("invalid", 0))
    cast = valid + invalid
    if set(counts) - set(options) or any(v < 0 for v in counts.values()):
        problems.append("số phiếu theo phương án không khớp danh sách phương án")
    election = bool(vote.get("election"))
    total = sum(counts.values())
    if not election and total != valid:
        problems.append(f"ghi {valid} phiếu hợp lệ nhưng tổng các phương án là {total}")
    if election and (any(v > valid for v in counts.values()) or total > valid * int(vote["seats"])):
        problems.append("số phiếu bầu của ứng cử viên vượt quá số phiếu hợp lệ")
    members, present = int(vote["members"]), int(vote["present"])
    if not cast <= present <= members:
        problems.append(f"số phiếu {cast}, có mặt {present}, thành viên {members} không hợp lý")
    if vote.get("kind") == "secret":
        hashes = [str(h) for h in vote.get("ballot_hashes", [])]
        paper = int(vote.get("paper_ballots", 0))
        if len(hashes) + paper != cast:
            problems.append(f"bỏ phiếu kín: {len(hashes)} mã băm phiếu và {paper} phiếu giấy nhưng {cast} phiếu "
                            "được đếm")
        if len(set(hashes)) != len(hashes) or not all(_HEX64.fullmatch(h) for h in hashes):
            problems.append("bỏ phiếu kín: mã băm phiếu trùng hoặc không hợp lệ")
        if vote.get("ballots"):
            problems.append("bỏ phiếu kín nhưng dữ liệu có tên người bỏ phiếu")
    elif vote.get("ballots") is not None:
        ballots = vote["ballots"]
        tally: Counter[str] = Counter(str(c) for b in ballots for c in b["choices"])
        if dict(tally) != {k: v for k, v in counts.items() if v} or len(ballots) != valid:
            problems.append("số phiếu theo phương án không khớp các phiếu ghi danh")
        if len({b["voter"] for b in ballots}) != len(ballots):
            problems.append("một người có nhiều hơn một phiếu")
        if any(b.get("channel") not in CHANNELS for b in ballots):
            problems.append("phiếu không ghi rõ cách gửi (tại phòng họp, từ xa, phiếu giấy)")
    if election:
        elected = recompute_elected(vote)
        if sorted(elected) != sorted(str(e) for e in vote["elected"]):
            problems.append(f"ghi trúng cử “{', '.join(vote['elected']) or 'không có ai'}” nhưng theo quy tắc "
                            f"“{vote['rule']['label']}” là “{', '.join(elected) or 'không có ai'}”")
    else:
        recomputed = recompute_result(vote)
        if recomputed != vote["result"]:
            problems.append(f"ghi kết quả “{RESULT_TEXT.get(str(vote['result']), vote['result'])}” nhưng theo quy "
                            f"tắc “{vote['rule']['label']}” kết quả là “{RESULT_TEXT[recomputed]}”")
    return problems


# --- embedding -------------------------------------------------------------------------------------------------

def embed_record(pdf: bytes, record: dict[str, Any]) -> bytes:
    """``pdf`` with ``record`` as an embedded file (``FILE_NAME``), in one incremental update. Refused on a PDF
    that already carries a signature or a record: embedded after a signature it would not be covered by it."""
    reader = _reader(pdf)
    try:
        signed = bool(reader.embedded_signatures)
        existing = _embedded(reader)
    except _READ_ERRORS as exc:
        raise CorruptPdf(f"không đọc được tệp PDF ({type(exc).__name__})") from None
    if signed:
        raise RecordError("tệp đã được ký: dữ liệu cuộc họp phải được nhúng trước chữ ký đầu tiên")
    if existing is not None:
        raise RecordError("tệp đã có dữ liệu cuộc họp")
    data = canonical(record)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    stream = EmbeddedFileObject.from_file_data(writer, data, mime_type="application/json")
    embed_file(writer, FileSpec(file_spec_string=FILE_NAME, file_name=FILE_NAME, embedded_data=stream,
                                description=DESCRIPTION, af_relationship=generic.NameObject("/Data")))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _embedded(reader: PdfFileReader) -> bytes | None:
    names = reader.root.get("/Names")
    if names is None:
        return None
    tree = names.get_object().get("/EmbeddedFiles")
    if tree is None:
        return None
    entries = tree.get_object().get("/Names")
    if entries is None:
        return None
    entries = entries.get_object()
    for i in range(0, len(entries) - 1, 2):
        if str(entries[i]) == FILE_NAME:
            spec = entries[i + 1].get_object()
            return bytes(spec["/EF"]["/F"].get_object().data)
    return None


def read_record(pdf: bytes) -> dict[str, Any] | None:
    """The record embedded in the last revision of ``pdf``, or None."""
    try:
        data = _embedded(_reader(pdf))
    except _READ_ERRORS as exc:
        raise CorruptPdf(f"không đọc được dữ liệu nhúng ({type(exc).__name__})") from None
    return json.loads(data) if data is not None else None


# --- the check -------------------------------------------------------------------------------------------------

@dataclass
class RecordReport:
    """What ``check_record`` found; ``ok`` when nothing."""

    problems: list[str] = field(default_factory=list)
    record: dict[str, Any] | None = None
    signatures: list[str] = field(default_factory=list)
    """Signature fields, in signing order."""
    checked_votes: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems and self.record is not None and bool(self.signatures)

    def to_json(self) -> str:
        payload = asdict(self)
        payload["ok"] = self.ok
        payload.pop("record")
        return json.dumps(payload, ensure_ascii=False, indent=2)


def normalise_text(text: str) -> str:
    """Text as the check compares it: NFC, page-number lines dropped, every run of white space one space."""
    text = unicodedata.normalize("NFC", text).replace("\u00ad", "")
    lines = [line for line in text.replace("\f", "\n").splitlines() if not line.strip().isdigit()]
    return " ".join(" ".join(lines).split())


def pdf_text(pdf: bytes) -> str:
    """The PDF's text layer (poppler's pdftotext)."""
    tool = shutil.which("pdftotext")
    if tool is None:
        raise SigningError("thiếu công cụ pdftotext (gói poppler-utils) để đọc chữ trong tệp PDF")
    with tempfile.TemporaryDirectory(prefix="signing-record-") as folder:
        path = Path(folder) / "signed.pdf"
        path.write_bytes(pdf)
        done = subprocess.run([tool, "-enc", "UTF-8", str(path), "-"], capture_output=True, timeout=120)
    if done.returncode != 0:
        raise CorruptPdf("không đọc được chữ trong tệp PDF")
    return done.stdout.decode("utf-8", "replace")


def check_record(pdf: bytes, *, event_log: list[bytes] | None = None) -> RecordReport:
    """Check the record in a signed minutes PDF (see the module's text). ``event_log``: the meeting's event log
    lines, to compare with the hash the record carries."""
    report = RecordReport()
    reader = _reader(pdf)
    try:
        signatures = sorted(reader.embedded_signatures, key=lambda s: s.signed_revision)
        current = _embedded(reader)
    except _READ_ERRORS as exc:
        raise CorruptPdf(f"không đọc được tệp PDF ({type(exc).__name__})") from None
    report.signatures = [s.field_name for s in signatures]
    if current is None:
        report.problems.append("tệp không có dữ liệu cuộc họp nhúng kèm")
        return report
    if not signatures:
        report.problems.append("tệp chưa được ký số: dữ liệu nhúng chưa được ai xác nhận")
    for signature in signatures:
        if not _intact(signature):
            report.problems.append(f"chữ ký “{signature.field_name}” không còn nguyên vẹn: tệp đã bị sửa sau khi ký")
    signed_pdf = pdf
    if signatures:
        first = signatures[0]
        start, length = first.byte_range[2], first.byte_range[3]
        signed_pdf = pdf[:start + length]  # the revision the first signature covers, as it was signed
        try:
            signed = _embedded(_reader(signed_pdf))
        except (SigningError, *_READ_ERRORS):
            signed = None
        if signed is None:
            report.problems.append("dữ liệu cuộc họp được thêm vào sau khi ký: chữ ký không bao gồm dữ liệu này")
        elif signed != current:
            report.problems.append("dữ liệu cuộc họp nhúng trong tệp đã bị sửa sau khi ký (khác với bản đã ký)")
    try:
        record = json.loads(current)
    except ValueError:
        report.problems.append("dữ liệu cuộc họp không phải JSON hợp lệ")
        return report
    report.record = record
    problems = consistency_problems(record)
    report.problems += problems
    if problems:
        return report
    text = normalise_text(pdf_text(signed_pdf))
    expected = [("điểm danh", attendance_line(record))] + [
        (f"biểu quyết số {v['number']}", vote_line(v)) for v in record["votes"]]
    for what, line in expected:
        if normalise_text(line) not in text:
            report.problems.append(f"{what}: văn bản đã ký không có dòng số liệu “{line}”")
    report.checked_votes = len(record["votes"])
    if event_log is not None:
        stated = (record.get("event_log") or {}).get("sha256")
        if event_log_hash(event_log) != stated:
            report.problems.append("nhật ký sự kiện được cung cấp không khớp mã băm trong dữ liệu cuộc họp")
    return report
