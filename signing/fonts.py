"""Embedding a TrueType font subset for the text of a signature stamp.

pyHanko's own TrueType support writes the glyph widths (/W) in font units (2048 per em for Liberation) where
PDF expects thousandths of an em, so Vietnamese text comes out with letters about twice too far apart, and it
needs uharfbuzz besides. Stamps here are short, left-to-right and need no shaping (Vietnamese letters are
precomposed in NFC), so a simple embedder does: the font subset to the characters used (fontTools), a
CIDFontType2 with Identity-H encoding, widths in 1/1000 em, and a ToUnicode map so the text can be extracted,
searched and read aloud.
"""

from __future__ import annotations

import hashlib
import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.writer import BasePdfFileWriter

from signing.errors import AppearanceError

# Times New Roman's metrics, free: the Decree asks for Times New Roman, which Debian does not ship.
LIBERATION_SERIF = Path("/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf")
FONT_CANDIDATES = (
    LIBERATION_SERIF,
    Path("/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf"),
    Path("/usr/share/fonts/truetype/msttcorefonts/Times_New_Roman.ttf"),
)


def default_font_path() -> Path:
    for candidate in FONT_CANDIDATES:
        if candidate.exists():
            return candidate
    raise AppearanceError("không tìm thấy phông chữ Times New Roman/Liberation Serif "
                          "(cài gói fonts-liberation2, hoặc chỉ định tệp phông chữ)")


@dataclass(eq=False)
class TrueTypeFont:
    """Metrics of one TrueType font file, and its embedding as a subset."""

    path: Path = field(default_factory=default_font_path)

    def __post_init__(self) -> None:
        try:
            font = TTFont(str(self.path), lazy=True)
            self._cmap: dict[int, str] = font.getBestCmap()
            self._advance = {name: width for name, (width, _lsb) in font["hmtx"].metrics.items()}
            self.units_per_em: int = font["head"].unitsPerEm
            self.ascent = font["hhea"].ascent / self.units_per_em
            self.descent = font["hhea"].descent / self.units_per_em  # negative
            self.cap_height = getattr(font["OS/2"], "sCapHeight", 0) / self.units_per_em or 0.66
            head = font["head"]
            self._bbox = [round(v * 1000 / self.units_per_em) for v in (head.xMin, head.yMin, head.xMax, head.yMax)]
            self.postscript_name = str(font["name"].getDebugName(6) or self.path.stem).replace(" ", "")
        except (OSError, KeyError) as exc:
            raise AppearanceError(f"không đọc được phông chữ {self.path}: {exc}") from None

    def _glyph(self, char: str) -> str:
        name = self._cmap.get(ord(char))
        if name is None:
            raise AppearanceError(f"phông chữ {self.path.name} không có ký tự “{char}” (U+{ord(char):04X})")
        return name

    def text_width(self, text: str, size: float) -> float:
        """Advance width of ``text`` at ``size`` points, in points (no kerning, as it is drawn)."""
        text = unicodedata.normalize("NFC", text)
        return sum(self._advance[self._glyph(c)] for c in text) * size / self.units_per_em

    def embed(self, writer: BasePdfFileWriter, text: str) -> EmbeddedFont:
        """Add a Type0 font holding just the glyphs of ``text`` to ``writer``."""
        text = unicodedata.normalize("NFC", text)
        chars = sorted(set(text))
        for c in chars:
            self._glyph(c)
        font, program, gids = subset_font(self.path, chars)
        cmap = font.getBestCmap()
        advances = font["hmtx"].metrics
        widths = {gids[c]: round(advances[cmap[ord(c)]][0] * 1000 / self.units_per_em) for c in chars}
        # subset tag: six capitals, stable for the same text (ISO 32000-1 9.6.4)
        tag = "".join(chr(65 + b % 26) for b in hashlib.sha256(text.encode()).digest()[:6])
        base_font = pdf_name(f"/{tag}+{self.postscript_name}")

        font_file = generic.StreamObject({pdf_name("/Length1"): generic.NumberObject(len(program))},
                                         stream_data=program)
        font_file.compress()
        descriptor = generic.DictionaryObject({
            pdf_name("/Type"): pdf_name("/FontDescriptor"), pdf_name("/FontName"): base_font,
            pdf_name("/Flags"): generic.NumberObject(32 + 2),  # nonsymbolic, serif
            pdf_name("/FontBBox"): generic.ArrayObject(generic.NumberObject(v) for v in self._bbox),
            pdf_name("/ItalicAngle"): generic.NumberObject(0),
            pdf_name("/Ascent"): generic.NumberObject(round(self.ascent * 1000)),
            pdf_name("/Descent"): generic.NumberObject(round(self.descent * 1000)),
            pdf_name("/CapHeight"): generic.NumberObject(round(self.cap_height * 1000)),
            pdf_name("/StemV"): generic.NumberObject(80),
            pdf_name("/FontFile2"): writer.add_object(font_file),
        })
        w_array = generic.ArrayObject()
        for gid in sorted(widths):
            w_array.append(generic.NumberObject(gid))
            w_array.append(generic.ArrayObject([generic.NumberObject(widths[gid])]))
        cid_font = generic.DictionaryObject({
            pdf_name("/Type"): pdf_name("/Font"), pdf_name("/Subtype"): pdf_name("/CIDFontType2"),
            pdf_name("/BaseFont"): base_font,
            pdf_name("/CIDSystemInfo"): generic.DictionaryObject({
                pdf_name("/Registry"): generic.pdf_string("Adobe"),
                pdf_name("/Ordering"): generic.pdf_string("Identity"),
                pdf_name("/Supplement"): generic.NumberObject(0)}),
            pdf_name("/FontDescriptor"): writer.add_object(descriptor),
            pdf_name("/DW"): generic.NumberObject(0),
            pdf_name("/W"): w_array,
            pdf_name("/CIDToGIDMap"): pdf_name("/Identity"),
        })
        to_unicode = generic.StreamObject(stream_data=to_unicode_cmap(gids))
        to_unicode.compress()
        type0 = generic.DictionaryObject({
            pdf_name("/Type"): pdf_name("/Font"), pdf_name("/Subtype"): pdf_name("/Type0"),
            pdf_name("/BaseFont"): base_font, pdf_name("/Encoding"): pdf_name("/Identity-H"),
            pdf_name("/DescendantFonts"): generic.ArrayObject([writer.add_object(cid_font)]),
            pdf_name("/ToUnicode"): writer.add_object(to_unicode),
        })
        return EmbeddedFont(writer.add_object(type0), gids, self)


