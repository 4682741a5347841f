"""The outgoing register as a spreadsheet (openpyxl) and as a printable A4 landscape PDF (WeasyPrint)."""

from __future__ import annotations

import io
from datetime import date

from flask import render_template
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from edoc.registers.entries import COLUMNS, OutgoingEntry
from edoc.registers.models import Register
from edoc.rendering.pdf import font_faces

_WIDTHS = [16, 12, 60, 22, 40, 18, 9, 12, 12, 24]


def to_xlsx(register: Register, year: int, entries: list[OutgoingEntry]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = f"Sổ văn bản đi {year}"[:31]
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    ws.append([register.organisation.name])
    ws.append([f"{register.name.upper()} NĂM {year}"])
    ws["A1"].font = Font(name="Times New Roman", bold=True, size=12)
    ws["A2"].font = Font(name="Times New Roman", bold=True, size=14)
    ws.append([])
    ws.append(COLUMNS)
    ws.append([f"({i})" for i in range(1, 11)])
    for row in ws.iter_rows(min_row=4, max_row=5):
        for cell in row:
            cell.font = Font(name="Times New Roman", bold=True, size=11)
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            cell.border = border
    for e in entries:
        ws.append([e.reference, e.issued_on, e.type_and_summary, e.signer, e.recipients, e.archive, e.copies,
                   e.sent_on, e.receipt, e.note])
        for cell in ws[ws.max_row]:
            cell.font = Font(name="Times New Roman", size=11)
            cell.alignment = Alignment(vertical="top", wrap_text=True)
            cell.border = border
            if isinstance(cell.value, date):
                cell.number_format = "DD/MM/YYYY"
    for i, width in enumerate(_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A6"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def to_pdf(register: Register, year: int, entries: list[OutgoingEntry]) -> bytes:
    from markupsafe import Markup
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration


    html = render_template("registers/print.html", register=register, year=year, entries=entries, columns=COLUMNS,
                           font_faces=Markup(font_faces()))
    return HTML(string=html).write_pdf(font_config=FontConfiguration())  # type: ignore[no-any-return]
