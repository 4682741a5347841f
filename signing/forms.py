"""Form fields in PDFs: empty text and signature fields placed by a renderer, text fields filled in later.

The order in the office is sign first, number later: the leader signs the approved draft, then the clerk gives it
its number and date at issue. So ``fill_text_fields`` writes only an incremental update (the value and an
appearance for each field), which a signature made before it survives and which pyHanko's difference analysis
classes as form filling.

Values are drawn in the standard PDF Type 1 fonts (Times-Roman, Times-Italic, Times-Bold, Helvetica, Courier):
nothing to embed, and their widths are known here, which is enough for what goes in these fields (numbers and
dates: digits and a little punctuation). Vietnamese letters are not in their encoding; such a value is refused.

Stand-alone: pyHanko only, no Flask, no edoc.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name, pdf_string
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.rw_common import PdfHandler
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign.fields import SigFieldSpec as _PyHankoSigFieldSpec
from pyhanko.sign.fields import append_signature_field

Box = tuple[float, float, float, float]
"""(x1, y1, x2, y2) in PDF points, origin at the bottom left of the page."""

DIGIT_HEIGHT = 0.676
"""Height of the digits in the Times fonts, in em: values are centred vertically on it, so a renderer that
wants the digits on its text baseline places the box (height - DIGIT_HEIGHT) / 2 em below the baseline."""
PADDING = 1.0
"""Points between a left- or right-aligned value and the box edge."""

# Advance widths in 1/1000 em (Adobe's AFM files for the standard fonts), for the characters a number or a
# date needs.
_DIGITS = "0123456789"
_WIDTHS: dict[str, dict[str, int]] = {
    "Times-Roman": {**dict.fromkeys(_DIGITS, 500), " ": 250, "/": 278, "-": 333, ".": 250, ",": 250, ":": 278,
                    "(": 333, ")": 333},
    "Times-Italic": {**dict.fromkeys(_DIGITS, 500), " ": 250, "/": 278, "-": 333, ".": 250, ",": 250, ":": 333,
                     "(": 333, ")": 333},
    "Times-Bold": {**dict.fromkeys(_DIGITS, 500), " ": 250, "/": 278, "-": 333, ".": 250, ",": 250, ":": 333,
                   "(": 333, ")": 333},
    "Helvetica": {**dict.fromkeys(_DIGITS, 556), " ": 278, "/": 278, "-": 333, ".": 278, ",": 278, ":": 278,
                  "(": 333, ")": 333},
    "Courier": dict.fromkeys(_DIGITS + " /-.,:()", 600),
}
FONT_KEYS = {"Times-Roman": "TiRo", "Times-Italic": "TiIt", "Times-Bold": "TiBo", "Helvetica": "Helv",
             "Courier": "Cour"}
"""Resource names, the ones Acrobat uses for these fonts."""
ALIGN_LEFT, ALIGN_CENTRE, ALIGN_RIGHT = 0, 1, 2


class FormError(ValueError):
    """No such field, not a text field, or a value that cannot be written into it."""


@dataclass(frozen=True)
class TextFieldSpec:
    name: str
    page: int
    """0-based page index."""
    box: Box
    font: str = "Times-Roman"
    """One of ``FONT_KEYS``: the font of the value once filled (the field's /DA)."""
    size: float = 13.0
    align: int = ALIGN_CENTRE
    """0 left, 1 centre, 2 right (the field's /Q)."""


@dataclass(frozen=True)
class SigFieldSpec:
    name: str
    page: int
    box: Box


class FieldBox(NamedTuple):
    """Where a field is: ``page, (x1, y1, x2, y2) = boxes[name]`` or ``boxes[name].page``."""

    page: int
    box: Box


# --- adding fields -------------------------------------------------------------------------------------------

def _font_dict(font: str) -> generic.DictionaryObject:
    entries = {pdf_name("/Type"): pdf_name("/Font"), pdf_name("/Subtype"): pdf_name("/Type1"),
               pdf_name("/BaseFont"): pdf_name(f"/{font}")}
    if font != "Courier":
        entries[pdf_name("/Encoding")] = pdf_name("/WinAnsiEncoding")
    return generic.DictionaryObject(entries)


def _rect(box: Box) -> generic.ArrayObject:
    x1, y1, x2, y2 = box
    if x2 <= x1 or y2 <= y1:
        raise FormError(f"empty field box {box}")
    return generic.ArrayObject(generic.FloatObject(round(v, 3)) for v in box)


def _acroform(writer: BasePdfFileWriter) -> generic.DictionaryObject:
    root = writer.root
    if "/AcroForm" not in root:
        root[pdf_name("/AcroForm")] = writer.add_object(generic.DictionaryObject({
            pdf_name("/Fields"): generic.ArrayObject()}))
        writer.update_root()
    form: generic.DictionaryObject = root["/AcroForm"]
    return form


def _default_resources(writer: BasePdfFileWriter, form: generic.DictionaryObject,
                       needed: set[str]) -> generic.DictionaryObject:
    """The form's /DR fonts, with the standard fonts the new fields need added once, as indirect objects that
    every appearance stream then points to (so filling adds nothing but the appearance itself)."""
    resources = form.get("/DR")
    if resources is None:
        resources = generic.DictionaryObject()
        form[pdf_name("/DR")] = resources
    resources = resources.get_object()
    fonts = resources.get("/Font")
    if fonts is None:
        fonts = generic.DictionaryObject()
        resources[pdf_name("/Font")] = fonts
    fonts = fonts.get_object()
    for font, key in FONT_KEYS.items():
        if font in needed and f"/{key}" not in fonts:
            fonts[pdf_name(f"/{key}")] = writer.add_object(_font_dict(font))
    if "/DA" not in form:
        form[pdf_name("/DA")] = pdf_string("/TiRo 13 Tf 0 g")
    return fonts


def _appearance(writer: BasePdfFileWriter, width: float, height: float, content: bytes,
                font: tuple[str, generic.PdfObject] | None = None) -> generic.IndirectObject:
    resources = generic.DictionaryObject()
    if font is not None:
        key, font_ref = font
        resources[pdf_name("/Font")] = generic.DictionaryObject({pdf_name(f"/{key}"): font_ref})
    stream = generic.StreamObject({
        pdf_name("/Type"): pdf_name("/XObject"), pdf_name("/Subtype"): pdf_name("/Form"),
        pdf_name("/BBox"): generic.ArrayObject(generic.FloatObject(round(v, 3)) for v in (0, 0, width, height)),
        pdf_name("/Resources"): resources,
    }, stream_data=content)
    return writer.add_object(stream)


def _add_text_fields(writer: BasePdfFileWriter, text_fields: list[TextFieldSpec]) -> None:
    if not text_fields:
        return
    for spec in text_fields:
        if spec.font not in FONT_KEYS:
            raise FormError(f"unsupported field font {spec.font}: one of {', '.join(FONT_KEYS)}")
    form = _acroform(writer)
    _default_resources(writer, form, {spec.font for spec in text_fields})
    fields = form.get("/Fields")
    if fields is None:
        fields = generic.ArrayObject()
        form[pdf_name("/Fields")] = fields
    fields = fields.get_object()
    existing = set(_field_widgets(form))
    for spec in text_fields:
        if spec.name in existing or "." in spec.name:
            raise FormError(f"field name {spec.name!r} already used or not a plain name")
        existing.add(spec.name)
        key = FONT_KEYS[spec.font]
        page_ref = writer.find_page_for_modification(spec.page)[0]
        x1, y1, x2, y2 = spec.box
        widget = generic.DictionaryObject({
            pdf_name("/Type"): pdf_name("/Annot"), pdf_name("/Subtype"): pdf_name("/Widget"),
            pdf_name("/FT"): pdf_name("/Tx"), pdf_name("/T"): pdf_string(spec.name),
            pdf_name("/Rect"): _rect(spec.box), pdf_name("/F"): generic.NumberObject(4),  # printable
            pdf_name("/Q"): generic.NumberObject(spec.align),
            pdf_name("/DA"): pdf_string(f"/{key} {spec.size:g} Tf 0 g"), pdf_name("/P"): page_ref,
        })
        # an empty appearance, so that no viewer invents one before the field is filled
        widget[pdf_name("/AP")] = generic.DictionaryObject({pdf_name("/N"): _appearance(
            writer, x2 - x1, y2 - y1, b"/Tx BMC EMC")})
        ref = writer.add_object(widget)
        page = page_ref.get_object()
        annots = page.get("/Annots")
        if annots is None:
            page[pdf_name("/Annots")] = generic.ArrayObject([ref])
        else:
            annots.get_object().append(ref)
            if isinstance(page.raw_get("/Annots"), generic.IndirectObject):
                writer.update_container(annots.get_object())
        writer.update_container(page)
        fields.append(ref)
    writer.update_container(form)


def add_fields(pdf: bytes, text_fields: list[TextFieldSpec], signature_fields: list[SigFieldSpec]) -> bytes:
    """Add empty text fields and empty signature fields to an unsigned PDF, in one update appended to it.

    Appended rather than rewritten: the renderer's file (compact, its objects in compressed object streams)
    stays as it is, and the update is a few hundred bytes. Nothing is signed yet, so this first update is simply
    part of what the first signature covers. A PDF that already carries a signature is refused: fields belong
    to the document as drafted, not to an update after someone signed it."""
    reader = _reader(pdf)
    if reader.embedded_signatures:
        raise FormError("the PDF is already signed: fields can no longer be added")
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    _add_text_fields(writer, text_fields)
    for spec in signature_fields:
        if spec.name in field_names_in(writer):
            raise FormError(f"field name {spec.name!r} already used")
        append_signature_field(writer, _PyHankoSigFieldSpec(
            sig_field_name=spec.name, on_page=spec.page, box=tuple(round(v, 3) for v in spec.box)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def add_text_field(pdf: bytes, name: str, page: int, box: Box, *, font: str = "Times-Roman", size: float = 13.0,
                   align: int = ALIGN_CENTRE) -> bytes:
    """One empty text field (see ``add_fields``)."""
    return add_fields(pdf, [TextFieldSpec(name, page, box, font, size, align)], [])


def add_signature_field(pdf: bytes, name: str, page: int, box: Box) -> bytes:
    """One empty signature field (see ``add_fields``)."""
    return add_fields(pdf, [], [SigFieldSpec(name, page, box)])


# --- reading fields ------------------------------------------------------------------------------------------

def _reader(pdf: bytes) -> PdfFileReader:
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        _ = reader.root["/Pages"]
    except (PdfError, KeyError, ValueError, TypeError, IndexError) as exc:
        raise FormError(f"not a readable PDF ({type(exc).__name__}: {exc})") from None
    if reader.encrypted:
        raise FormError("the PDF is encrypted")
    return reader


def _walk(refs: generic.PdfObject, prefix: str) -> Iterator[tuple[str, generic.DictionaryObject,
                                                                   list[generic.PdfObject]]]:
    """(full name, field dictionary, widget references) for every terminal field."""
    for ref in refs.get_object() if refs is not None else []:
        field = ref.get_object()
        partial = str(field["/T"]) if "/T" in field else ""
        name = f"{prefix}.{partial}" if prefix and partial else (partial or prefix)
        kids = field.get("/Kids")
        kid_fields = [k for k in kids.get_object()] if kids is not None else []
        if kid_fields and any("/T" in k.get_object() for k in kid_fields):
            yield from _walk(kids, name)
        elif kid_fields:  # terminal field whose widgets are separate annotations
            yield name, field, kid_fields
        else:  # field and widget merged
            yield name, field, [ref]


def _refs_of(refs: generic.PdfObject, prefix: str) -> Iterator[tuple[str, list[generic.Reference]]]:
    """(full name, references) for every terminal field: its dictionary, its widgets and their appearance
    streams (an appearance can be rewritten in place, with the field's dictionary left alone)."""
    for ref in refs.get_object() if refs is not None else []:
        field = ref.get_object()
        partial = str(field["/T"]) if "/T" in field else ""
        name = f"{prefix}.{partial}" if prefix and partial else (partial or prefix)
        kids = field.get("/Kids")
        kid_refs = list(kids.get_object()) if kids is not None else []
        if kid_refs and any("/T" in k.get_object() for k in kid_refs):
            yield from _refs_of(kids, name)
            continue
        found = [ref.reference] if isinstance(ref, generic.IndirectObject) else []
        for widget_ref in kid_refs or [ref]:
            widget = widget_ref.get_object()
            if isinstance(widget_ref, generic.IndirectObject):
                found.append(widget_ref.reference)
            appearance = widget.get("/AP")
            states = appearance.get_object() if appearance is not None else generic.DictionaryObject()
            for key in ("/N", "/R", "/D"):
                stream = states.raw_get(key) if key in states else None
                if isinstance(stream, generic.IndirectObject):
                    found.append(stream.reference)
        yield name, found


def fields_changed_after(reader: PdfFileReader, revision: int) -> set[str]:
    """Full names of the fields written in a revision after ``revision``: filled, re-drawn or created since.
    pyHanko's difference analysis names every field it would have to trust (even one it found untouched);
    this is what really changed."""
    form = reader.root.get("/AcroForm")
    if form is None:
        return set()
    changed: set[str] = set()
    for name, refs in _refs_of(form.get_object().get("/Fields"), ""):
        for ref in refs:
            try:
                if reader.xrefs.get_last_change(ref) > revision:
                    changed.add(name)
                    break
            except (KeyError, ValueError, AttributeError):
                continue
    return changed


def _field_widgets(form: generic.DictionaryObject) -> dict[str, tuple[generic.DictionaryObject,
                                                                      list[generic.PdfObject]]]:
    return {name: (field, widgets) for name, field, widgets in _walk(form.get("/Fields"), "")}


def field_names_in(handler: PdfHandler) -> set[str]:
    form = handler.root.get("/AcroForm")
    return set(_field_widgets(form.get_object())) if form is not None else set()


def _page_of(handler: PdfHandler) -> dict[int, int]:
    """Object number of each annotation → 0-based index of its page."""
    result: dict[int, int] = {}
    count = int(handler.root["/Pages"]["/Count"])
    for index in range(count):
        page = handler.find_page_for_modification(index)[0].get_object()
        for annot in page.get("/Annots", generic.ArrayObject()) or []:
            if isinstance(annot, generic.IndirectObject):
                result.setdefault(annot.idnum, index)
    return result


def field_boxes(pdf: bytes) -> dict[str, FieldBox]:
    """Every field's page (0-based) and rectangle, by full name; a field with several widgets gives its first.
    An unreadable PDF has no fields."""
    try:
        reader = _reader(pdf)
    except FormError:
        return {}
    form = reader.root.get("/AcroForm")
    if form is None:
        return {}
    pages = _page_of(reader)
    result: dict[str, FieldBox] = {}
    for name, (_field, widgets) in _field_widgets(form.get_object()).items():
        if not widgets:
            continue
        ref = widgets[0]
        widget = ref.get_object()
        if "/Rect" not in widget:
            continue
        x1, y1, x2, y2 = (float(v) for v in widget["/Rect"])
        page = pages.get(ref.idnum, 0) if isinstance(ref, generic.IndirectObject) else 0
        result[name] = FieldBox(page, (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)))
    return result


# --- filling text fields -------------------------------------------------------------------------------------

_DA = re.compile(r"/(\S+)\s+([\d.]+)\s+Tf")


def _escape(text: str) -> bytes:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("latin-1")


def _draw(field: generic.DictionaryObject, widget: generic.DictionaryObject, text: str,
          fonts: generic.DictionaryObject) -> tuple[str, bytes, float, float]:
    """(font key, content stream, width, height) of the appearance of ``text`` in ``widget``."""
    da = str(widget.get("/DA", field.get("/DA", "/TiRo 13 Tf 0 g")))
    match = _DA.search(da)
    if match is None:
        raise FormError(f"field has no usable font in its /DA ({da!r})")
    key, size = match.group(1), float(match.group(2))
    font_ref = fonts.raw_get(f"/{key}") if f"/{key}" in fonts else None
    base_font = str(font_ref.get_object().get("/BaseFont", ""))[1:] if font_ref is not None else ""
    if base_font not in _WIDTHS:
        raise FormError(f"field font /{key} ({base_font or 'not in /DR'}) is not a standard font we can draw")
    widths = _WIDTHS[base_font]
    unknown = sorted({c for c in text if c not in widths})
    if unknown:
        raise FormError(f"{text!r}: only digits, spaces and / - . , : ( ) can be written into these fields")
    x1, y1, x2, y2 = (float(v) for v in widget["/Rect"])
    width, height = abs(x2 - x1), abs(y2 - y1)
    text_width = sum(widths[c] for c in text) * size / 1000
    align = int(widget.get("/Q", field.get("/Q", ALIGN_LEFT)))
    if align == ALIGN_CENTRE:
        x = (width - text_width) / 2
    elif align == ALIGN_RIGHT:
        x = width - PADDING - text_width
    else:
        x = PADDING
    y = (height - DIGIT_HEIGHT * size) / 2
    colour = da[match.end():].strip() or "0 g"
    content = (f"/Tx BMC q BT /{key} {size:g} Tf {colour} {x:.3f} {y:.3f} Td (".encode() + _escape(text)
               + b") Tj ET Q EMC")
    return key, content, width, height


def fill_text_fields(pdf: bytes, values: dict[str, str]) -> bytes:
    """Write ``values`` into the named text fields, each with its /V and a normal appearance in the font, size
    and alignment the field declares, in one incremental update appended to ``pdf`` (which is left byte for
    byte as it was, so its signatures stay valid)."""
    if not values:
        return pdf
    _reader(pdf)  # refuses an encrypted or unreadable file with a FormError
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    form_ref = writer.root.get("/AcroForm")
    if form_ref is None:
        raise FormError("the PDF has no form fields")
    form = form_ref.get_object()
    fields = _field_widgets(form)
    fonts = form.get("/DR", generic.DictionaryObject()).get_object().get("/Font", generic.DictionaryObject())
    fonts = fonts.get_object()
    for name, value in values.items():
        if name not in fields:
            raise FormError(f"the PDF has no field named {name!r}")
        field, widgets = fields[name]
        if field.get("/FT") != "/Tx":
            raise FormError(f"{name!r} is not a text field")
        if int(field.get("/Ff", 0)) & 1:
            raise FormError(f"{name!r} is read-only")
        field[pdf_name("/V")] = pdf_string(value)
        writer.update_container(field)
        for ref in widgets:
            widget = ref.get_object()
            key, content, width, height = _draw(field, widget, value, fonts)
            widget[pdf_name("/AP")] = generic.DictionaryObject({pdf_name("/N"): _appearance(
                writer, width, height, content, (key, fonts.raw_get(f"/{key}")))})
            writer.update_container(widget)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
