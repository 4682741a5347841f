"""A meeting's record embedded in minutes (``signing.record``): embedded before signing, it stays covered by
two signatures, the number filled in and the organisation's signature, all valid (pyHanko's validation and our
check); the check recomputes results and finds the figures in the signed text; a record edited after signing,
a record whose figures the text does not carry, and a stated result the rule does not give are each reported;
``python -m signing record`` says so with its exit status."""

from __future__ import annotations

import io
import json
from html import escape
from pathlib import Path

import pytest
from pyhanko.pdf_utils.embed import EmbeddedFileObject
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from weasyprint import HTML

from signing.cli import main
from signing.forms import SigFieldSpec, TextFieldSpec, add_fields, fill_text_fields
from signing.record import (
    FILE_NAME,
    RecordError,
    attendance_line,
    check_record,
    embed_record,
    event_log_hash,
    read_record,
    recompute_elected,
    recompute_result,
    vote_line,
)
from signing.sign import SEAL_FIELD, seal_pdf, sign_pdf
from signing.validate import validate_pdf

HASHES = [f"{i:064x}" for i in range(1, 6)]
LOG = [b'{"seq":1,"type":"meeting.started"}', b'{"seq":2,"type":"vote.closed"}']


def _record() -> dict:
    people = ([{"name": f"Đại biểu {i}", "role": "member", "status": "present"} for i in range(6)]
              + [{"name": "Lê Văn Bình", "role": "member", "status": "online"},
                 {"name": "Phạm Thị Hoa", "role": "member", "status": "absent", "reason": "Đi công tác"},
                 {"name": "Ngô Văn Tú", "role": "member", "status": "deputy", "deputy_for": "Phạm Thị Hoa"}])
    return {
        "format": "edoc-meeting-record/1",
        "meeting": {"title": "Họp Ban Thường vụ tháng 12", "chair": "Nguyễn Văn Hùng", "secretary": "Trần Thị Lan"},
        "attendance": {"summoned": 9, "present": 6, "online": 1, "absent": 1, "deputies": 1, "people": people},
        "votes": [
            {"number": 1, "title": "Thông qua kế hoạch", "kind": "named", "members": 8, "present": 8,
             "valid": 8, "invalid": 0, "options": ["Tán thành", "Không tán thành", "Không biểu quyết"],
             "approving": "Tán thành", "counts": {"Tán thành": 6, "Không tán thành": 1, "Không biểu quyết": 1},
             "rule": {"label": "Quá nửa tổng số thành viên tán thành", "base": "all_members",
                      "threshold": {"numerator": 1, "denominator": 2, "strict": True},
                      "quorum": {"numerator": 1, "denominator": 2, "strict": True}},
             "result": "passed",
             "ballots": [{"voter": f"Đại biểu {i}", "choices": ["Tán thành"], "channel": "room"} for i in range(6)]
             + [{"voter": "Lê Văn Bình", "choices": ["Không tán thành"], "channel": "remote"},
                {"voter": "Ngô Văn Tú", "choices": ["Không biểu quyết"], "channel": "paper"}]},
            {"number": 2, "title": "Biểu quyết kín nhân sự", "kind": "secret", "members": 8, "present": 8,
             "valid": 6, "invalid": 0, "options": ["Đồng ý", "Không đồng ý"], "approving": "Đồng ý",
             "counts": {"Đồng ý": 5, "Không đồng ý": 1},
             "rule": {"label": "Ít nhất hai phần ba tổng số thành viên tán thành", "base": "all_members",
                      "threshold": {"numerator": 2, "denominator": 3, "strict": False}, "quorum": None},
             "result": "rejected", "ballot_hashes": HASHES, "paper_ballots": 1},
            {"number": 3, "title": "Bầu Ủy viên Ban Thường vụ", "kind": "secret", "election": True, "seats": 2,
             "members": 8, "present": 8, "valid": 7, "invalid": 1, "options": ["Nguyễn A", "Trần B", "Lê C"],
             "counts": {"Nguyễn A": 6, "Trần B": 4, "Lê C": 4},
             "rule": {"label": "Trúng cử khi quá nửa số phiếu hợp lệ", "base": "valid_ballots",
                      "threshold": {"numerator": 1, "denominator": 2, "strict": True},
                      "quorum": {"numerator": 2, "denominator": 3, "strict": False}},
             "elected": ["Nguyễn A"], "ballot_hashes": [f"{i:064x}" for i in range(10, 18)], "paper_ballots": 0},
        ],
        "event_log": {"last_sequence": 2, "sha256": event_log_hash(LOG)},
    }


