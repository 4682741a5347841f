"""The copy block of Appendix I, Part II (bản sao y, trích sao, sao lục) as a PDF page of its own.

Knows nothing of Flask or the database: the app passes a ``CopySpec``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from edoc.rendering.html import TEMPLATES, environment
from edoc.rendering.spec import nfc

FORMS = {"SY": "SAO Y", "TrS": "TRÍCH SAO", "SL": "SAO LỤC"}


@dataclass
class CopySpec:
    form: str
    """"SAO Y", "TRÍCH SAO" or "SAO LỤC"."""
    organisation: str
    number: str
    notation: str
    date_line: str
    signer_lines: list[str]
    signer_name: str
    source_reference: str
    source_date: str
    source_body: str
    source_summary: str
    recipients: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.organisation = nfc(self.organisation).upper()
        self.source_summary = nfc(self.source_summary)


def render_copy(spec: CopySpec) -> bytes:
    from weasyprint import HTML

    html = environment().get_template("render/copy.html").render(spec=spec)
    return HTML(string=html, base_url=str(TEMPLATES)).write_pdf()  # type: ignore[no-any-return]
