"""Form fields in PDFs: empty text and signature fields left by the renderer, and text fields filled later in
an incremental update, so a signature made before the filling stays valid (pyHanko's difference analysis
classes such an update as form filling).

Stand-alone: pyHanko only, no Flask, no database.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name, pdf_string
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import SigFieldSpec as _PyHankoSigFieldSpec
from pyhanko.sign.fields import append_signature_field

Box = tuple[float, float, float, float]
"""(x1, y1, x2, y2) in PDF points, origin bottom left."""

# Widths of the digits and the few characters a number or date needs, in 1/1000 em (Adobe's AFM metrics for
# the standard Times fonts): enough to centre the text without embedding a font.
_TIMES_WIDTHS = {**dict.fromkeys("0123456789", 500), "/": 278, "-": 333, ".": 250, " ": 250}
_FONT_KEYS = {"Times-Roman": "/TiRo", "Times-Italic": "/TiIt", "Times-Bold": "/TiBo"}


@dataclass(frozen=True)
class TextFieldSpec:
    name: str
    page: int
    box: Box
    font: str = "Times-Roman"
    size: float = 13.0


@dataclass(frozen=True)
class SigFieldSpec:
    name: str
    page: int
    box: Box


@dataclass(frozen=True)
class FieldBox:
    page: int
    box: Box


class FormError(ValueError):
    """The PDF has no such field, or a value cannot be written into it."""


def _font_resource(font: str) -> generic.DictionaryObject:
    return generic.DictionaryObject({
        pdf_name("/Type"): pdf_name("/Font"), pdf_name("/Subtype"): pdf_name("/Type1"),
        pdf_name("/BaseFont"): pdf_name(f"/{font}"), pdf_name("/Encoding"): pdf_name("/WinAnsiEncoding")})


def _acroform(writer: IncrementalPdfFileWriter) -> generic.DictionaryObject:
    root = writer.root
    if "/AcroForm" not in root:
        form = generic.DictionaryObject({pdf_name("/Fields"): generic.ArrayObject()})
        root[pdf_name("/AcroForm")] = writer.add_object(form)
        writer.update_root()
    form = root["/AcroForm"]
    return form  # type: ignore[no-any-return]


def add_fields(pdf: bytes, text_fields: list[TextFieldSpec], signature_fields: list[SigFieldSpec]) -> bytes:
    """Add empty text fields (no value, no appearance: nothing is printed until filled) and empty signature
    fields, in one incremental update."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    form = _acroform(writer)
    fonts = generic.DictionaryObject({pdf_name(_FONT_KEYS[f]): writer.add_object(_font_resource(f))
                                      for f in _FONT_KEYS})
    form[pdf_name("/DR")] = generic.DictionaryObject({pdf_name("/Font"): fonts})
    form[pdf_name("/DA")] = pdf_string("/TiRo 13 Tf 0 g")
    fields = form.setdefault(pdf_name("/Fields"), generic.ArrayObject())
    for spec in text_fields:
        if spec.font not in _FONT_KEYS:
            raise FormError(f"unsupported field font {spec.font}")
        page_ref = writer.find_page_for_modification(spec.page)[0]
        page = page_ref.get_object()
        widget = generic.DictionaryObject({
            pdf_name("/Type"): pdf_name("/Annot"), pdf_name("/Subtype"): pdf_name("/Widget"),
            pdf_name("/FT"): pdf_name("/Tx"), pdf_name("/T"): pdf_string(spec.name),
            pdf_name("/Rect"): generic.ArrayObject(generic.FloatObject(round(v, 2)) for v in spec.box),
            pdf_name("/F"): generic.NumberObject(4), pdf_name("/Q"): generic.NumberObject(1),
            pdf_name("/DA"): pdf_string(f"{_FONT_KEYS[spec.font]} {spec.size:g} Tf 0 g"),
            pdf_name("/P"): page_ref,
        })
        ref = writer.add_object(widget)
        annots = page.get("/Annots")
        if annots is None:
            page[pdf_name("/Annots")] = generic.ArrayObject([ref])
        else:
            annots.get_object().append(ref)
        writer.update_container(page)
        fields.append(ref)
    writer.update_container(form)
    for spec in signature_fields:
        append_signature_field(writer, _PyHankoSigFieldSpec(sig_field_name=spec.name, on_page=spec.page,
                                                            box=tuple(round(v, 2) for v in spec.box)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _fields_by_name(form: generic.DictionaryObject) -> dict[str, generic.IndirectObject]:
    found: dict[str, generic.IndirectObject] = {}
    for ref in form.get("/Fields", []):
        field = ref.get_object()
        if "/T" in field:
            found[str(field["/T"])] = ref
    return found


def field_boxes(pdf: bytes) -> dict[str, FieldBox]:
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    form = reader.root.get("/AcroForm")
    if form is None:
        return {}
    pages = [reader.find_page_for_modification(i)[0].idnum for i in range(int(reader.root["/Pages"]["/Count"]))]
    result = {}
    for name, ref in _fields_by_name(form.get_object()).items():
        field = ref.get_object()
        page_ref = field.get_value_as_reference("/P") if "/P" in field else None
        page = pages.index(page_ref.idnum) if page_ref is not None and page_ref.idnum in pages else 0
        x1, y1, x2, y2 = (float(v) for v in field["/Rect"])
        result[name] = FieldBox(page, (x1, y1, x2, y2))
    return result


def _appearance(writer: IncrementalPdfFileWriter, field: generic.DictionaryObject, text: str
                ) -> generic.IndirectObject:
    x1, y1, x2, y2 = (float(v) for v in field["/Rect"])
    width, height = x2 - x1, y2 - y1
    da = str(field.get("/DA", "/TiRo 13 Tf 0 g")).split()
    font_key, size = da[0], float(da[1])
    font = next(f for f, k in _FONT_KEYS.items() if k == font_key)
    if any(ch not in _TIMES_WIDTHS for ch in text):
        raise FormError(f"field values are limited to digits and / - . (got {text!r})")
    text_width = sum(_TIMES_WIDTHS[ch] for ch in text) * size / 1000
    x = max((width - text_width) / 2, 0)
    y = (height - size * 0.66) / 2  # centre the digits' cap height in the box
    content = f"/Tx BMC q BT {font_key} {size:g} Tf 0 g {x:.2f} {y:.2f} Td ({text}) Tj ET Q EMC".encode()
    stream = generic.StreamObject({
        pdf_name("/Type"): pdf_name("/XObject"), pdf_name("/Subtype"): pdf_name("/Form"),
        pdf_name("/BBox"): generic.ArrayObject([generic.FloatObject(0), generic.FloatObject(0),
                                                generic.FloatObject(round(width, 2)),
                                                generic.FloatObject(round(height, 2))]),
        pdf_name("/Resources"): generic.DictionaryObject({pdf_name("/Font"): generic.DictionaryObject({
            pdf_name(font_key): writer.add_object(_font_resource(font))})}),
    }, stream_data=content)
    return writer.add_object(stream)


def fill_text_fields(pdf: bytes, values: dict[str, str]) -> bytes:
    """Write values (digits, "/", "-", ".") into named text fields, with their appearance, in one
    incremental update after everything already in the file."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    form_ref = writer.root.get("/AcroForm")
    if form_ref is None:
        raise FormError("the PDF has no form fields")
    fields = _fields_by_name(form_ref.get_object())
    for name, value in values.items():
        if name not in fields:
            raise FormError(f"the PDF has no field named {name}")
        field = fields[name].get_object()
        if field.get("/FT") != "/Tx":
            raise FormError(f"{name} is not a text field")
        field[pdf_name("/V")] = pdf_string(value)
        field[pdf_name("/AP")] = generic.DictionaryObject({pdf_name("/N"): _appearance(writer, field, value)})
        writer.update_container(field)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
