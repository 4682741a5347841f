"""Parsing what a client sends, so a forged or malformed value becomes a 400, never a 500."""

from __future__ import annotations

import builtins
from collections.abc import Iterable

from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter, ValidationError
from werkzeug.routing.map import Map
from wtforms.fields.choices import SelectChoice

from edoc.core.errors import ValidationFailed

MAX_ID = 2**31 - 1
"""Ids are PostgreSQL ``integer`` columns: anything larger would fail there as NumericValueOutOfRange (and past
2**63 on SQLite as OverflowError), so it is refused before it reaches a query, on both databases alike."""
_MAX_ID_DIGITS = len(str(MAX_ID))


def options(pairs: Iterable[tuple[str, str]]) -> list[SelectChoice]:
    """Choices for a select field from (value, label) pairs: WTForms 3.3 deprecates the bare pairs and 3.4
    drops them."""
    return [SelectChoice(value, label) for value, label in pairs]


def _digits(raw: object) -> str | None:
    # Only ASCII digits: str.isdigit() also accepts "²" or "١", which int() then refuses (or reads) differently.
    text = str(raw).strip() if raw is not None and not isinstance(raw, bool) else ""
    return text if text.isascii() and text.isdigit() else None


def parse_id(raw: object, *, field: str = "id") -> int:
    text = _digits(raw)
    if text is None:
        raise ValidationFailed("Mã định danh không hợp lệ.", field=field)
    value = int(text) if len(text) <= _MAX_ID_DIGITS else MAX_ID + 1
    if value > MAX_ID:
        raise ValidationFailed(f"Mã định danh không hợp lệ: vượt quá giới hạn ({MAX_ID}).", field=field)
    return value


def parse_optional_id(raw: object, *, field: str = "id") -> int | None:
    text = str(raw if raw is not None else "").strip()
    return None if text in {"", "0", "None"} else parse_id(text, field=field)


def parse_int(raw: object, *, field: str, minimum: int, maximum: int, message: str) -> int:
    """A whole number in [minimum, maximum], else a 400 with ``message`` (the user's words for the field)."""
    text = _digits(raw)
    if text is None or len(text) > len(str(maximum)) or not minimum <= int(text) <= maximum:
        raise ValidationFailed(message, field=field)
    return int(text)


YEAR_MIN, YEAR_MAX = 1945, 2100


def parse_year(raw: object, *, field: str = "year") -> int:
    """A calendar year of a register or document (from the founding of the Republic to 2100)."""
    return parse_int(raw, field=field, minimum=YEAR_MIN, maximum=YEAR_MAX,
                     message=f"Năm không hợp lệ: nhập số từ {YEAR_MIN} đến {YEAR_MAX}.")


class IdConverter(IntegerConverter):
    """``<int:...>`` in every route: only ids a database column can hold match, so a larger one is a 404 like
    any unknown id, on both databases. At most ten digits are even read: Python refuses to convert numbers of
    more than 4300 digits, which would otherwise be a 500 inside the router."""

    regex = r"\d{1,10}"
    signed_regex = r"-?\d{1,10}"

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = None, max: int | None = None,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, signed=signed,
                         max=MAX_ID if max is None else builtins.min(max, MAX_ID))

    def to_python(self, value: str) -> int:
        # NotFound, not ValidationError: Werkzeug's router has already noted, before converting, the methods of
        # other rules on the same path, so a ValidationError made GET on a path whose POST is a separate rule
        # (meetings' APIs) a 405 instead of the 404 of an unknown id.
        try:
            return int(super().to_python(value))
        except ValidationError:
            raise NotFound() from None