def _minutes_pdf(record: dict, *, figures: bool = True) -> bytes:
    lines = [attendance_line(record), *(vote_line(v) for v in record["votes"])] if figures else ["Không có số liệu"]
    paragraphs = "".join(f"<p>{escape(line)}</p>" for line in lines)
    html = (f'<html><head><meta charset="utf-8"><style>@page {{ size: A4; margin: 20mm 15mm 20mm 30mm; }} '
            f'body {{ font-family: "Liberation Serif", serif; font-size: 14pt; }}</style></head><body>'
            f'<h1>BIÊN BẢN</h1><p>Số: <span>   </span>/BB-LĐLĐ</p>{paragraphs}<div style="height: 60mm"></div>'
            f'<p>THƯ KÝ &nbsp;&nbsp;&nbsp;&nbsp; CHỦ TỌA</p></body></html>')
    pdf = HTML(string=html).write_pdf()
    return add_fields(pdf, [TextFieldSpec("doc_number", 0, (70, 700, 110, 716))],
                      [SigFieldSpec("sig_secretary", 0, (90, 200, 250, 280)),
                       SigFieldSpec("sig_signer", 0, (330, 200, 490, 280))])


@pytest.fixture(scope="module")
def secretary(ca):
    return ca.issue("Trần Thị Lan", organisation="Liên đoàn Lao động huyện Gia Lâm")


@pytest.fixture(scope="module")
def issued(secretary, leader, organisation_key, signature_png, seal_png) -> bytes:
    """Record embedded, secretary then chair, the number filled in, the organisation's signature."""
    pdf = embed_record(_minutes_pdf(_record()), _record())
    pdf = sign_pdf(pdf, secretary, field="sig_secretary", image_png=signature_png)
    pdf = sign_pdf(pdf, leader, field="sig_signer", image_png=signature_png)
    pdf = fill_text_fields(pdf, {"doc_number": "07"})
    return seal_pdf(pdf, organisation_key, seal_png=seal_png, field=SEAL_FIELD)


def test_signatures_stay_valid_and_the_record_checks(issued, root) -> None:
    report = validate_pdf(issued, trust_roots=[root], revocation="off")
    assert [s.field for s in report.signatures] == ["sig_secretary", "sig_signer", SEAL_FIELD]
    assert report.all_valid, [(s.field, s.verdict_text, s.modification_text) for s in report.signatures]
    checked = check_record(issued, event_log=LOG)
    assert checked.problems == [] and checked.ok
    assert checked.checked_votes == 3
    assert read_record(issued) == _record()


def test_results_are_recomputed_from_counts_and_rule() -> None:
    votes = _record()["votes"]
    assert [recompute_result(v) for v in votes[:2]] == ["passed", "rejected"]  # 6 ≥ 5 (quá nửa of 8); 5 < 6
    votes[1]["counts"] = {"Đồng ý": 6, "Không đồng ý": 0}
    assert recompute_result(votes[1]) == "passed"  # 6 ≥ 6 (at least two thirds of 8, not more)
    # two seats, 4 needed (quá nửa of 7 valid): A first, B and C tied over the last seat: neither is elected
    assert recompute_elected(votes[2]) == ["Nguyễn A"]
    votes[2]["counts"]["Lê C"] = 3
    assert recompute_elected(votes[2]) == ["Nguyễn A", "Trần B"]
    votes[0]["present"] = 4  # quorum quá nửa of 8 needs 5 present
    assert recompute_result(votes[0]) == "rejected"