@dataclass(frozen=True)
class EmbeddedFont:
    """A font added to a PDF, and how to write text in it."""

    ref: generic.IndirectObject
    gids: dict[str, int]
    metrics: TrueTypeFont

    def encode(self, text: str) -> bytes:
        """``text`` as a PDF hex string operand for ``Tj`` (two bytes per glyph, Identity-H)."""
        text = unicodedata.normalize("NFC", text)
        try:
            return b"<" + "".join(f"{self.gids[c]:04X}" for c in text).encode() + b">"
        except KeyError as exc:
            raise AppearanceError(f"ký tự {exc} không có trong phông chữ đã nhúng") from None


def subset_font(path: Path, chars: Sequence[str]) -> tuple[TTFont, bytes, dict[str, int]]:
    """The font at ``path`` cut down to ``chars`` (no shaping tables: NFC Vietnamese needs none), its program to
    embed as /FontFile2, and each character's glyph id in it. Shared by every PDF writer of the house (pyHanko's
    here, pikepdf's for the meeting papers' watermark)."""
    font = TTFont(str(path))
    options = subset.Options()
    options.layout_features = []  # no shaping here: drop GSUB/GPOS
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6]  # keep copyright and licence-relevant names
    options.notdef_outline = True
    options.drop_tables += ["FFTM"]  # FontForge timestamps: fontTools cannot subset them and warns
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[ord(c) for c in chars])
    subsetter.subset(font)
    program = io.BytesIO()
    font.save(program)
    cmap = font.getBestCmap()
    return font, program.getvalue(), {c: font.getGlyphID(cmap[ord(c)]) for c in chars}


def to_unicode_cmap(gids: dict[str, int]) -> bytes:
    """The /ToUnicode CMap of an Identity-H font: text drawn with it can be searched and copied."""
    pairs = [f"<{gid:04X}> <{char.encode('utf-16-be').hex().upper()}>\n"
             for char, gid in sorted(gids.items(), key=lambda item: item[1])]
    # at most 100 entries per bfchar block (PDF CMap syntax)
    blocks = "".join(f"{len(pairs[i:i + 100])} beginbfchar\n{''.join(pairs[i:i + 100])}endbfchar\n"
                     for i in range(0, len(pairs), 100))
    return ("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
            "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
            "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
            f"{blocks}"
            "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n").encode()
