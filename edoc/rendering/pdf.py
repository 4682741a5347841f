"""HTML → PDF with WeasyPrint, then the placeholders turned into form fields (``signing.forms``)."""

from __future__ import annotations

import functools
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from edoc.rendering.html import COSIGNER_FIELD, SIGNATURE_FIELD, TEMPLATES, TEXT_FIELDS, render_html
from edoc.rendering.spec import DocumentSpec
from signing.forms import FieldBox, SigFieldSpec, TextFieldSpec, add_fields, field_boxes

if TYPE_CHECKING:
    from weasyprint.document import Document

PX_TO_PT = 0.75
"""WeasyPrint lays out in CSS px (1/96 in); PDF user space is in points (1/72 in)."""


@dataclass(frozen=True)
class RenderedDocument:
    pdf: bytes
    pages: int
    fields: dict[str, FieldBox]
    """Every field left in the PDF: ``doc_number`` (when the number is None), ``doc_day``, ``doc_month``,
    ``doc_year`` (when the date is None), always ``sig_signer``, and ``sig_cosigner`` with a cosigner;
    page (0-based) and box in PDF points."""


def render_pdf(spec: DocumentSpec) -> RenderedDocument:
    document = render_document(spec)
    text_fields: list[TextFieldSpec] = []
    signature_fields: list[SigFieldSpec] = []
    for index, page in enumerate(document.pages):
        height_pt = page.height * PX_TO_PT
        for name, (x1, y1, x2, y2) in page.anchors.items():
            # CSS px from the top left → PDF points from the bottom left
            box = (x1 * PX_TO_PT, height_pt - y2 * PX_TO_PT, x2 * PX_TO_PT, height_pt - y1 * PX_TO_PT)
            if name in TEXT_FIELDS:
                style = TEXT_FIELDS[name]
                text_fields.append(TextFieldSpec(name, index, box, style.font, style.size, style.align))
            elif name in (SIGNATURE_FIELD, COSIGNER_FIELD):
                signature_fields.append(SigFieldSpec(name, index, box))
    pdf = add_fields(document.write_pdf(), text_fields, signature_fields)
    return RenderedDocument(pdf=pdf, pages=len(document.pages), fields=field_boxes(pdf))


def render_document(spec: DocumentSpec) -> Document:
    """The laid-out WeasyPrint document (pages, anchors), before any field is added."""
    from weasyprint import HTML  # imported here: WeasyPrint takes a while to import and most requests never render

    return HTML(string=render_html(spec), base_url=str(TEMPLATES)).render()


_FACES = [("normal", "normal", "Regular", ""), ("bold", "normal", "Bold", " Bold"),
          ("normal", "italic", "Italic", " Italic"), ("bold", "italic", "Bold Italic", " Bold Italic")]


@functools.cache
def font_faces() -> str:
    """@font-face rules for a family "Decree Serif" (Times New Roman, else Liberation Serif), for other printouts
    of the app (the registers) that want the document font under one name. Documents themselves simply ask for
    "Times New Roman", which fontconfig resolves to Liberation Serif where it is not installed."""
    rules = []
    for weight, style, liberation_style, tnr_suffix in _FACES:
        # fontconfig answers every query with its best match, so a bare local() could quietly take DejaVu
        has_tnr = "Times New Roman" in _fc_match("%{family}", f"Times New Roman:style={liberation_style}")
        sources = [f'local("Times New Roman{tnr_suffix}")'] if has_tnr else []
        path = _fc_match("%{file}", f"Liberation Serif:style={liberation_style}")
        if path and "LiberationSerif" in Path(path).name:
            sources.append(f'url("{Path(path).as_uri()}")')
        if sources:
            rules.append(f'@font-face {{ font-family: "Decree Serif"; font-weight: {weight}; font-style: {style}; '
                         f'src: {", ".join(sources)}; }}')
    return "\n".join(rules)


def _fc_match(fmt: str, pattern: str) -> str:
    try:
        return subprocess.run(["fc-match", "-f", fmt, pattern], capture_output=True, text=True,
                              timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""
