"""Text rules: every string that enters the system is NFC-normalised (decomposed Vietnamese breaks PDFs and search)."""

from __future__ import annotations

import unicodedata

_CONTROL_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn"}


def nfc(value: str | None) -> str | None:
    if value is None:
        return None
    return unicodedata.normalize("NFC", value)


def clean(value: str | None) -> str:
    """NFC, stripped, never None: the shape form fields are stored in."""
    return unicodedata.normalize("NFC", value or "").strip()


def has_control_chars(value: str) -> bool:
    return any(unicodedata.category(ch) in _CONTROL_CATEGORIES for ch in value)


def fold(value: str) -> str:
    """Accent-folded lower case for search: removes diacritics and maps đ/Đ, which Unicode does not decompose."""
    decomposed = unicodedata.normalize("NFD", value.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn").lower()
