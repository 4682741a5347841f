"""The incoming registers as a spreadsheet (openpyxl) and a printable A4 landscape PDF (WeasyPrint), laid out as the
outgoing register's (``edoc.registers.export``)."""

from __future__ import annotations

import io
from datetime import date

from flask import render_template
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from edoc.incoming.registers import Row, cell_text
from edoc.rendering.pdf import font_faces


def to_xlsx(organisation: str, title: str, year: int, columns: list[str], rows: list[Row]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = f"{title[:24]} {year}"[:31]
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    ws.append([organisation])
    ws.append([f"{title.upper()} NĂM {year}"])
    ws["A1"].font = Font(name="Times New Roman", bold=True, size=12)
    ws["A2"].font = Font(name="Times New Roman", bold=True, size=14)
    ws.append([])
    ws.append(columns)
    ws.append([f"({i})" for i in range(1, len(columns) + 1)])
    for header in ws.iter_rows(min_row=4, max_row=5):
        for cell in header:
            cell.font = Font(name="Times New Roman", bold=True, size=11)
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            cell.border = border
    for row in rows:
        ws.append(row.cells)
        for cell in ws[ws.max_row]:
            cell.font = Font(name="Times New Roman", size=11)
            cell.alignment = Alignment(vertical="top", wrap_text=True)
            cell.border = border
            if isinstance(cell.value, date):
                cell.number_format = "DD/MM/YYYY"
    for i, column in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = 50 if len(column) > 40 else 18
    ws.freeze_panes = "A6"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def to_pdf(organisation: str, title: str, year: int, columns: list[str], rows: list[Row]) -> bytes:
    from markupsafe import Markup
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration


    html = render_template("incoming/print.html", organisation=organisation, title=title, year=year,
                           columns=columns, rows=rows, cell_text=cell_text, font_faces=Markup(font_faces()))
    return HTML(string=html).write_pdf(font_config=FontConfiguration())  # type: ignore[no-any-return]
