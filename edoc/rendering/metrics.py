"""Text widths in Times New Roman metrics, to break the header lines ourselves.

Why not leave it to the browser: the Decree wants the rule under the issuing body and under the trích yếu to be
1/3 to 1/2 as long as the text line, and CSS cannot size a rule from the longest line of wrapped text (the box
takes the whole column). Knowing the lines, we also break them where a clerk would ("LIÊN ĐOÀN LAO ĐỘNG" /
"HUYỆN GIA LÂM") and balance them instead of leaving one word on the last line.
"""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path

FAMILY = "Times New Roman"
"""Asked of fontconfig, which answers with Liberation Serif (same metrics) where Times New Roman is absent."""

UNIT_WORDS = ("HUYỆN ", "QUẬN ", "THỊ XÃ ", "THÀNH PHỐ ", "TỈNH ", "PHƯỜNG ", "THỊ TRẤN ", "XÃ ")
"""Administrative units: the natural place to break a body's name."""

COMPOUNDS = frozenset(" ".join(word.split()) for word in """
    XÃ HỘI|LAO ĐỘNG|NHÂN DÂN|VIỆT NAM|THƯƠNG BINH|LIÊN ĐOÀN|ỦY BAN|CÔNG ĐOÀN|THÀNH PHỐ|THỊ XÃ|THỊ TRẤN|NHÀ NƯỚC|
    HÀ NỘI|HỘI ĐỒNG|THƯỜNG VỤ|CHẤP HÀNH|VĂN PHÒNG|CHÍNH PHỦ|QUỐC HỘI|KẾ HOẠCH|ĐẦU TƯ|TÀI CHÍNH|GIÁO DỤC|ĐÀO TẠO|
    Y TẾ|NỘI VỤ|TƯ PHÁP|CÔNG AN|QUÂN SỰ|NÔNG NGHIỆP|PHÁT TRIỂN|NÔNG THÔN|TÀI NGUYÊN|MÔI TRƯỜNG|GIAO THÔNG|
    VẬN TẢI|XÂY DỰNG|CÔNG THƯƠNG|KHOA HỌC|CÔNG NGHỆ|THÔNG TIN|TRUYỀN THÔNG|VĂN HÓA|THỂ THAO|DU LỊCH|MẶT TRẬN|
    TỔ QUỐC|THANH NIÊN|PHỤ NỮ|CHIẾN BINH|CHÍ MINH|VĂN THƯ|LƯU TRỮ|TUYÊN GIÁO|KIỂM TRA|THANH TRA|CÁN BỘ|
    CÔNG CHỨC|VIÊN CHỨC|ĐOÀN VIÊN|HÀNH CHÍNH|THỦ TỤC|CẢI CÁCH|KHIẾU NẠI|TỐ CÁO|CÔNG DÂN|ĐỊA BÀN|THỰC HIỆN|
    TRIỂN KHAI|TUYÊN TRUYỀN|LIÊN THÔNG|CHỈ THỊ|QUYẾT ĐỊNH|NGHỊ QUYẾT|TỔ CHỨC|CƠ QUAN|ĐƠN VỊ|DOANH NGHIỆP
""".split("|")) - {""}
"""Two-syllable words a header should not be broken inside (Vietnamese writes each syllable apart)."""


def font_file(bold: bool = False, italic: bool = False) -> Path | None:
    """The file fontconfig renders "Times New Roman" with, or None if it is neither it nor Liberation Serif."""
    return _font_file(bold, italic)


