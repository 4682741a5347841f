"""The body of a document as blocks, and the plain-text format drafters type in a textarea.

The format, one block per line (blank lines between blocks are welcome and change nothing, so both "one
paragraph per line" and "paragraphs separated by blank lines" read the same):

- ``I. MỤC ĐÍCH, YÊU CẦU`` (Roman numeral and a dot): a section heading, bold.
- ``1. Mục đích`` / ``1.2. Yêu cầu`` (Arabic numbering, short, no closing punctuation): a titled clause, bold.
  A numbered line that ends in ``.``, ``;``, ``:`` or ``,`` is an untitled clause: an ordinary paragraph.
- ``Điều 1. Phạm vi điều chỉnh``: an article title, bold (Appendix I, II.6.đ).
- ``Phần I``, ``Chương II``, ``Mục 1``, ``Tiểu mục 1``: centred bold; an upper-case line right after one is
  its title, centred bold.
- ``QUYẾT ĐỊNH:`` (an upper-case line ending in a colon, as in decisions): centred bold.
- ``Căn cứ ...`` lines at the very start: the legal bases, italic (Appendix I, II.6.a).
- ``- ...`` and ``+ ...``: list items; ``a) ...``: points. Both print as paragraphs (indented first line).
- anything else: a justified paragraph.
- a leading backslash keeps a line a plain paragraph whatever it starts with (``\\1. Quyết định này ...``).

Inline: ``**bold**`` and ``*italic*``; nothing else is markup, and the text is HTML-escaped first.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from markupsafe import Markup, escape


class BlockKind(StrEnum):
    PARAGRAPH = "paragraph"
    ITEM = "item"
    """A "- " or "+ " line, or a lettered point "a) "."""
    SECTION = "section"
    """"I. MỤC ĐÍCH, YÊU CẦU"."""
    CLAUSE_TITLE = "clause-title"
    """"1. Mục đích"."""
    ARTICLE = "article"
    """"Điều 1. Phạm vi điều chỉnh" (a title: all bold) or "Điều 1. Quyết định này có hiệu lực ... ." (running
    text: only "Điều 1." bold)."""
    PART = "part"
    """"Phần I", "Chương II", "Mục 1", "Tiểu mục 1"."""
    PART_TITLE = "part-title"
    CENTRED = "centred"
    """"QUYẾT ĐỊNH:"."""
    BASIS = "basis"
    """"Căn cứ ..." at the start."""


@dataclass(frozen=True)
class Block:
    kind: BlockKind
    text: str
    """The line as typed (NFC), with the inline markup still in it."""

    @property
    def html(self) -> Markup:
        if self.kind == BlockKind.ARTICLE:
            head, _, rest = self.text.partition(".")
            if rest.rstrip("*").endswith((".", ";", ":")):
                return Markup("<b>{}.</b>").format(inline_html(head)) + inline_html(rest)
            return Markup("<b>{}</b>").format(inline_html(self.text))
        return inline_html(self.text)


_ROMAN = re.compile(r"^[IVXLC]+\.\s+\S")
_NUMBERED = re.compile(r"^\d+\.(?:\d+\.?)*\s+\S")
_LETTERED = re.compile(r"^[a-zđ]\)\s+\S")
_ARTICLE = re.compile(r"^Điều\s+\d+[a-zđ]?\.\s*\S")
_PART = re.compile(r"^(?:Phần|Chương|Mục|Tiểu mục)\s+(?:[IVXLC]+|\d+)\.?$")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_ITALIC = re.compile(r"(?<!\*)\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?!\*)")
TITLED_CLAUSE_MAX = 200
"""Longer numbered lines are running text even without closing punctuation."""


def inline_html(text: str) -> Markup:
    """``**bold**`` and ``*italic*`` to <b> and <i>, everything else escaped."""
    html = str(escape(text))
    html = _BOLD.sub(r"<b>\1</b>", html)
    html = _ITALIC.sub(r"<i>\1</i>", html)
    return Markup(html)


def _is_upper(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


def _kind(line: str, previous: Block | None, in_preamble: bool) -> BlockKind:
    if in_preamble and line.startswith("Căn cứ"):
        return BlockKind.BASIS
    if _PART.match(line):
        return BlockKind.PART
    if previous is not None and previous.kind == BlockKind.PART and _is_upper(line):
        return BlockKind.PART_TITLE
    if _ARTICLE.match(line):
        return BlockKind.ARTICLE
    if _ROMAN.match(line):
        return BlockKind.SECTION
    if _NUMBERED.match(line) and len(line) <= TITLED_CLAUSE_MAX and not line.rstrip("*").endswith(
            (".", ";", ":", ",")):
        return BlockKind.CLAUSE_TITLE
    if line.startswith(("- ", "+ ", "– ")) or _LETTERED.match(line):
        return BlockKind.ITEM
    if _is_upper(line) and line.endswith(":") and len(line) <= 40:
        return BlockKind.CENTRED
    return BlockKind.PARAGRAPH


def parse_body(text: str) -> list[Block]:
    """Plain text (see the module docstring) to blocks. NFC-normalises; tabs and runs of spaces become one
    space, since justification decides the spacing."""
    blocks: list[Block] = []
    text = unicodedata.normalize("NFC", text or "").replace("\r\n", "\n").replace("\r", "\n")
    for raw in text.split("\n"):
        line = re.sub(r"[ \t\u00a0]+", " ", raw).strip()
        if not line:
            continue
        if line.startswith("\\"):
            blocks.append(Block(BlockKind.PARAGRAPH, line[1:].lstrip()))
            continue
        in_preamble = all(b.kind == BlockKind.BASIS for b in blocks)
        blocks.append(Block(_kind(line, blocks[-1] if blocks else None, in_preamble), line))
    return blocks


def body_blocks(body: str | list[Block] | tuple[Block, ...]) -> list[Block]:
    """Blocks as given (NFC-normalised), or parsed from text."""
    if isinstance(body, str):
        return parse_body(body)
    return [Block(BlockKind(b.kind), unicodedata.normalize("NFC", b.text).strip()) for b in body]
