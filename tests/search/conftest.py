from __future__ import annotations

from tests.documents.conftest import api_token, draft_data, make_document, minimal_docx  # noqa: F401
from tests.incoming.conftest import register_doc  # noqa: F401
