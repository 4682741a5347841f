"""The typed shape of each JSON body the API takes: checked at the door, and described in openapi.json from the
same declaration, so the description states exactly the limits the server enforces.

A body that breaks its shape is a 400 naming the field (``recipients[0].unit_id``) in Vietnamese, before any
service function runs: a list where a string belongs is refused, never stored as its Python text (``['a', 'b']``),
and an integer out of range never reaches a column that cannot hold it. What the values mean (is this signer a
leader of the organisation?) stays the service's to judge.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from edoc.api import json_object
from edoc.core.errors import ValidationFailed
from edoc.core.forms import MAX_ID

_MISSING = object()
_LINE_BREAKS = {"\n", "\r", "\t"}


def _label(path: str) -> str:
    return f"“{path}”"


class Field:
    """One value's rule: ``check`` returns the value to use or raises ValidationFailed naming ``path``."""

    nullable: bool = False
    default: Any = None
    description: str = ""

    def check(self, value: Any, path: str) -> Any:
        raise NotImplementedError

    def openapi(self) -> dict[str, Any]:
        raise NotImplementedError

    def described(self, schema: dict[str, Any]) -> dict[str, Any]:
        if self.nullable:
            kind = schema.get("type")
            schema["type"] = [kind, "null"] if isinstance(kind, str) else kind
            if "enum" in schema:
                schema["enum"] = [*schema["enum"], None]
        if self.description:
            schema["description"] = self.description
        return schema


@dataclass
class Str(Field):
    """Text: a JSON string, NFC-normalised, without control characters (a NUL is refused by PostgreSQL, a lone
    surrogate by every encoder); ``multiline`` allows line breaks and tabs. ``null`` reads as ``default``."""

    max_length: int = 255
    min_length: int = 0
    enum: tuple[str, ...] | None = None
    multiline: bool = False
    nullable: bool = True
    default: Any = ""
    description: str = ""
    enum_message: str = ""
    """What to say of a value not in ``enum`` where the list is too long to print ({label}: the field)."""

    def check(self, value: Any, path: str) -> Any:
        if value is None and self.nullable:
            return self.default
        if not isinstance(value, str):
            raise ValidationFailed(f"{_label(path)} phải là một chuỗi văn bản, không phải {_kind(value)}.",
                                   field=path)
        for ch in value:
            if unicodedata.category(ch) in {"Cc", "Cs"} and not (self.multiline and ch in _LINE_BREAKS):
                raise ValidationFailed(f"{_label(path)} chứa ký tự điều khiển không được phép "
                                       f"(U+{ord(ch):04X}).", field=path)
        value = unicodedata.normalize("NFC", value)
        if len(value) > self.max_length:
            raise ValidationFailed(f"{_label(path)} quá dài (tối đa {self.max_length} ký tự).", field=path)
        if len(value.strip()) < self.min_length:
            raise ValidationFailed(f"{_label(path)} không được để trống.", field=path)
        if self.enum is not None and value.strip() not in self.enum:
            shown = ", ".join(f"“{e}”" for e in self.enum)
            message = self.enum_message or "{label} phải là một trong: {shown}."
            raise ValidationFailed(message.format(label=_label(path), shown=shown), field=path)
        return value

    def openapi(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "string", "maxLength": self.max_length}
        if self.enum is not None:
            schema["enum"] = list(self.enum)
            return self.described(schema)
        # the characters refused (Cc and Cs, less line breaks and tabs for multi-line text), and white space alone
        # counts as empty where a value is needed
        refused = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f" if self.multiline else r"\x00-\x1f\x7f-\x9f"
        refused += r"\ud800-\udfff"
        allowed = f"[^{refused}]"
        if self.min_length:
            schema.update(minLength=self.min_length, pattern=f"^{allowed}*[^\\s{refused}]{allowed}*$")
        else:
            schema["pattern"] = f"^{allowed}*$"
        return self.described(schema)


@dataclass
class Int(Field):
    """A JSON integer (not true/false, not 1.0, not "1") in [minimum, maximum]."""

    minimum: int = 0
    maximum: int = MAX_ID
    nullable: bool = False
    default: Any = None
    description: str = ""
    message: str = ""

    def check(self, value: Any, path: str) -> Any:
        if value is None and self.nullable:
            return self.default
        if isinstance(value, bool) or not isinstance(value, int) or not self.minimum <= value <= self.maximum:
            message = self.message or "{label} phải là số nguyên từ {minimum} đến {maximum}."
            raise ValidationFailed(message.format(label=_label(path), minimum=self.minimum, maximum=self.maximum),
                                   field=path)
        return value

    def openapi(self) -> dict[str, Any]:
        return self.described({"type": "integer", "minimum": self.minimum, "maximum": self.maximum})


ID_MESSAGE = "Mã định danh không hợp lệ ở {label}: cần một số nguyên từ 1 đến {maximum}."


