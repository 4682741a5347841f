"""The organisation's signature as the Decree shows it: its seal image (red, transparent PNG, at its real
size) and the roots its signatures are trusted up to, as admins see them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from asn1crypto import x509 as asn1_x509

from edoc.accounts.models import User
from edoc.accounts.policy import require_admin_of
from edoc.audit.service import record
from edoc.core.db import commit
from edoc.core.errors import ValidationFailed
from edoc.files import sniff
from edoc.files.images import transparent_png
from edoc.files.service import store_bytes
from edoc.signatures.trust import TRUST_ADMINS_ONLY, roots_of

SEAL_MAX_BYTES = 2 * 1024 * 1024
SEAL_MM_RANGE = (20.0, 60.0)
"""Round seals of Vietnamese bodies are 30-45 mm across; outside this a typo is likelier than a seal."""
MAX_PIXELS = 4000


def set_seal(actor: User, data: bytes, seal_mm: str) -> None:
    """The seal image used in the organisation's signature, and its real diameter in millimetres."""
    require_admin_of(actor, actor.organisation, TRUST_ADMINS_ONLY)
    try:
        size = float(seal_mm.replace(",", "."))
    except ValueError:
        raise ValidationFailed("Nhập đường kính con dấu (mm), ví dụ 36.", field="seal_mm") from None
    low, high = SEAL_MM_RANGE
    if not low <= size <= high:
        raise ValidationFailed(f"Đường kính con dấu phải từ {low:g} đến {high:g} mm.", field="seal_mm")
    transparent_png(data, what="Ảnh con dấu", field="seal", max_bytes=SEAL_MAX_BYTES, min_size=(16, 16),
                    max_size=(MAX_PIXELS, MAX_PIXELS), ink="red")
    org = actor.organisation
    org.seal_file_id = store_bytes(data, "con-dau.png", uploader=actor, purpose="seal-image",
                                   media_type=sniff.PNG).id
    org.seal_mm = size
    record("organisation.seal", org, actor=actor, changes={"seal_mm": size, "file_id": org.seal_file_id})
    commit()


@dataclass(frozen=True)
class RootView:
    id: int
    name: str
    subject: str
    fingerprint: str
    not_after: datetime
    expired: bool


def roots_view(organisation_id: int) -> list[RootView]:
    views = []
    now = datetime.now(UTC)
    for row in roots_of(organisation_id):
        cert = asn1_x509.Certificate.load(row.der)
        not_after = cert["tbs_certificate"]["validity"]["not_after"].native
        views.append(RootView(row.id, row.name, cert.subject.human_friendly, row.fingerprint, not_after,
                              not_after < now))
    return views
