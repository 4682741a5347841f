"""Number and date fields for a draft that was not rendered here (an uploaded PDF, or a DOCX LibreOffice
converted): find "Số:      /KH-LĐLĐ" and "Gia Lâm, ngày    tháng    năm" on the first page with poppler's
``pdftotext -bbox-layout`` and put the same text fields the renderer leaves (``doc_number``, ``doc_day``,
``doc_month``, ``doc_year``) into the blanks, so issue fills them as it fills a rendered document.

Each problem is raised as a ``PlaceholderError`` whose message (Vietnamese, shown to the drafter) says what the
first page must contain. Knows nothing of Flask or the database.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from edoc.rendering.html import TEXT_FIELDS
from signing.forms import DIGIT_HEIGHT, PADDING, FormError, TextFieldSpec, add_fields, field_boxes
from signing.placement import XHTML, TextLayoutError, text_layout

FIELD_NAMES = ("doc_number", "doc_day", "doc_month", "doc_year")
EM_BOX = 1.107
"""pdftotext's word box is the font's ascent + descent: 1.107 em for Times New Roman and its metric twins."""
DESCENT = 0.216
DIGIT = 0.5
"""Width of a digit in the Times fonts the fields are drawn in, in em."""
NUMBER_DIGITS, DAY_DIGITS, YEAR_DIGITS = 3, 2, 4
"""Room a blank must leave: numbers up to 999, a two-digit day or month, a four-digit year."""
TOLERANCE = 0.8
"""A blank may be a little narrower than the digits it must hold (typed spaces rarely add up exactly)."""
EXAMPLE = "“Số:      /KH-LĐLĐ” và “Gia Lâm, ngày    tháng    năm      ”"


class PlaceholderError(ValueError):
    """The first page has no usable blank for the number or the date; the message says what it must have."""


@dataclass(frozen=True)
class Word:
    text: str
    x1: float
    y1: float
    """Top, from the top of the page (as pdftotext gives it)."""
    x2: float
    y2: float

    @property
    def size(self) -> float:
        return (self.y2 - self.y1) / EM_BOX

    @property
    def baseline(self) -> float:
        return self.y2 - DESCENT * self.size


@dataclass(frozen=True)
class Layout:
    """Where the fields go on the first page, in PDF points (origin bottom left), and what the page says."""

    fields: list[TextFieldSpec]
    notation: str
    """The ký hiệu typed after "Số: /", e.g. "KH-LĐLĐ"."""
    printed_year: int | None
    """The year, when the draft already prints it ("năm 2026"): then there is no year field."""


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


def first_page_lines(pdf: bytes) -> tuple[float, list[list[Word]]]:
    """(page height, the rows of words of page 1)."""
    try:
        root = text_layout(pdf, first_page=1, last_page=1)
    except TextLayoutError as exc:
        raise PlaceholderError({
            "tool": "máy chủ thiếu công cụ pdftotext (gói poppler-utils) để đọc tệp dự thảo",
            "timeout": "đọc chữ trong tệp quá lâu"}.get(exc.reason, "không đọc được chữ trong tệp PDF")) from None
    page = next(root.iter(f"{XHTML}page"), None)
    if page is None:
        raise PlaceholderError("tệp không có trang nào")
    words = [Word(unicodedata.normalize("NFC", w.text or ""), float(w.get("xMin", 0)), float(w.get("yMin", 0)),
                  float(w.get("xMax", 0)), float(w.get("yMax", 0))) for w in page.iter(f"{XHTML}word")]
    return float(page.get("height", "0")), _rows(words)


def _rows(words: list[Word]) -> list[list[Word]]:
    """Words on one baseline, left to right, top row first. pdftotext itself splits a line at a wide blank
    (exactly the blanks looked for here) into separate lines and blocks, so its lines cannot be used."""
    rows: list[list[Word]] = []
    for word in sorted(words, key=lambda w: (w.baseline, w.x1)):
        if rows and abs(rows[-1][0].baseline - word.baseline) < 0.3 * max(word.size, 1.0):
            rows[-1].append(word)
        else:
            rows.append([word])
    return [sorted(row, key=lambda w: w.x1) for row in rows]


def _box(height: float, x1: float, x2: float, anchor: Word, size: float) -> tuple[float, float, float, float]:
    """A field box from x1 to x2 whose centred digits sit on ``anchor``'s baseline (PDF coordinates)."""
    box_height = 1.1 * size
    bottom = (height - anchor.baseline) - (box_height - DIGIT_HEIGHT * size) / 2
    return (round(x1, 2), round(bottom, 2), round(x2, 2), round(bottom + box_height, 2))


