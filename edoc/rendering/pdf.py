"""HTML → PDF with WeasyPrint, then the placeholders turned into form fields (``signing.forms``)."""

from __future__ import annotations

import functools
import subprocess
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from edoc.rendering.body import parse
from edoc.rendering.dates import date_line, number_str
from edoc.rendering.spec import DocumentSpec
from signing.forms import FieldBox, SigFieldSpec, TextFieldSpec, add_fields

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
_env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]))
PX_TO_PT = 0.75  # WeasyPrint lays out in CSS px (1/96 in); PDF user space is in points (1/72 in)

# The digits go into the standard Type 1 fonts (no embedding needed): upright for the number, italic for the
# date line, as the Decree prints them.
TEXT_FIELDS = {"doc_number": ("Times-Roman", 13.0), "doc_day": ("Times-Italic", 14.0),
               "doc_month": ("Times-Italic", 14.0), "doc_year": ("Times-Italic", 14.0)}
SIGNATURE_FIELDS = ("sig_signer",)


@dataclass(frozen=True)
class RenderedDocument:
    pdf: bytes
    pages: int
    fields: dict[str, FieldBox]


_FACES = [("normal", "normal", "Regular", ""), ("bold", "normal", "Bold", " Bold"),
          ("normal", "italic", "Italic", " Italic"), ("bold", "italic", "Bold Italic", " Bold Italic")]


@functools.cache
def font_faces() -> str:
    """@font-face rules for the family "Decree Serif": Times New Roman where installed, else Liberation Serif
    (same metrics, every Vietnamese letter), found through fontconfig. Naming the faces avoids Pango's
    substitution, which picked DejaVu Serif (wider) for "Times New Roman" on Debian."""
    rules = []
    for weight, style, liberation_style, tnr_suffix in _FACES:
        # fontconfig answers every query with its best match, so local() would quietly take DejaVu: ask first.
        has_tnr = "Times New Roman" in _fc_match("%{family}", f"Times New Roman:style={liberation_style}")
        sources = [f'local("Times New Roman{tnr_suffix}")'] if has_tnr else []
        path = _fc_match("%{file}", f"Liberation Serif:style={liberation_style}")
        if path and "LiberationSerif" in Path(path).name:
            sources.append(f'url("{Path(path).as_uri()}")')
        if not sources:
            continue
        rules.append(f'@font-face {{ font-family: "Decree Serif"; font-weight: {weight}; font-style: {style}; '
                     f'src: {", ".join(sources)}; }}')
    return "\n".join(rules)


def _fc_match(fmt: str, pattern: str) -> str:
    try:
        return subprocess.run(["fc-match", "-f", fmt, pattern], capture_output=True, text=True,
                              timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def render_html(spec: DocumentSpec) -> str:
    css = font_faces() + "\n" + (TEMPLATES / "render" / "document.css").read_text(encoding="utf-8")
    return _env.get_template("render/document.html").render(
        spec=spec, css=Markup(css), paragraphs=parse(spec.body),  # our own stylesheet, not user text
        number=number_str(spec.number) if spec.number is not None else None,
        date_line=date_line(spec.place, spec.date) if spec.date is not None else None)


def render_pdf(spec: DocumentSpec) -> RenderedDocument:
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    # Without a font configuration WeasyPrint ignores @font-face rules.
    document = HTML(string=render_html(spec), base_url=str(TEMPLATES)).render(font_config=FontConfiguration())
    text_fields: list[TextFieldSpec] = []
    sig_fields: list[SigFieldSpec] = []
    for index, page in enumerate(document.pages):
        page_height_pt = page.height * PX_TO_PT
        for name, (x1, y1, x2, y2) in page.anchors.items():
            box = (x1 * PX_TO_PT, page_height_pt - y2 * PX_TO_PT, x2 * PX_TO_PT, page_height_pt - y1 * PX_TO_PT)
            if name in TEXT_FIELDS:
                font, size = TEXT_FIELDS[name]
                text_fields.append(TextFieldSpec(name=name, page=index, box=box, font=font, size=size))
            elif name in SIGNATURE_FIELDS:
                sig_fields.append(SigFieldSpec(name=name, page=index, box=box))
    pdf = document.write_pdf()
    if text_fields or sig_fields:
        pdf = add_fields(pdf, text_fields, sig_fields)
    boxes = {f.name: FieldBox(f.page, f.box) for f in [*text_fields, *sig_fields]}
    return RenderedDocument(pdf=pdf, pages=len(document.pages), fields=boxes)
