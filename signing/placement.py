"""Where a signature goes on the page: existing signature fields, the image drawn in a signed field, a place
found by the signer's name in the page text, or a box the user chose.

Coordinates are PDF points with the origin at the bottom left of the page, boxes ``(x1, y1, x2, y2)``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields

from signing.errors import CorruptPdf, PlacementNotFound

Box = tuple[float, float, float, float]
MM = 72 / 25.4


@dataclass(frozen=True)
class Placement:
    """A box on a page (0-based page index)."""

    page: int
    box: Box

    @classmethod
    def from_xywh(cls, page: int, x: float, y: float, width: float, height: float) -> Placement:
        """From a user's choice: lower-left corner and size, in points."""
        if width <= 0 or height <= 0:
            raise ValueError("the box needs a positive width and height")
        return cls(page, (x, y, x + width, y + height))

    @property
    def width(self) -> float:
        return self.box[2] - self.box[0]

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]


@dataclass(frozen=True)
class SignatureField:
    name: str
    placement: Placement | None
    """None for an invisible field (no widget rectangle)."""
    signed: bool


def _normalise(box: generic.PdfObject) -> Box:
    x1, y1, x2, y2 = (float(v) for v in box)
    return (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))


def _annotation_pages(reader: PdfFileReader) -> dict[int, int]:
    """Object number of every annotation → its 0-based page."""
    result: dict[int, int] = {}
    for index in range(int(reader.root["/Pages"]["/Count"])):
        page = reader.find_page_for_modification(index)[0].get_object()
        for annot in page.get("/Annots", generic.ArrayObject()) or []:
            if isinstance(annot, generic.IndirectObject):
                result.setdefault(annot.idnum, index)
    return result


def signature_fields(reader: PdfFileReader) -> dict[str, SignatureField]:
    """Every signature field of the PDF, by fully qualified name."""
    pages: dict[int, int] | None = None
    fields: dict[str, SignatureField] = {}
    for name, value, field_ref in enumerate_sig_fields(reader, filled_status=None):
        field = field_ref.get_object()
        kids = field.get("/Kids")
        widget_ref = kids[0] if kids else field_ref  # a field with several widgets is placed by its first
        widget = widget_ref.get_object() if kids else field
        placement = None
        if "/Rect" in widget:
            box = _normalise(widget["/Rect"])
            if box[2] - box[0] > 0 and box[3] - box[1] > 0:
                if pages is None:
                    pages = _annotation_pages(reader)
                idnum = widget_ref.idnum if isinstance(widget_ref, generic.IndirectObject) else -1
                placement = Placement(pages.get(idnum, 0), box)
        fields[name] = SignatureField(name, placement, value is not None)
    return fields


_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)"
_CM = re.compile(rf"({_NUMBER})\s+({_NUMBER})\s+({_NUMBER})\s+({_NUMBER})\s+({_NUMBER})\s+({_NUMBER})\s+cm")


def drawn_image_box(reader: PdfFileReader, field_name: str) -> Placement | None:
    """Where the image in a signed field's appearance actually is on the page: an image is drawn in the unit
    square, so the product of the ``cm`` matrices in the appearance maps it to its place in the field. None if
    the appearance is not the simple image-in-a-box that ``signing.appearance`` draws (callers then fall back
    to the field's box)."""
    for name, _value, field_ref in enumerate_sig_fields(reader, filled_status=None):
        if name != field_name:
            continue
        field = signature_fields(reader)[name]
        node = field_ref.get_object()
        widget = node["/Kids"][0].get_object() if "/Kids" in node else node
        appearance = widget.get("/AP")
        normal = appearance.get_object().get("/N") if appearance is not None else None
        normal = normal.get_object() if normal is not None else None
        if field.placement is None or not isinstance(normal, generic.StreamObject):
            return None
        resources = normal.get("/Resources", generic.DictionaryObject()).get_object()
        xobjects = resources.get("/XObject", generic.DictionaryObject()).get_object()
        images = [x for x in xobjects.values() if x.get_object().get("/Subtype") == "/Image"]
        if len(images) != 1 or len(xobjects) != 1:
            return None
        a, b, c, d, e, f = _matrices(normal.data)
        if abs(b) > 1e-6 or abs(c) > 1e-6 or a <= 0 or d <= 0:
            return None
        x1, y1 = field.placement.box[:2]
        return Placement(field.placement.page, (x1 + e, y1 + f, x1 + e + a, y1 + f + d))
    return None


Matrix = tuple[float, float, float, float, float, float]


def _multiply(m: Matrix, n: Matrix) -> Matrix:
    """m then n (PDF's row-vector convention: a point is transformed by m, then by n)."""
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (a * a2 + b * c2, a * b2 + b * d2, c * a2 + d * c2, c * b2 + d * d2,
            e * a2 + f * c2 + e2, e * b2 + f * d2 + f2)


def _matrices(content: bytes) -> Matrix:
    """The product of the ``cm`` operators in a simple content stream (nested q/Q ignored: the streams this
    reads draw one thing)."""
    result: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    for match in _CM.finditer(content.decode("latin-1")):
        m = tuple(float(v) for v in match.groups())
        result = _multiply(m, result)  # type: ignore[arg-type]
    return result


# --- by the signer's name -------------------------------------------------------------------------------------

def _fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def page_size(reader: PdfFileReader, page: int) -> tuple[float, float]:
    """Width and height of a page (0-based) in points; the MediaBox is inheritable from the page tree."""
    node = reader.find_page_for_modification(page)[0].get_object()
    while node is not None and "/MediaBox" not in node:
        parent = node.get("/Parent")
        node = parent.get_object() if parent is not None else None
    if node is None:
        return (595.28, 841.89)  # A4, the Decree's paper
    x1, y1, x2, y2 = (float(v) for v in node["/MediaBox"])
    return (abs(x2 - x1), abs(y2 - y1))