def Id(*, nullable: bool = True, description: str = "") -> Int:
    """A row id: 1 to 2**31 - 1 (PostgreSQL ``integer``); ``null`` (or 0, as the pages send) means none."""
    return _OptionalId(minimum=0 if nullable else 1, maximum=MAX_ID, nullable=nullable, description=description,
                       message=ID_MESSAGE)


class _OptionalId(Int):
    def check(self, value: Any, path: str) -> Any:
        checked = super().check(value, path)
        return None if checked == 0 else checked


@dataclass
class Number(Field):
    """A finite JSON number (integer or not) in [minimum, maximum]."""

    minimum: float = -1e9
    maximum: float = 1e9
    nullable: bool = False
    description: str = ""

    def check(self, value: Any, path: str) -> Any:
        if value is None and self.nullable:
            return None
        # the range first: math.isfinite() of an integer too large for a float (10**400) raises OverflowError
        if (isinstance(value, bool) or not isinstance(value, int | float) or not self.minimum <= value <= self.maximum
                or not math.isfinite(value)):
            raise ValidationFailed(f"{_label(path)} phải là một số từ {self.minimum:g} đến {self.maximum:g}.",
                                   field=path)
        return float(value)

    def openapi(self) -> dict[str, Any]:
        return self.described({"type": "number", "minimum": self.minimum, "maximum": self.maximum})


@dataclass
class Bool(Field):
    nullable: bool = False
    description: str = ""

    def check(self, value: Any, path: str) -> Any:
        if not isinstance(value, bool):
            raise ValidationFailed(f"{_label(path)} phải là true hoặc false.", field=path)
        return value

    def openapi(self) -> dict[str, Any]:
        return self.described({"type": "boolean"})


@dataclass
class List(Field):
    item: Field = field(default_factory=Str)
    max_items: int = 200
    nullable: bool = True
    description: str = ""

    def check(self, value: Any, path: str) -> Any:
        if value is None and self.nullable:
            return []
        if not isinstance(value, list):
            raise ValidationFailed(f"{_label(path)} phải là một danh sách ([...]), không phải {_kind(value)}.",
                                   field=path)
        if len(value) > self.max_items:
            raise ValidationFailed(f"{_label(path)} có quá nhiều phần tử (tối đa {self.max_items}).", field=path)
        return [self.item.check(v, f"{path}[{i}]") for i, v in enumerate(value)]

    def openapi(self) -> dict[str, Any]:
        return self.described({"type": "array", "maxItems": self.max_items, "items": self.item.openapi()})


@dataclass
class Obj(Field):
    """A JSON object of the named fields; a required one must be present and not null. A field not named here is
    ignored, as JSON APIs commonly do (a client written for another version keeps working; nothing unnamed is ever
    read). ``partial`` (a PATCH): a field not sent is left out of the result, so the caller keeps what it had."""

    fields: Mapping[str, Field] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    partial: bool = False
    nullable: bool = False
    description: str = ""

    def check(self, value: Any, path: str = "") -> dict[str, Any]:
        if value is None and self.nullable:
            return None  # type: ignore[return-value]
        if not isinstance(value, dict):
            where = _label(path) if path else "Thân yêu cầu"
            raise ValidationFailed(f"{where} phải là một đối tượng JSON ({{...}}), không phải {_kind(value)}.",
                                   field=path or None)
        result: dict[str, Any] = {}
        for key, rule in self.fields.items():
            name = f"{path}.{key}" if path else key
            raw = value.get(key, _MISSING)
            if raw is _MISSING or raw is None:
                if key in self.required:
                    raise ValidationFailed(f"Thiếu trường {_label(name)}.", field=name)
                if raw is _MISSING:
                    if not self.partial:
                        result[key] = rule.check(None, name) if rule.nullable else rule.default
                    continue
            result[key] = rule.check(raw, name)
        return result

    def openapi(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "object", "properties": {k: v.openapi() for k, v in self.fields.items()}}
        if self.required:
            schema["required"] = list(self.required)
            for key in self.required:  # present and not null
                prop = schema["properties"][key]
                if isinstance(prop.get("type"), list):
                    prop["type"] = [t for t in prop["type"] if t != "null"][0]
                    if "enum" in prop:
                        prop["enum"] = [e for e in prop["enum"] if e is not None]
        return self.described(schema)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return "một chuỗi"
    if isinstance(value, int | float):
        return "một số"
    if isinstance(value, list):
        return "một danh sách"
    return "một đối tượng"


def read_body(shape: Obj, *, required: bool = True) -> dict[str, Any]:
    """The request's JSON body checked against ``shape`` (through ``edoc.api.json_object``: size, depth, strict
    numbers). With ``required=False`` an empty body is ``{}`` checked like any other."""
    return shape.check(json_object(required=required))


def json_body(shape: Obj) -> dict[str, Any]:
    """The OpenAPI requestBody of a JSON body of this shape."""
    return {"required": True, "content": {"application/json": {"schema": shape.openapi()}}}


def optional_json_body(shape: Obj) -> dict[str, Any]:
    """An optional JSON body (actions that an empty request may take)."""
    return {"required": False, "content": {"application/json": {"schema": shape.openapi()}}}
