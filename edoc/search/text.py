"""Vietnamese as users type it: folding, the query's terms, and the highlighted passage.

Folding is one character to one character (``fold``), so a match found in the folded text is at the same
offsets in the original: the passage is highlighted where it matched, then escaped.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from markupsafe import Markup, escape

MAX_QUERY_CHARS = 500
"""Longer queries are refused with a message: nobody types more, and each term costs the database."""
MAX_TERMS = 12

_WORD = re.compile(r"[^\W_]+")
"""A term: letters and digits. Everything else (``/``, ``-``, quotes, operators of either database) separates."""


@lru_cache(maxsize=4096)
def fold_char(char: str) -> str:
    """One character without its diacritics, lower-cased: ``Ồ`` → ``o``, ``Đ`` → ``d`` (which Unicode does not
    decompose, and SQLite's FTS5 does not fold: TECH-NOTES)."""
    if char in "đĐ":
        return "d"
    base = unicodedata.normalize("NFD", char)[0].lower()
    return base if len(base) == 1 else char


def fold(text: str) -> str:
    """``text`` (NFC) folded character by character: the result has the same length, offset for offset."""
    return "".join(fold_char(c) if ord(c) > 127 else c.lower() for c in text)


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def map_dj(text: str) -> str:
    """đ → d, Đ → D: the one folding SQLite's ``unicode61 remove_diacritics 2`` lacks (same SQL in the triggers)."""
    return text.replace("đ", "d").replace("Đ", "D")


class QueryTooLong(ValueError):
    pass


@dataclass(frozen=True)
class Phrase:
    """Terms typed together (``445/KH``: ``445`` then ``kh``), folded; ``prefix``: the last one may be the start
    of a word (the user is still typing it)."""

    terms: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True)
class Query:
    phrases: tuple[Phrase, ...]

    @property
    def empty(self) -> bool:
        return not self.phrases

    @property
    def terms(self) -> list[str]:
        return [t for p in self.phrases for t in p.terms]


def parse_query(raw: str) -> Query:
    """The user's words as phrases of folded terms. Quotes, operators and punctuation of either database's query
    language are separators, never syntax: a query made only of them is empty. NFD input is composed first."""
    if len(raw) > MAX_QUERY_CHARS:
        raise QueryTooLong(f"Từ khóa tìm kiếm quá dài ({len(raw)} ký tự, tối đa {MAX_QUERY_CHARS}).")
    text = nfc(raw)
    phrases: list[Phrase] = []
    seen = 0
    for chunk in text.split():
        terms = tuple(fold(m.group()) for m in _WORD.finditer(chunk))[: MAX_TERMS - seen]
        if not terms:
            continue
        phrases.append(Phrase(terms))
        seen += len(terms)
        if seen >= MAX_TERMS:
            break
    if phrases:
        # The last word may be unfinished ("cong doa"); a number is taken whole: 445 must not find 4451.
        last = phrases[-1]
        if not last.terms[-1].isdigit() and len(last.terms[-1]) >= 2:
            phrases[-1] = Phrase(last.terms, prefix=True)
    return Query(tuple(phrases))


def _term_pattern(query: Query) -> re.Pattern[str] | None:
    alternatives = set()
    for phrase in query.phrases:
        for i, term in enumerate(phrase.terms):
            open_end = phrase.prefix and i == len(phrase.terms) - 1
            alternatives.add(re.escape(term) + (r"\w*" if open_end else r"(?!\w)"))
    if not alternatives:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(sorted(alternatives, key=len, reverse=True)) + ")")


def highlight(text: str, query: Query, *, width: int = 0) -> Markup:
    """``text`` escaped, the query's terms wrapped in ``<mark>``. With ``width``, only the passage of about that
    many characters around the first match (or the start, when nothing in it matches)."""
    text = nfc(text or "")
    pattern = _term_pattern(query)
    matches = list(pattern.finditer(fold(text))) if pattern else []
    start, end = 0, len(text)
    if width and len(text) > width:
        first = matches[0].start() if matches else 0
        start = max(0, first - width // 3)
        # begin at a word boundary, not inside a word
        while 0 < start < first and not text[start - 1].isspace():
            start -= 1
        end = min(len(text), start + width)
        while end < len(text) and not text[end - 1].isspace() and end - start < width + 20:
            end += 1
    parts: list[str] = []
    pos = start
    for m in matches:
        if m.start() < start or m.end() > end:
            continue
        parts.append(str(escape(text[pos:m.start()])))
        parts.append(f"<mark>{escape(text[m.start():m.end()])}</mark>")
        pos = m.end()
    parts.append(str(escape(text[pos:end])))
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text) else ""
    return Markup(prefix + "".join(parts).strip() + suffix)  # every piece escaped above


def matches_anywhere(text: str, query: Query) -> bool:
    pattern = _term_pattern(query)
    return bool(pattern and pattern.search(fold(nfc(text or ""))))
