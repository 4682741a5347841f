"""Whole documents put together as new PDFs: a copy holds every page of the original and then its copy block; a
document signed on paper is issued as its text followed by the scan of the signed paper original.

Knows nothing of Flask or the database. Form fields (the number and date filled in at issue) and signature
appearances are flattened into the page content first: the result is a new document, whose own signature the
organisation adds afterwards; the original's signatures stay with the original, where they can be checked."""

from __future__ import annotations

import io

import pikepdf


class MergeError(ValueError):
    """A PDF that could not be read or joined; the message says which, in Vietnamese."""


def _open(data: bytes, what: str) -> pikepdf.Pdf:
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError:
        raise MergeError(f"{what} được mã hóa (đặt mật khẩu)") from None
    except pikepdf.PdfError as exc:
        raise MergeError(f"{what} bị hỏng hoặc không đầy đủ ({exc.__class__.__name__})") from None
    if len(pdf.pages) == 0:
        raise MergeError(f"{what} không có trang nào")
    return pdf


def join(parts: list[tuple[bytes, str]]) -> bytes:
    """The pages of every part, in order, as one PDF with nothing left to fill in or sign over: each part's
    fields and annotations are flattened into its pages (what a printed copy would show). ``parts`` are
    (PDF bytes, what it is, for messages)."""
    if not parts:
        raise MergeError("không có tệp nào để ghép")
    out = pikepdf.new()
    keep: list[pikepdf.Pdf] = []  # the sources stay open until the result is written
    for data, what in parts:
        pdf = _open(data, what)
        pdf.flatten_annotations(mode="all")
        if "/AcroForm" in pdf.Root:
            del pdf.Root["/AcroForm"]
        out.pages.extend(pdf.pages)
        keep.append(pdf)
    buffer = io.BytesIO()
    out.save(buffer)
    for pdf in keep:
        pdf.close()
    return buffer.getvalue()


def page_count(data: bytes) -> int:
    with _open(data, "Tệp PDF") as pdf:
        return len(pdf.pages)
