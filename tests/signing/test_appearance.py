"""What signatures look like and where they go (Decree 30/2020, Appendix I): the attachment stamp at the top
right of page 1 in Liberation Serif 10 pt, black, its text extractable; the signer's signature placed by
the name in the page text or where the user chose; the seal at its real size over the left third of the
signer's image. Positions are read back from the signed file, and the text through poppler.
"""

from __future__ import annotations

import io
import logging
import re
import subprocess
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image
from pyhanko.pdf_utils.reader import PdfFileReader

from signing.appearance import SEAL_MM, SealImage, TextStamp, copy_stamp
from signing.errors import PlacementNotFound
from signing.fonts import LIBERATION_SERIF, TrueTypeFont
from signing.placement import MM, Placement, box_above_name, drawn_image_box, find_text_lines, signature_fields
from signing.sign import seal_pdf, sign_attachment, sign_pdf
from signing.validate import validate_pdf
from tests.support.components import require_tool

A4 = (595.276, 841.89)
NUMBER = "445/KH-LĐLĐ"
XHTML = "{http://www.w3.org/1999/xhtml}"


def _field(pdf: bytes, name: str):
    return signature_fields(PdfFileReader(io.BytesIO(pdf)))[name]


def _widget(pdf: bytes, name: str):
    for ref in PdfFileReader(io.BytesIO(pdf)).root["/AcroForm"]["/Fields"]:
        field = ref.get_object()
        if str(field.get("/T")) == name:
            return field
    raise AssertionError(name)


def _words(pdf: bytes, tmp_path: Path) -> list[tuple[str, float, float, float, float]]:
    """(word, x1, y1, x2, y2) on page 1, PDF coordinates (origin bottom left), from ``pdftotext -bbox``."""
    require_tool("pdftotext", "poppler-utils")
    path = tmp_path / "words.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-bbox", "-f", "1", "-l", "1", str(path), "-"], capture_output=True,
                         check=True).stdout
    root = ET.fromstring(out)
    page = next(root.iter(f"{XHTML}page"))
    height = float(page.get("height", "0"))
    return [(w.text or "", float(w.get("xMin", "0")), height - float(w.get("yMax", "0")),
             float(w.get("xMax", "0")), height - float(w.get("yMin", "0"))) for w in page.iter(f"{XHTML}word")]


def _pixels(image: Image.Image) -> list[tuple[int, int, int]]:
    data = image.convert("RGB").tobytes()
    return [(data[i], data[i + 1], data[i + 2]) for i in range(0, len(data), 3)]


@pytest.fixture(scope="module")
def attachment(plain_pdf, organisation_key) -> bytes:
    return sign_attachment(plain_pdf, organisation_key, number=NUMBER)


def test_attachment_stamp_is_at_the_top_right_of_page_one(attachment):
    field = _field(attachment, "sig_attachment")
    assert field.signed and field.placement is not None and field.placement.page == 0
    x1, y1, x2, y2 = field.placement.box
    width, height = A4
    # right edge on the line of a 20 mm right margin (the Decree: 15-20 mm), a point of air around the text
    assert x2 == pytest.approx(width - 20 * MM + 1, abs=0.01)
    assert y2 == pytest.approx(height - 8 * MM + 1, abs=0.01)
    # all of it in the top margin (20-25 mm) and the right half: it never covers the document's text
    assert y1 > height - 20 * MM and x1 > width / 2
    # two lines of 10 pt: as tall as the text, not a box drawn at a guess
    assert 20 < y2 - y1 < 26


