"""Registers list outgoing documents: their tests make documents with documents' own fixture."""

from tests.documents.conftest import make_document  # noqa: F401
