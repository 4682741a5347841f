"""The JSON bodies the vote endpoints take, one typed shape each (shared by the pages' and the API's routes)."""

from __future__ import annotations

from typing import Any

from edoc.api.schema import Id, Int, List, Obj, Str
from edoc.core.errors import ValidationFailed
from meetings.votes import rules

CREATE = Obj({
    "title": Str(max_length=500, min_length=1, description="Nội dung biểu quyết"),
    "kind": Str(max_length=16, enum=tuple(rules.KINDS), description="open, named hoặc secret"),
    "option_set": Str(max_length=16, enum=(*rules.OPTION_SETS, "election")),
    "candidates": List(Str(max_length=rules.MAX_LABEL, min_length=1), max_items=rules.MAX_CANDIDATES),
    "seats": Int(minimum=1, maximum=rules.MAX_CANDIDATES, nullable=True, default=1),
    "preset": Str(max_length=40, enum=tuple(rules.PRESETS), nullable=True, default=rules.DEFAULT_PRESET),
    "agenda_item_id": Id(),
}, required=("title", "kind", "option_set"))

CAST = Obj({
    "choice": List(Str(max_length=8, min_length=1), max_items=rules.MAX_CANDIDATES, nullable=False,
                   description="Mã các phương án chọn (một phương án; bầu cử: tối đa số người cần bầu)"),
    "idempotency_key": Str(max_length=64, nullable=True, default=None,
                           description="Mã do trang tạo cho lần bỏ phiếu này: gửi lại cùng mã chỉ được tính một lần"),
}, required=("choice",))

PAPER = Obj({
    "voters": List(Id(nullable=False), max_items=5000, description="Những thành viên đã bỏ phiếu giấy"),
    "counts": List(Obj({"option": Str(max_length=8, min_length=1), "count": Int(maximum=100_000)},
                       required=("option", "count")), max_items=rules.MAX_CANDIDATES),
    "invalid": Int(maximum=100_000, nullable=True, default=0),
    "choices": List(Obj({"participant_id": Id(nullable=False),
                         "choice": List(Str(max_length=8, min_length=1), max_items=rules.MAX_CANDIDATES,
                                        nullable=False)},
                        required=("participant_id", "choice")), max_items=5000,
                    description="Biểu quyết ghi danh: lựa chọn của từng người"),
})


def paper_arguments(body: dict[str, Any], named: bool) -> dict[str, Any]:
    """The service's arguments from a checked PAPER body."""
    counts: dict[str, int] = {}
    for row in body["counts"]:
        counts[row["option"]] = counts.get(row["option"], 0) + row["count"]
    choices = {row["participant_id"]: row["choice"] for row in body["choices"]} if named else None
    if choices is not None and len(choices) != len(body["choices"]):
        raise ValidationFailed("Danh sách phiếu giấy có tên trùng nhau.", field="choices")
    return {"voters": body["voters"], "counts": counts, "invalid": body["invalid"], "choices": choices}