def test_attachment_stamp_text_time_font_and_colour(attachment, organisation_key, tmp_path):
    [report] = validate_pdf(attachment, trust_roots=[organisation_key.chain[-1]]).signatures
    assert report.ok and report.field == "sig_attachment"
    words = _words(attachment, tmp_path)
    texts = [w[0] for w in words]
    assert NUMBER in texts and report.signing_time in texts  # the ToUnicode map gives the text back
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00", report.signing_time)
    assert texts.index(NUMBER) < texts.index(report.signing_time)  # number first, then the time
    # both lines inside the widget, right-aligned on its inner edge
    x1, y1, x2, y2 = _field(attachment, "sig_attachment").placement.box
    font = TrueTypeFont(LIBERATION_SERIF)
    for text in (NUMBER, report.signing_time):
        _, wx1, wy1, wx2, wy2 = words[texts.index(text)]
        assert x1 <= wx1 and wx2 <= x2 and y1 <= wy1 and wy2 <= y2 + 0.5
        assert wx2 == pytest.approx(x2 - 1, abs=0.3)
        # letters spaced as the font says at 10 pt (pyHanko's own embedding came out about twice as wide)
        assert wx2 - wx1 == pytest.approx(font.text_width(text, 10), rel=0.02)
    # no image: one font, text drawn in black at 10 pt
    appearance = _widget(attachment, "sig_attachment")["/AP"]["/N"]
    resources = appearance["/Resources"]
    assert "/XObject" not in resources or not any(
        x.get_object().get("/Subtype") == "/Image" for x in resources["/XObject"].values())
    [font_ref] = resources["/Font"].values()
    base_font = str(font_ref.get_object()["/BaseFont"])
    assert re.fullmatch(r"/[A-Z]{6}\+LiberationSerif", base_font)  # a subset, tagged as ISO 32000 says
    descendant = font_ref.get_object()["/DescendantFonts"][0].get_object()
    assert "/FontFile2" in descendant["/FontDescriptor"]  # embedded
    assert "/ToUnicode" in font_ref.get_object()
    content = appearance.data.decode("latin-1")
    assert re.search(r"BT 0 g /F1 10 Tf ", content) and " rg" not in content


def test_attachment_stamp_renders_as_text_with_the_right_letters(attachment, tmp_path):
    """Rendered by poppler at 100 dpi: the text's dark pixels are black-grey, and nothing is drawn past the
    right margin line. (Whether the letters look right was checked by eye on the same rendering; pixels
    cannot tell a misplaced diacritic.)"""
    require_tool("pdftoppm", "poppler-utils")
    path = tmp_path / "attachment.pdf"
    path.write_bytes(attachment)
    subprocess.run(["pdftoppm", "-png", "-r", "100", "-f", "1", "-l", "1", str(path), str(tmp_path / "page")],
                   check=True, capture_output=True)
    image = Image.open(tmp_path / "page-1.png").convert("RGB")
    scale = 100 / 72
    x1, y1, x2, y2 = _field(attachment, "sig_attachment").placement.box
    box = (int(x1 * scale), int((A4[1] - y2) * scale), int(x2 * scale) + 1, int((A4[1] - y1) * scale) + 1)
    stamp = image.crop(box)
    dark = [p for p in _pixels(stamp) if sum(p) < 300]
    assert len(dark) > 100  # the text is there
    assert all(max(p) - min(p) < 40 for p in dark)  # black, not coloured
    right_of_stamp = image.crop((box[2] + 2, 0, image.width, box[3]))
    assert not [p for p in _pixels(right_of_stamp) if sum(p) < 600]  # nothing past the margin line


def test_copy_stamp_has_vietnamese_letters_spaced_right(plain_pdf, organisation_key, tmp_path):
    stamp = copy_stamp("SAO Y", "LIÊN ĐOÀN LAO ĐỘNG HUYỆN GIA LÂM")
    signed = sign_pdf(plain_pdf, organisation_key, field="sig_copy", appearance=stamp)
    words = _words(signed, tmp_path)
    line = " ".join(w[0] for w in words if w[4] > A4[1] - 20 * MM)
    assert "SAO Y" in line and "LIÊN ĐOÀN LAO ĐỘNG HUYỆN GIA LÂM" in line
    font = TrueTypeFont(LIBERATION_SERIF)
    by_text = {w[0]: w for w in words}
    for word in ("LIÊN", "ĐOÀN", "ĐỘNG", "HUYỆN"):
        _, wx1, _, wx2, _ = by_text[word]
        assert wx2 - wx1 == pytest.approx(font.text_width(word, 10), rel=0.03)