def page_sizes(pdf: bytes) -> list[tuple[float, float]]:
    """Every page's width and height in points."""
    import io

    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        return [page_size(reader, index) for index in range(int(reader.root["/Pages"]["/Count"]))]
    except (KeyError, ValueError, TypeError, IndexError, AttributeError) as exc:
        raise CorruptPdf(f"tệp PDF bị hỏng hoặc không đầy đủ ({type(exc).__name__})") from None


XHTML = "{http://www.w3.org/1999/xhtml}"


class TextLayoutError(Exception):
    """poppler's text layout could not be had: ``reason`` is ``tool`` (no pdftotext), ``timeout`` or
    ``unreadable``. Callers say it in their own words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def text_layout(pdf: bytes, *, first_page: int | None = None, last_page: int | None = None) -> ET.Element:
    """The PDF's words with their boxes (``pdftotext -bbox-layout``, XHTML: page > flow > block > line > word,
    coordinates from the top left); pages counted from 1."""
    tool = shutil.which("pdftotext")
    if tool is None:
        raise TextLayoutError("tool")
    pages = [*(["-f", str(first_page)] if first_page else []), *(["-l", str(last_page)] if last_page else [])]
    try:
        result = subprocess.run([tool, "-bbox-layout", *pages, "-enc", "UTF-8", "-", "-"], input=pdf,
                                capture_output=True, timeout=60, check=False)
    except subprocess.TimeoutExpired:
        raise TextLayoutError("timeout") from None
    if result.returncode != 0:
        raise TextLayoutError("unreadable")
    try:
        return ET.fromstring(result.stdout)
    except ET.ParseError:
        raise TextLayoutError("unreadable") from None


@dataclass(frozen=True)
class TextLine:
    """A line of text as poppler lays it out, its box in PDF points (origin at the page's lower left)."""

    page: int
    text: str
    box: Box


def text_lines(pdf: bytes) -> list[TextLine]:
    """Every text line of the PDF, via poppler's ``pdftotext -bbox-layout``; refusals say what to do."""
    try:
        root = text_layout(pdf)
    except TextLayoutError as exc:
        if exc.reason == "tool":
            raise PlacementNotFound("cần công cụ pdftotext (gói poppler-utils) để tìm vị trí ký theo họ tên") from None
        if exc.reason == "timeout":
            raise PlacementNotFound("đọc chữ trong tệp PDF quá lâu") from None
        raise CorruptPdf("không đọc được chữ trong tệp PDF (pdftotext báo lỗi)") from None
    lines: list[TextLine] = []
    for page_index, page in enumerate(root.iter(f"{XHTML}page")):
        height = float(page.get("height", "0"))
        for line in page.iter(f"{XHTML}line"):
            words = " ".join(w.text or "" for w in line.iter(f"{XHTML}word"))
            x1, y_top = float(line.get("xMin", "0")), float(line.get("yMin", "0"))
            x2, y_bottom = float(line.get("xMax", "0")), float(line.get("yMax", "0"))
            lines.append(TextLine(page_index, words, (x1, height - y_bottom, x2, height - y_top)))
    return lines


def _matching(lines: list[TextLine], text: str) -> list[TextLine]:
    wanted = _fold(text)
    return [line for line in lines if wanted and wanted in _fold(line.text)]


def find_text_lines(pdf: bytes, text: str) -> list[Placement]:
    """Every text line containing ``text`` (case and spacing ignored), via poppler's ``pdftotext -bbox-layout``."""
    return [Placement(line.page, line.box) for line in _matching(text_lines(pdf), text)]


def box_above_name(pdf: bytes, name: str, *, height: float = 22 * MM, min_width: float = 50 * MM,
                   gap: float = 2 * MM, min_height: float = 8 * MM) -> Placement:
    """A box for the signer's signature just above their name (the last place the name appears: the signature
    block closes the document), centred on it, ``height`` tall and at least ``min_width`` wide, ``gap`` above
    the name.

    It stays ``gap`` below the nearest line above it that it would otherwise cross (the signer's title, e.g.
    "CHỦ TỊCH"): where the space between title and name is short, the box shrinks, keeping its proportions,
    so the image is drawn between them and not over the title. Less than ``min_height`` of space is no place
    to sign: the signer then chooses one on the page."""
    lines = text_lines(pdf)
    named = _matching(lines, name)
    if not named:
        raise PlacementNotFound(f"không tìm thấy họ tên “{name}” trong văn bản; hãy chọn vị trí ký trên trang")
    line = named[-1]
    x1, _y1, x2, y2 = line.box
    width = max(x2 - x1, min_width)
    centre = (x1 + x2) / 2
    left, right = centre - width / 2, centre + width / 2
    bottom = y2 + gap
    # lines wholly above the name that the box's columns would reach: a line beside the name (another column,
    # the same row) is not above it
    above = [other.box[1] for other in lines
             if other.page == line.page and other is not line and other.box[1] >= y2 - 0.5
             and other.box[0] < right and other.box[2] > left]
    ceiling = min(above) - gap if above else None
    if ceiling is not None and bottom + height > ceiling:
        room = ceiling - bottom
        if room < min_height:
            raise PlacementNotFound(f"không đủ chỗ giữa chức danh và họ tên “{name}” để đặt chữ ký; hãy chọn vị "
                                    "trí ký trên trang")
        width, height = width * room / height, room
    return Placement(line.page, (centre - width / 2, bottom, centre + width / 2, bottom + height))
