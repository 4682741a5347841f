"""Vietnamese as users type it: folding, the query's terms, and the highlighted passage.

Folding is one character to one character (``fold``), so a match found in the folded text is at the same
offsets in the original: the passage is highlighted where it matched, then escaped.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate

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


def fold_loose(text: str) -> str:
    """``text`` in ASCII: diacritics removed, đ → d, lower-cased, any other letter outside ASCII dropped; at C
    speed, offsets not kept. For ranking and SQLite's vocabulary (``fold`` keeps offsets, for highlighting, and
    costs a Python step per character: ~30 ms for the titles of a 1,000-entry window)."""
    decomposed = unicodedata.normalize("NFD", map_dj(text))
    return decomposed.encode("ascii", "ignore").decode("ascii").lower()


def terms_of(text: str) -> set[str]:
    """The folded terms of ``text``, as the index cuts them (letters and digits runs): SQLite's vocabulary."""
    return set(_WORD.findall(fold_loose(text or "")))


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


@lru_cache(maxsize=1)
def _letter_classes() -> dict[str, str]:
    """For each folded letter, a regex class of every character below U+2000 that folds to it: ``d`` →
    ``[dDđĐ]``, ``o`` → ``[oOòóỏõọôồ...]``. The passage's pattern finds the query's terms in the text as written
    (NFC), so its offsets are the text's, with no folded copy made a character at a time (that copy, in Python,
    was most of the page's time: ~5 ms a hit under load)."""
    groups: dict[str, list[str]] = {}
    for i in range(0x20, 0x2000):
        char = chr(i)
        folded = fold_char(char) if i > 127 else char.lower()
        if len(folded) == 1 and folded != char:
            groups.setdefault(folded, []).append(char)
    return {base: "[" + re.escape(base) + "".join(re.escape(c) for c in chars) + "]"
            for base, chars in groups.items()}


def _loose_term(term: str) -> str:
    classes = _letter_classes()
    return "".join(classes.get(char, re.escape(char)) for char in term)


def _term_pattern(query: Query) -> re.Pattern[str] | None:
    alternatives = set()
    for phrase in query.phrases:
        for i, term in enumerate(phrase.terms):
            open_end = phrase.prefix and i == len(phrase.terms) - 1
            alternatives.add((len(term), _loose_term(term) + (r"\w*" if open_end else r"(?!\w)")))
    if not alternatives:
        return None
    ordered = [pattern for _length, pattern in sorted(alternatives, reverse=True)]
    return re.compile(r"(?<!\w)(?:" + "|".join(ordered) + ")")


def highlight(text: str, query: Query, *, width: int = 0) -> Markup:
    """``text`` escaped, the query's terms wrapped in ``<mark>``. With ``width``, only the passage of about that
    many characters around the first match (or the start, when nothing in it matches)."""
    text = nfc(text or "")
    pattern = _term_pattern(query)
    matches = list(pattern.finditer(text)) if pattern else []
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


REFERENCE_WEIGHT, TITLE_WEIGHT, CONTENT_WEIGHT = 10.0, 4.0, 1.0
"""What a phrase found in số/ký hiệu, in trích yếu, or only in the rest (body, files, people) adds to the rank."""


class Ranker:
    """Xếp hạng: the rank of an entry that matched ``query``, from where its phrases are.

    Each phrase adds ``REFERENCE_WEIGHT`` if it is in the số/ký hiệu, ``TITLE_WEIGHT`` if in the trích yếu (both
    when in both), and ``CONTENT_WEIGHT`` in any case (the entry matched, so each phrase is somewhere). Computed in
    Python from the two short columns, the same on both databases: neither ``bm25`` (whose IDF counts every row
    holding each term: the cost of a SQLite query) nor ``ts_rank`` (a TOAST read of each entry's vector on
    PostgreSQL) is needed, and how often a word recurs in a long body does not outrank a title that says it."""

    def __init__(self, query: Query) -> None:
        self.patterns = []
        for phrase in query.phrases:
            # over ASCII (fold_loose): a term is [a-z0-9]+; the start of the phrase is checked by hand (a look-
            # behind first in the pattern made the regex engine try it at every character: 17 ms a window)
            parts = [re.escape(t) for t in phrase.terms]
            end = "[a-z0-9]*" if phrase.prefix else "(?![a-z0-9])"
            self.patterns.append(re.compile("[^a-z0-9]+".join(parts) + end))

    def ranks(self, rows: list[tuple[int, str, str]]) -> dict[int, float]:
        """{entry id: rank} for (entry id, số/ký hiệu, trích yếu) rows: each column of all rows is folded in one
        call (a separator no text holds between them), then each phrase is looked for once per column."""
        scores = {entry_id: CONTENT_WEIGHT * len(self.patterns) for entry_id, _ref, _title in rows}
        ids = [entry_id for entry_id, _ref, _title in rows]
        for column, weight in ((1, REFERENCE_WEIGHT), (2, TITLE_WEIGHT)):
            joined = fold_loose(_SEPARATOR.join((row[column] or "").replace(_SEPARATOR, " ") for row in rows))
            starts = [0, *accumulate(len(part) + 1 for part in joined.split(_SEPARATOR))][:-1]
            for pattern in self.patterns:
                hit: set[int] = set()
                for m in pattern.finditer(joined):
                    at = m.start()
                    if at == 0 or not joined[at - 1].isalnum():
                        hit.add(bisect_right(starts, at) - 1)
                for index in hit:
                    scores[ids[index]] += weight
        return scores


_SEPARATOR = "\x1f"


def matches_anywhere(text: str, query: Query) -> bool:
    pattern = _term_pattern(query)
    return bool(pattern and pattern.search(nfc(text or "")))