def test_text_stamp_sizes_its_box_from_the_font():
    stamp = TextStamp(("Số: 12/QĐ-UBND",), show_time=False)
    width, height = stamp.size(datetime.now(UTC))
    assert width == pytest.approx(TrueTypeFont(LIBERATION_SERIF).text_width("Số: 12/QĐ-UBND", 10))
    assert 10 < height < 12


# --- placement -------------------------------------------------------------------------------------------------

def test_signature_lands_between_title_and_name(plain_pdf, leader, signature_png):
    [title] = find_text_lines(plain_pdf, "CHỦ TỊCH")
    [name] = find_text_lines(plain_pdf, "Nguyễn Văn Hùng")
    placement = box_above_name(plain_pdf, "nguyễn  văn hùng")  # case and spacing do not matter
    assert placement.page == name.page == title.page == 0
    x1, y1, x2, y2 = placement.box
    assert y1 > name.box[3] and y2 < title.box[1]  # above the name, below the title
    assert (x1 + x2) / 2 == pytest.approx((name.box[0] + name.box[2]) / 2, abs=0.01)  # centred on the name
    signed = sign_pdf(plain_pdf, leader, image_png=signature_png, placement=placement)
    assert _field(signed, "sig_signer").placement == Placement(0, tuple(round(v, 3) for v in placement.box))
    image = drawn_image_box(PdfFileReader(io.BytesIO(signed)), "sig_signer")
    assert image is not None and image.box[1] > name.box[3] and image.box[3] < title.box[1]
    assert validate_pdf(signed, trust_roots=[leader.chain[-1]]).all_valid


def _signer_block(space_mm: float) -> bytes:
    """``SIGNER_BLOCK_HTML`` with ``space_mm`` between the title and the name instead of 30 mm."""
    from weasyprint import HTML

    from tests.signing.conftest import SIGNER_BLOCK_HTML

    html = SIGNER_BLOCK_HTML.replace(".space { height: 30mm; }", f".space {{ height: {space_mm}mm; }}")
    assert html != SIGNER_BLOCK_HTML
    return HTML(string=html).write_pdf()


def test_a_roomy_signer_block_gets_the_full_box(plain_pdf):
    placement = box_above_name(plain_pdf, "Nguyễn Văn Hùng")
    [name] = find_text_lines(plain_pdf, "Nguyễn Văn Hùng")
    assert placement.height == pytest.approx(22 * MM) and placement.width >= 50 * MM - 0.01
    assert placement.box[1] == pytest.approx(name.box[3] + 2 * MM)  # 2 mm above the name


def test_a_title_close_above_the_name_shrinks_the_box_between_them(leader, signature_png):
    """10 mm between title and name (the line boxes leave less): the box fits between them, 2 mm from each,
    with the proportions of the full box; the image drawn in it stays off the title."""
    pdf = _signer_block(10)
    [title] = find_text_lines(pdf, "CHỦ TỊCH")
    [name] = find_text_lines(pdf, "Nguyễn Văn Hùng")
    full = Placement(0, (0, 0, max(name.width, 50 * MM), 22 * MM))
    placement = box_above_name(pdf, "Nguyễn Văn Hùng")
    x1, y1, x2, y2 = placement.box
    assert y1 == pytest.approx(name.box[3] + 2 * MM) and y2 == pytest.approx(title.box[1] - 2 * MM)
    assert placement.height < 22 * MM - 5  # really shrunk, not merely nudged
    assert placement.width / placement.height == pytest.approx(full.width / full.height)
    assert (x1 + x2) / 2 == pytest.approx((name.box[0] + name.box[2]) / 2, abs=0.01)
    signed = sign_pdf(pdf, leader, image_png=signature_png, placement=placement)
    image = drawn_image_box(PdfFileReader(io.BytesIO(signed)), "sig_signer")
    assert image is not None and name.box[3] < image.box[1] and image.box[3] < title.box[1]
    # what the old rule gave, a 22 mm box from 2 pt above the name, reached into the title
    assert name.box[3] + 2 + 22 * MM > title.box[1]


