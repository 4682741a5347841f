"""Parsing what a client sends, so a forged or malformed value becomes a 400, never a 500."""

from __future__ import annotations

from edoc.core.errors import ValidationFailed


def parse_id(raw: object, *, field: str = "id") -> int:
    text = str(raw or "").strip()
    if not text.isdigit() or len(text) > 18:
        raise ValidationFailed("Mã định danh không hợp lệ.", field=field)
    return int(text)


def parse_optional_id(raw: object, *, field: str = "id") -> int | None:
    text = str(raw or "").strip()
    return None if text in {"", "0", "None"} else parse_id(text, field=field)