@functools.cache
def _font_file(bold: bool, italic: bool) -> Path | None:
    style = {(False, False): "Regular", (True, False): "Bold", (False, True): "Italic",
             (True, True): "Bold Italic"}[(bold, italic)]
    try:
        found = subprocess.run(["fc-match", "-f", "%{file}", f"{FAMILY}:style={style}"], capture_output=True,
                               text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    path = Path(found) if found else None
    if path is None or not path.exists():
        return None
    name = path.name.lower().replace(" ", "")
    return path if ("liberationserif" in name or "times" in name) else None


@functools.cache
def _advances(bold: bool, italic: bool) -> tuple[dict[int, float], float] | None:
    """Advance widths per code point in em, and the em width of a space."""
    path = font_file(bold, italic)
    if path is None:
        return None
    try:
        from fontTools.ttLib import TTFont
    except ImportError:  # pragma: no cover - fontTools comes with WeasyPrint
        return None
    with TTFont(str(path), lazy=True) as font:
        per_em = float(font["head"].unitsPerEm)
        metrics = font["hmtx"].metrics
        widths = {cp: metrics[glyph][0] / per_em for cp, glyph in font.getBestCmap().items()}
    return widths, widths.get(ord(" "), 0.25)


def text_width(text: str, size: float, *, bold: bool = False, italic: bool = False) -> float:
    """Width in points at ``size`` points (no kerning: a percent or two wider than rendered at most)."""
    table = _advances(bold, italic)
    if table is None:
        # no font to measure: a typical Times average, upper case wider
        return sum((0.72 if c.isupper() else 0.48) for c in text) * size
    widths, _ = table
    fallback = 0.6
    return sum(widths.get(ord(c), fallback) for c in text) * size


def balanced_lines(text: str, size: float, max_width: float, *, bold: bool = False,
                   prefer_breaks_before: tuple[str, ...] = ()) -> list[str]:
    """Break ``text`` into as few lines as fit in ``max_width`` points, as even as possible, preferring breaks
    before ``prefer_breaks_before`` and never starting a line with a dash. Line breaks already in the text are
    kept (each part is broken on its own)."""
    lines: list[str] = []
    for part in text.split("\n"):
        words = part.split()
        if words:
            lines.extend(_balance(words, size, max_width, bold, prefer_breaks_before))
    return lines


def _balance(words: list[str], size: float, max_width: float, bold: bool, prefer: tuple[str, ...]) -> list[str]:
    n = len(words)
    space = text_width(" ", size, bold=bold)
    word_widths = [text_width(w, size, bold=bold) for w in words]

    def width(i: int, j: int) -> float:  # words[i:j] on one line
        return sum(word_widths[i:j]) + space * (j - i - 1)

    count = _greedy_count(word_widths, space, max_width)
    if count == 1:
        return [" ".join(words)]
    if count >= n:
        return list(words)
    mean = width(0, n) / count

    def break_cost(j: int) -> float:  # a line starting at words[j]
        rest = " ".join(words[j:]).upper() + " "
        # a line starting with a dash reads as a list item; inside a word is worse than after a dash
        if words[j] in ("-", "–"):
            return 1.5 * mean**2
        if f"{words[j - 1]} {words[j]}".upper() in COMPOUNDS:
            return 0.8 * mean**2
        if words[j - 1] in ("-", "–"):
            return 0.7 * mean**2
        if any(rest.startswith(p) and not rest.startswith("XÃ HỘI") for p in prefer):
            return 0.0
        return (0.12 * mean) ** 2 if prefer else 0.0

    # cost[k][j]: the best cost of words[:j] in k lines; classic dynamic programming over break points
    inf = float("inf")
    cost = [[inf] * (n + 1) for _ in range(count + 1)]
    back = [[0] * (n + 1) for _ in range(count + 1)]
    cost[0][0] = 0.0
    for k in range(1, count + 1):
        for j in range(k, n + 1):
            for i in range(k - 1, j):
                if cost[k - 1][i] == inf:
                    continue
                w = width(i, j)
                if w > max_width:
                    continue
                c = cost[k - 1][i] + (w - mean) ** 2 + (break_cost(i) if i > 0 else 0.0)
                if c < cost[k][j]:
                    cost[k][j], back[k][j] = c, i
    if cost[count][n] == inf:  # a single word wider than the column: let the browser cope
        return [" ".join(words)]
    lines, j = [], n
    for k in range(count, 0, -1):
        i = back[k][j]
        lines.append(" ".join(words[i:j]))
        j = i
    return lines[::-1]


def _greedy_count(word_widths: list[float], space: float, max_width: float) -> int:
    count, current = 1, -space
    for w in word_widths:
        if current + space + w > max_width and current > 0:
            count, current = count + 1, w
        else:
            current += space + w
    return count