def _number(height: float, lines: list[list[Word]]) -> tuple[TextFieldSpec, str, Word]:
    """The number field, the ký hiệu after the slash, and the slash's word (where the date line is looked for)."""
    for words in lines:
        for i, word in enumerate(words):
            text = _fold(word.text)
            if not text.startswith("số"):
                continue
            label, rest = word, words[i + 1:]
            if text == "số" and rest and rest[0].text == ":":
                label, rest = rest[0], rest[1:]
            elif text != "số:":
                if re.match(r"^số:\S*/", text):
                    raise PlaceholderError(f"sau “Số:” phải để trống chỗ để văn thư điền số (đang viết liền "
                                           f"“{word.text}”); hãy viết {EXAMPLE}")
                continue
            if not rest or "/" not in rest[0].text:
                continue
            after = rest[0]
            head, _, notation = after.text.partition("/")
            if head.strip(".…_ "):
                if head.strip().isdigit():
                    raise PlaceholderError(f"dự thảo đã ghi sẵn số “{after.text}”: số do văn thư cấp khi ban hành, "
                                           f"hãy để trống, ví dụ {EXAMPLE}")
                continue
            if head:
                raise PlaceholderError(f"chỗ ghi số đang có dấu chấm (“{after.text}”), số điền vào sẽ đè lên; hãy "
                                       f"để trống bằng dấu cách, ví dụ {EXAMPLE}")
            size = after.size
            style = TEXT_FIELDS["doc_number"]
            need = NUMBER_DIGITS * DIGIT * size + PADDING
            gap = after.x1 - label.x2
            if gap < TOLERANCE * need:
                raise PlaceholderError(f"sau “Số:” cần để trống đủ chỗ cho số (khoảng 6 dấu cách trước "
                                       f"“/{notation}”), ví dụ {EXAMPLE}")
            # right-aligned against the slash, as wide as the blank (at most four digits): the number closes up
            # to "/KH-LĐLĐ" whatever its length
            x2 = after.x1 - 0.3
            x1 = max(label.x2 + 0.25 * size, x2 - (4 * DIGIT * size + PADDING))
            return TextFieldSpec("doc_number", 0, _box(height, x1, x2, after, size), style.font, round(size, 1),
                                 style.align), _dashes(notation), after
    raise PlaceholderError(f"không tìm thấy dòng số, ký hiệu ở trang đầu; trang đầu phải có {EXAMPLE}")


def _dashes(text: str) -> str:
    return re.sub(r"[‐‑‒–—−]", "-", text).strip().rstrip(".,;")


def _blank(height: float, before: Word, after: Word | None, digits: int, what: str, name: str,
           size: float) -> TextFieldSpec:
    style = TEXT_FIELDS[name]
    need = digits * DIGIT * size + PADDING
    end = after.x1 if after is not None else before.x2 + 0.25 * size + need
    if end - before.x2 < TOLERANCE * need:
        raise PlaceholderError(f"dòng ngày tháng cần để trống đủ chỗ cho {what}, ví dụ {EXAMPLE}")
    # centred in the blank between the words (a blank at the end of the line: just after the word)
    x1 = before.x2 + 0.1 * size
    x2 = end - 0.1 * size if after is not None else x1 + need
    return TextFieldSpec(name, 0, _box(height, x1, x2, before, size), style.font, round(size, 1), style.align)


def _date(height: float, lines: list[list[Word]], near: Word | None = None
          ) -> tuple[list[TextFieldSpec], int | None]:
    """The date line's fields; only a line level with the number or just below it (``near``) counts, so a
    date quoted in the body ("Kế hoạch số 89/KH-LĐLĐ ngày 03 tháng 4 năm 2023") is never taken for it."""
    for words in lines:
        if near is not None and not (near.baseline - 2 * near.size <= words[0].baseline
                                     <= near.baseline + 4 * near.size):
            continue
        folded = [_fold(w.text) for w in words]
        if "ngày" not in folded or "tháng" not in folded[folded.index("ngày"):]:
            continue
        i = folded.index("ngày")
        j = folded.index("tháng", i)
        if "năm" not in folded[j:]:
            continue
        k = folded.index("năm", j)
        if k - j > 2 or j - i > 2:
            continue
        if j - i == 2 or k - j == 2:
            filled = " ".join(w.text for w in words[i:k + 2])
            raise PlaceholderError(f"dự thảo đã ghi sẵn ngày tháng (“{filled}”): ngày ban hành do văn thư điền, "
                                   f"hãy để trống, ví dụ {EXAMPLE}")
        size = words[i].size
        fields = [_blank(height, words[i], words[j], DAY_DIGITS, "ngày", "doc_day", size),
                  _blank(height, words[j], words[k], DAY_DIGITS, "tháng", "doc_month", size)]
        following = words[k + 1] if k + 1 < len(words) else None
        if following is not None and re.fullmatch(r"\d{4}\.?", following.text):
            return fields, int(following.text[:4])
        fields.append(_blank(height, words[k], following, YEAR_DIGITS, "năm", "doc_year", size))
        return fields, None
    raise PlaceholderError(f"không tìm thấy dòng địa danh, ngày tháng năm ở trang đầu; trang đầu phải có {EXAMPLE}")


def locate(pdf: bytes) -> Layout:
    """Where the number and date fields go on page 1 of ``pdf``."""
    height, lines = first_page_lines(pdf)  # top row first: the header's before any date in the body
    number, notation, anchor = _number(height, lines)
    dates, printed_year = _date(height, lines, anchor)
    return Layout([number, *dates], notation, printed_year)


def printed_year(pdf: bytes) -> int | None:
    """The year a draft prints on its date line, if it prints one."""
    height, lines = first_page_lines(pdf)
    return _date(height, lines, _number(height, lines)[2])[1]


def with_fields(pdf: bytes, layout: Layout) -> bytes:
    """``pdf`` with the layout's empty text fields added. A PDF that already has them (rendered by edoc) is kept
    as it is."""
    present = set(field_boxes(pdf))
    if "doc_number" in present:
        return pdf
    try:
        return add_fields(pdf, layout.fields, [])
    except FormError as exc:
        if "signed" in str(exc):
            raise PlaceholderError("tệp PDF đã được ký số, không thêm được ô số và ngày; hãy tải lên bản chưa ký "
                                   "(người ký ký số sau khi duyệt)") from None
        raise PlaceholderError(f"không thêm được ô số và ngày vào tệp ({exc})") from None
