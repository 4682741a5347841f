"""Official documents rendered to PDF per Appendix I of Decree 30/2020/ND-CP (WeasyPrint, A4, Times New Roman
metrics), with fillable fields for the number and date and an empty signature field for the signer.

Knows nothing of the database: the app maps its models to a ``DocumentSpec``.
"""

from edoc.rendering.pdf import RenderedDocument, render_pdf
from edoc.rendering.spec import DocumentSpec, SignerBlock

__all__ = ["DocumentSpec", "RenderedDocument", "SignerBlock", "render_pdf"]
