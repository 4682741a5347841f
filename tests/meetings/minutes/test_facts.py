"""The Biên bản drafted from the facts alone (``meetings.minutes.facts``), rendered by edoc's renderer with the
secretary's block left of the chair's (form 1.9), the record embedded, signed by the secretary then the chair,
numbered: both signatures valid, the record checks against the signed text; a correction of a recorded fact is
printed beside the value first recorded and carried in the record; a large meeting names only the absent."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization

from edoc.rendering import DocumentSpec, SignerBlock, render_pdf
from meetings.minutes.facts import (
    LIST_NAMES_UP_TO,
    Correction,
    Item,
    MeetingFacts,
    Opinion,
    Person,
    Speech,
    body_of,
    notice_body,
    record_of,
)
from signing.devca import create_ca
from signing.forms import fill_text_fields
from signing.record import check_record, consistency_problems, embed_record, event_log_hash
from signing.sign import sign_pdf
from signing.validate import validate_pdf

RULE = {"label": "Quá nửa số thành viên có mặt tán thành", "base": "present",
        "threshold": {"numerator": 1, "denominator": 2, "strict": True}, "quorum": None}


def _facts(members: int = 8) -> MeetingFacts:
    people = [Person("p1", "Nguyễn Văn Hùng", "chair", "present"),
              Person("p2", "Trần Thị Lan", "secretary", "present", votes=False)]
    people += [Person(f"p{i}", f"Đại biểu số {i}", "member", "present") for i in range(3, members)]
    people += [Person("pa", "Phạm Thị Hoa", "member", "absent", reason="Đi công tác"),
               Person("pd", "Ngô Văn Tú", "member", "deputy", deputy_for="Phạm Thị Hoa"),
               Person("po", "Lê Văn Bình", "member", "online")]
    voters = [p for p in people if p.votes and p.status != "absent"]
    choices = ["Tán thành"] * (len(voters) - 1) + ["Không tán thành"]
    vote = {"number": 1, "title": "Thông qua báo cáo", "kind": "named", "members": len(voters), "present": len(voters),
            "valid": len(voters), "invalid": 0, "options": ["Tán thành", "Không tán thành", "Không biểu quyết"],
            "approving": "Tán thành", "rule": RULE, "result": "passed",
            "counts": {"Tán thành": len(voters) - 1, "Không tán thành": 1, "Không biểu quyết": 0},
            "ballots": [{"voter": p.name, "choices": [c], "channel": "remote" if p.status == "online" else "room"}
                        for p, c in zip(voters, choices, strict=True)]}
    items = [Item("1", "Báo cáo kết quả hoạt động năm 2026", "Trần Thị Lan", ["Báo cáo số 12/BC-LĐLĐ"],
                  [Speech("Đại biểu số 3", "Đề nghị bổ sung số liệu phát triển đoàn viên.")], [vote],
                  [Opinion("Phạm Thị Hoa", "Nhất trí với báo cáo.")], "1. Các đại biểu thảo luận.",
                  "Thông qua báo cáo; giao Văn phòng hoàn thiện."),
             Item("2", "Công tác quý I năm 2027", conclusion="Giao Ban Tổ chức xây dựng kế hoạch.")]
    return MeetingFacts("Liên đoàn Lao động huyện Gia Lâm", "Họp Ban Thường vụ tháng 12 năm 2026",
                        datetime(2026, 12, 3, 1, 30, tzinfo=UTC), datetime(2026, 12, 3, 4, 5, tzinfo=UTC),
                        "Phòng họp tầng 2", "", "Nguyễn Văn Hùng", "Chủ tịch", "Trần Thị Lan", people, items,
                        {"last_sequence": 3, "sha256": event_log_hash([b"a", b"b", b"c"])})


def _spec(facts: MeetingFacts, body: str) -> DocumentSpec:
    return DocumentSpec(issuing_body=facts.organisation, notation="BB-LĐLĐ", place="Gia Lâm", summary=facts.title,
                        type_name="BIÊN BẢN", body=body, signer=SignerBlock(title="CHỦ TỌA", full_name=facts.chair),
                        cosigner=SignerBlock(title="THƯ KÝ", full_name=facts.secretary), recipients=["Lưu: VT"])


@pytest.fixture(scope="module")
def corrected() -> MeetingFacts:
    facts = _facts()
    facts.corrections = [Correction("person:pa:reason", "Đi công tác", "Ốm, có giấy của bệnh viện",
                                    "Đại biểu gửi giấy sau cuộc họp", "Trần Thị Lan"),
                         Correction("vote:1:Không tán thành", "1", "0", "Phiếu giấy ghi nhầm", "Trần Thị Lan"),
                         Correction("vote:1:Không biểu quyết", "0", "1", "Phiếu giấy ghi nhầm", "Trần Thị Lan")]
    return facts


@pytest.fixture(scope="module")
def signed(corrected: MeetingFacts) -> tuple[bytes, asn1_x509.Certificate]:
    ca = create_ca()
    record = record_of(corrected)
    rendered = render_pdf(_spec(corrected, body_of(corrected, record)))
    assert {"sig_cosigner", "sig_signer", "doc_number"} <= set(rendered.fields)
    pdf = embed_record(rendered.pdf, record)
    pdf = sign_pdf(pdf, ca.issue("Trần Thị Lan"), field="sig_cosigner")
    pdf = sign_pdf(pdf, ca.issue("Nguyễn Văn Hùng"), field="sig_signer")
    pdf = fill_text_fields(pdf, {"doc_number": "07", "doc_day": "03", "doc_month": "12", "doc_year": "2026"})
    root = asn1_x509.Certificate.load(ca.certificate.public_bytes(serialization.Encoding.DER))
    return pdf, root


def test_secretary_then_chair_both_valid_after_numbering_and_the_record_checks(signed) -> None:
    pdf, root = signed
    report = validate_pdf(pdf, trust_roots=[root], revocation="off")
    assert [s.field for s in report.signatures] == ["sig_cosigner", "sig_signer"]
    assert report.all_valid, [(s.field, s.verdict_text) for s in report.signatures]
    checked = check_record(pdf)
    assert checked.problems == []


def test_text_carries_form_1_9_and_the_corrections(signed, tmp_path: Path) -> None:
    path = tmp_path / "bb.pdf"
    path.write_bytes(signed[0])
    text = " ".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())
    for expected in ("BIÊN BẢN", "Thời gian bắt đầu: 08 giờ 30, ngày 03 tháng 12 năm 2026",
                     "Chủ trì (chủ tọa): Nguyễn Văn Hùng, Chủ tịch", "Thư ký (người ghi biên bản): Trần Thị Lan",
                     "Ngô Văn Tú, dự thay Phạm Thị Hoa", "Lê Văn Bình (trực tuyến)",
                     "Ý kiến bằng văn bản của Phạm Thị Hoa (vắng mặt): Nhất trí với báo cáo.",
                     "Đại biểu số 3: Đề nghị bổ sung số liệu", "Cách gửi phiếu: tại phòng họp: 7, từ xa: 1.",
                     "Đính chính lý do vắng mặt của Phạm Thị Hoa: ghi nhận ban đầu “Đi công tác”, sửa thành “Ốm, có "
                     "giấy của bệnh viện”", "Đính chính biểu quyết số 1: ghi nhận ban đầu “1”, sửa thành “0”",
                     "Phạm Thị Hoa: Ốm, có giấy của bệnh viện;", "1. Các đại biểu thảo luận.",
                     "Cuộc họp kết thúc vào 11 giờ 05, ngày 03 tháng 12 năm 2026./.", "THƯ KÝ", "CHỦ TỌA"):
        assert expected in text, expected


def test_record_carries_corrections_and_recomputes(corrected: MeetingFacts) -> None:
    record = record_of(corrected)
    assert consistency_problems(record) == []
    vote = record["votes"][0]
    assert vote["counts"] == {"Tán thành": 7, "Không tán thành": 0, "Không biểu quyết": 1}
    assert "ballots" not in vote and vote["ballots_withdrawn"] == "đính chính số phiếu"
    assert [c["target"] for c in record["corrections"]] == ["person:pa:reason", "vote:1:Không tán thành",
                                                            "vote:1:Không biểu quyết"]
    assert record["attendance"]["people"][-3]["reason"] == "Ốm, có giấy của bệnh viện"
    # uncorrected, the named ballots are kept and add up
    assert len(record_of(_facts())["votes"][0]["ballots"]) == 8


def test_a_large_meeting_names_only_the_absent_and_deputies() -> None:
    small, large = body_of(_facts()), body_of(_facts(members=LIST_NAMES_UP_TO + 5))
    assert "- Đại biểu số 4;" in small
    assert "- Đại biểu số 4;" not in large
    assert "- Ngô Văn Tú dự thay Phạm Thị Hoa;" in large and "- Phạm Thị Hoa: Đi công tác;" in large


def test_notice_lists_the_conclusions() -> None:
    text = notice_body(_facts())
    assert "Nguyễn Văn Hùng kết luận như sau:" in text
    assert "1. Về báo cáo kết quả hoạt động năm 2026\n\\Thông qua báo cáo; giao Văn phòng hoàn thiện." in text
    assert "2. Về công tác quý I năm 2027" in text