def test_record_edited_after_signing_is_detected(issued) -> None:
    """The figures changed in an update appended after every signature: the signatures themselves still verify
    over what they signed, but the record no longer is what was signed."""
    forged = _record()
    forged["votes"][1]["counts"] = {"Đồng ý": 6, "Không đồng ý": 0}
    forged["votes"][1]["result"] = "passed"
    writer = IncrementalPdfFileWriter(io.BytesIO(issued), strict=False)
    names = writer.root["/Names"]["/EmbeddedFiles"]["/Names"]
    spec = names[1].get_object()
    spec["/EF"]["/F"] = writer.add_object(EmbeddedFileObject.from_file_data(
        writer, json.dumps(forged, ensure_ascii=False).encode(), mime_type="application/json"))
    writer.update_container(spec)
    out = io.BytesIO()
    writer.write(out)
    checked = check_record(out.getvalue())
    assert not checked.ok
    assert "dữ liệu cuộc họp nhúng trong tệp đã bị sửa sau khi ký (khác với bản đã ký)" in checked.problems


def test_bytes_changed_inside_the_signed_part_break_the_signatures(issued) -> None:
    at = issued.index(b"/Producer")  # a byte of the metadata the signatures cover
    tampered = issued[:at + 12] + bytes([issued[at + 12] ^ 1]) + issued[at + 13:]
    checked = check_record(tampered)
    assert any("không còn nguyên vẹn" in p for p in checked.problems), checked.problems


def test_figures_missing_from_the_text_and_wrong_results_are_reported(secretary, signature_png) -> None:
    bare = sign_pdf(embed_record(_minutes_pdf(_record(), figures=False), _record()), secretary,
                    field="sig_secretary", image_png=signature_png)
    problems = check_record(bare).problems
    assert any(p.startswith("biểu quyết số 2: văn bản đã ký không có dòng số liệu") for p in problems), problems
    assert any(p.startswith("điểm danh: văn bản đã ký không có dòng số liệu") for p in problems), problems

    wrong = _record()
    wrong["votes"][1]["result"] = "passed"  # 5 of 8 is not two thirds
    wrong["votes"][0]["ballots"][0]["choices"] = ["Không tán thành"]  # the named ballots no longer give 6/1/1
    signed = sign_pdf(embed_record(_minutes_pdf(wrong), wrong), secretary, field="sig_secretary",
                      image_png=signature_png)
    problems = check_record(signed).problems
    assert "biểu quyết số 1: số phiếu theo phương án không khớp các phiếu ghi danh" in problems
    assert any(p.startswith("biểu quyết số 2: ghi kết quả “THÔNG QUA” nhưng theo quy tắc") for p in problems)


def test_embedding_after_a_signature_is_refused(issued) -> None:
    with pytest.raises(RecordError, match="trước chữ ký đầu tiên"):
        embed_record(issued, _record())


def test_unsigned_and_record_less_files(plain_pdf) -> None:
    assert check_record(plain_pdf).problems == ["tệp không có dữ liệu cuộc họp nhúng kèm"]
    unsigned = check_record(embed_record(_minutes_pdf(_record()), _record()))
    assert "tệp chưa được ký số: dữ liệu nhúng chưa được ai xác nhận" in unsigned.problems


def test_command_line(issued, roots_pem, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "bien-ban.pdf"
    good.write_bytes(issued)
    log = tmp_path / "log.jsonl"
    log.write_bytes(b"\n".join(LOG) + b"\n")
    assert main(["record", str(good), "--event-log", str(log), "--trust", str(roots_pem["offline"]),
                 "--revocation", "off"]) == 0
    assert "Dữ liệu cuộc họp khớp văn bản đã ký: 3 chữ ký, 3 lần biểu quyết" in capsys.readouterr().out
    log.write_bytes(b'{"seq":1,"type":"meeting.started"}\n')
    assert main(["record", str(good), "--event-log", str(log), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is False
    assert out["problems"] == ["nhật ký sự kiện được cung cấp không khớp mã băm trong dữ liệu cuộc họp"]
    assert FILE_NAME == "du-lieu-cuoc-hop.json"

