"""A ``DocumentSpec`` as HTML for WeasyPrint: the layout of Appendix I, Part I, IV (the positions of the
elements) with the sizes of its Part I, V (the model's own choice within each range)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from edoc.config import templates_folder
from edoc.rendering.dates import day_str, month_str, year_str
from edoc.rendering.metrics import UNIT_WORDS, balanced_lines, text_width
from edoc.rendering.spec import DocumentSpec
from signing.forms import DIGIT_HEIGHT, PADDING

TEMPLATES = templates_folder()
PT_PER_MM = 72 / 25.4

# Page and columns, mm. Margins: top/bottom 20-25, left 30-35, right 15-20 (Appendix I, I.3).
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT = 20.0, 20.0, 30.0, 15.0
TEXT_WIDTH = 210.0 - MARGIN_LEFT - MARGIN_RIGHT
LEFT_COLUMN = 65.0
"""Parent and issuing body, number, V/v: "SỞ LAO ĐỘNG - THƯƠNG BINH" at 12 pt bold is 64 mm."""
RIGHT_COLUMN = TEXT_WIDTH - LEFT_COLUMN
"""The national title at 12 pt bold is 88 mm; "Thành phố Hồ Chí Minh, ngày 29 tháng 12 năm 2019" at 13 pt 99 mm."""
SUMMARY_WIDTH = 140.0
"""The trích yếu is balanced on lines up to this wide, under the type name."""

# Sizes in points, each within the Decree's range, as its model (Part I, V) prints them.
SIZES = {"national": 12.0, "motto": 13.0, "parent": 12.0, "org": 12.0, "number": 13.0, "date": 13.0,
         "type": 14.0, "summary": 14.0, "vv": 12.0, "body": 14.0, "signer": 14.0, "recipients_label": 12.0,
         "recipients": 11.0, "drafter": 11.0, "page_number": 14.0, "marks": 13.0}
RULE_RATIO = 0.4
"""The rule under the issuing body and under the trích yếu: 1/3 to 1/2 of the text line; we take 2/5."""


@dataclass(frozen=True)
class FieldStyle:
    """How a fillable text field looks once filled: a standard PDF font (digits only, so no embedding), its
    size, alignment (0 left, 1 centre, 2 right), and the room it takes in the line."""

    font: str
    size: float
    align: int
    digits: int


TEXT_FIELDS = {
    # the number is right-aligned so that it closes up to "/KH-LĐLĐ" whatever its length; its room (3 digits
    # unless the spec asks for more) includes the space after "Số:", so a three-digit number reads "Số: 445/"
    "doc_number": FieldStyle("Times-Roman", SIZES["number"], 2, 3),
    "doc_day": FieldStyle("Times-Italic", SIZES["date"], 1, 2),
    "doc_month": FieldStyle("Times-Italic", SIZES["date"], 1, 2),
    "doc_year": FieldStyle("Times-Italic", SIZES["date"], 1, 4),
}
SIGNATURE_FIELD = "sig_signer"
COSIGNER_FIELD = "sig_cosigner"
"""The second signer's field (``DocumentSpec.cosigner``), signed first: the secretary before the chair."""
SIGNATURE_BOX_MM = (56.0, 28.0)
"""The signer's signature image goes here: between the title and the name, centred over the name."""
MARK_WIDTHS_MM = {"KHẨN": 20.0, "HỎA TỐC": 30.0, "THƯỢNG KHẨN": 40.0, "MẬT": 20.0, "TỐI MẬT": 30.0,
                  "TUYỆT MẬT": 40.0}
"""The stamps' frames, 8 mm tall (urgency: Appendix I, III.2.b; secrecy: the state-secrets rules' stamps)."""
FIELD_HEIGHT_EM = 1.1
FIELD_BASELINE_EM = (FIELD_HEIGHT_EM - DIGIT_HEIGHT) / 2
"""The filled digits are centred vertically in the field box; lowering the box by this much puts them on the
line's baseline."""


@dataclass(frozen=True)
class Lines:
    lines: list[str]
    rule_mm: float
    """Length of the rule under the lines, 0 for none."""


def _lines(text: str, size: float, width_mm: float, *, bold: bool, units: bool = False, rule: bool = False) -> Lines:
    lines = balanced_lines(text, size, width_mm * PT_PER_MM, bold=bold,
                           prefer_breaks_before=UNIT_WORDS if units else ())
    longest = max((text_width(line, size, bold=bold) for line in lines), default=0.0) / PT_PER_MM
    return Lines(lines, round(longest * RULE_RATIO, 1) if rule else 0.0)


@functools.cache
def environment() -> Environment:
    return Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]),
                       trim_blocks=True, lstrip_blocks=True, auto_reload=False)


SPACE_EM = 0.25
"""A Times space, in em."""


def _field_width_mm(name: str, digits: int | None = None) -> float:
    """As wide as the digits it will hold (Times digits are half an em), so the filled line reads as if typed:
    the day (always two digits) and the year exactly; the month two digits (1-9 but 01, 02 print one or two, the
    only slack left, a quarter em each side of "4"); the number its digits, the space before it and the
    right-aligned value's padding."""
    style = TEXT_FIELDS[name]
    count = digits or style.digits
    width = count * 0.5 * style.size + 0.5
    if name == "doc_number":
        width = SPACE_EM * style.size + count * 0.5 * style.size + PADDING
    return round(width / PT_PER_MM, 2)


def render_html(spec: DocumentSpec) -> str:
    column = LEFT_COLUMN
    context = {
        "spec": spec,
        "sizes": SIZES,
        "page": {"top": MARGIN_TOP, "bottom": MARGIN_BOTTOM, "left": MARGIN_LEFT, "right": MARGIN_RIGHT,
                 "left_column": LEFT_COLUMN, "right_column": RIGHT_COLUMN},
        "parent": _lines(spec.parent_body, SIZES["parent"], column, bold=False, units=True),
        "org": _lines(spec.issuing_body, SIZES["org"], column, bold=True, units=True, rule=True),
        "summary": _lines(spec.summary, SIZES["summary"], SUMMARY_WIDTH, bold=True, rule=True),
        "vv": _lines(f"V/v {spec.summary}", SIZES["vv"], column, bold=False),
        "marks": [(mark, MARK_WIDTHS_MM[mark]) for mark in (spec.secrecy, spec.urgency) if mark],
        "day": day_str(spec.date) if spec.date else None,
        "month": month_str(spec.date) if spec.date else None,
        "year": year_str(spec.date) if spec.date else None,
        "fields": {name: _field_width_mm(name, spec.number_digits if name == "doc_number" else None)
                   for name in TEXT_FIELDS},
        "field_height_em": FIELD_HEIGHT_EM,
        "field_baseline_em": round(FIELD_BASELINE_EM, 4),
        "signature": {"id": SIGNATURE_FIELD, "width": SIGNATURE_BOX_MM[0], "height": SIGNATURE_BOX_MM[1]},
        "cosignature": {"id": COSIGNER_FIELD},
    }
    css = environment().get_template("render/document.css").render(**context)
    return environment().get_template("render/document.html").render(css=Markup(css), **context)
