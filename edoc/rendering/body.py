"""The structured body text drafters type, turned into paragraphs for the template."""

from __future__ import annotations

import re
from dataclasses import dataclass

from markupsafe import Markup, escape

_ROMAN = re.compile(r"^(?:[IVXLC]+)\.\s")
_NUMBERED = re.compile(r"^\d+(?:\.\d+)*\.\s")
_LETTERED = re.compile(r"^[a-zđ]\)\s")


@dataclass(frozen=True)
class Paragraph:
    html: Markup
    kind: str
    """heading (I., II.), subheading (1., 2.), item (- or +), or text."""


def _inline(text: str) -> Markup:
    html = str(escape(text))
    html = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", html)
    html = re.sub(r"\*(.+?)\*", r"<i>\1</i>", html)
    return Markup(html)


def parse(body: str) -> list[Paragraph]:
    paragraphs = []
    for raw in body.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if not line:
            continue
        if _ROMAN.match(line):
            kind = "heading"
        elif _NUMBERED.match(line) and len(line) < 160 and not line.endswith((".", ";", ":")):
            kind = "subheading"
        elif line.startswith(("- ", "+ ")) or _LETTERED.match(line):
            kind = "item"
        else:
            kind = "text"
        paragraphs.append(Paragraph(_inline(line), kind))
    return paragraphs
