"""Official documents rendered to PDF per Appendix I of Decree 30/2020/ND-CP (WeasyPrint, A4, Times New Roman
metrics), with fillable fields for the number and date and an empty signature field for the signer.

Knows nothing of the database or of Flask: the app maps its models to a ``DocumentSpec``.
"""

from edoc.rendering.body import Block, BlockKind, parse_body
from edoc.rendering.pdf import RenderedDocument, render_pdf
from edoc.rendering.spec import DocumentSpec, SignerBlock
from signing.forms import FieldBox

__all__ = ["Block", "BlockKind", "DocumentSpec", "FieldBox", "RenderedDocument", "SignerBlock", "parse_body",
           "render_pdf"]