def test_no_room_between_title_and_name(plain_pdf):
    with pytest.raises(PlacementNotFound, match="không đủ chỗ giữa chức danh và họ tên .*chọn vị trí ký"):
        box_above_name(_signer_block(0), "Nguyễn Văn Hùng")


def test_name_not_in_the_text(plain_pdf):
    with pytest.raises(PlacementNotFound, match="không tìm thấy họ tên “Trần Văn Không”"):
        box_above_name(plain_pdf, "Trần Văn Không")


def test_a_place_the_user_chose(plain_pdf, leader, signature_png):
    chosen = Placement.from_xywh(0, 100, 200, 150, 60)
    signed = sign_pdf(plain_pdf, leader, image_png=signature_png, placement=chosen, field="sig_chosen")
    assert _field(signed, "sig_chosen").placement == Placement(0, (100.0, 200.0, 250.0, 260.0))
    with pytest.raises(ValueError):
        Placement.from_xywh(0, 100, 200, 0, 60)


# --- the seal ---------------------------------------------------------------------------------------------------

def _png_with_dpi(size: tuple[int, int], dpi: int) -> bytes:
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    for x in range(size[0]):
        image.putpixel((x, size[1] // 2), (220, 20, 20, 255))
    out = io.BytesIO()
    image.save(out, "PNG", dpi=(dpi, dpi))
    return out.getvalue()


@pytest.mark.parametrize(("seal_png_kind", "seal_mm", "expected_mm"), [
    ("plain", None, SEAL_MM),  # no resolution in the PNG: the usual 36 mm
    ("plain", 40.0, 40.0),  # as the organisation says
    ("dpi", None, 425 / 300 * 25.4),  # from the PNG's own resolution (pHYs)
])
def test_seal_at_real_size_over_the_left_third_of_the_signers_image(plain_pdf, leader, organisation_key,
                                                                   signature_png, seal_png, seal_png_kind,
                                                                   seal_mm, expected_mm):
    # a field wider than the image's proportions: the image is drawn narrower than the field, centred,
    # so "a third into the image" and "a third into the field" are different places
    signed = sign_pdf(plain_pdf, leader, image_png=signature_png, placement=Placement(0, (320, 150, 570, 210)))
    image = drawn_image_box(PdfFileReader(io.BytesIO(signed)), "sig_signer")
    assert image is not None
    ix1, iy1, ix2, iy2 = image.box
    assert ix2 - ix1 < 250 and ix1 > 320 + 5
    png = seal_png if seal_png_kind == "plain" else _png_with_dpi((425, 425), 300)
    sealed = seal_pdf(signed, organisation_key, seal_png=png, seal_mm=seal_mm)
    x1, y1, x2, y2 = _field(sealed, "sig_seal").placement.box
    assert x2 - x1 == pytest.approx(expected_mm * MM, abs=0.01)
    assert y2 - y1 == pytest.approx(expected_mm * MM, abs=0.01)
    assert x2 == pytest.approx(ix1 + (ix2 - ix1) / 3, abs=0.01)
    assert (y1 + y2) / 2 == pytest.approx((iy1 + iy2) / 2, abs=0.01)
    assert SealImage(png, seal_mm).size_points() == pytest.approx((expected_mm * MM, expected_mm * MM), abs=0.01)
    report = validate_pdf(sealed, trust_roots=[leader.chain[-1]])
    assert report.all_valid and [s.field for s in report.signatures] == ["sig_signer", "sig_seal"]


def test_pyhankos_rounding_warning_is_dropped_and_a_real_overflow_kept(caplog):
    """A stretched image 102.00000000000001 pt wide in a 102 pt field is float noise (placed exactly as 102);
    130 in 102 is a real overflow and stays in the log."""
    log = logging.getLogger("pyhanko.pdf_utils.layout")
    with caplog.at_level(logging.WARNING, logger="pyhanko.pdf_utils.layout"):
        for inner in ("102.00000000000001", "130"):
            log.warning(f"Content box width/height {inner} is too wide for container size 102 with margins (0, 0); "
                        f"post_margin will be ignored")
    assert [r.getMessage().split()[3] for r in caplog.records] == ["130"]
