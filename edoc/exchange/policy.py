"""Who may send and read edXML messages: decided here and nowhere else."""

from __future__ import annotations

from edoc.accounts.models import Role, User
from edoc.documents import policy as documents_policy
from edoc.documents.models import OutgoingDocument
from edoc.documents.policy import PUBLISHED


def can_send(user: User, doc: OutgoingDocument) -> bool:
    """The clerk sends an issued document (and its recall, update or replacement) over the exchange; a secret
    document never (Decree 30 and the law on state secrets: no electronic channel)."""
    return (user.has_role(Role.CLERK) and not doc.is_secret and doc.status_enum in PUBLISHED
            and documents_policy.can_view(user, doc))


def can_see(user: User, doc: OutgoingDocument) -> bool:
    """The message and its recipients' statuses: as for per-recipient delivery status."""
    return documents_policy.can_see_delivery(user, doc)


def can_receive(user: User) -> bool:
    """Posting a received message through the API: the clerk (văn thư) of the receiving organisation."""
    return user.has_role(Role.CLERK)
