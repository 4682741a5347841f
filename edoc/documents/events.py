"""The realtime events of outgoing documents, by name: pages listen for these."""

DOCUMENT_DISPATCH = "document.dispatch"
"""A recipient's e-mail dispatch changed state (to the issuing clerks' rooms): document_id."""
DOCUMENT_READ = "document.read"
"""A recipient opened the issued document: document_id, user_id."""
