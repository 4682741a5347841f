"""An admin uploads or replaces a user's handwritten-signature PNG from the user admin page: a real PNG
(decoded whole), at most 1 MB and 3000×1500 pixels, with a transparent background. Anything else is a clear
4xx with nothing stored and the account unchanged."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import func, select

from edoc.accounts.models import User
from edoc.audit.models import AuditEntry
from edoc.core.db import db
from edoc.files.models import StoredFile
from tests.support.orgs import other_organisation
from tests.support.web import csrf_token, login


def _png(size: tuple[int, int] = (600, 200), *, mode: str = "RGBA", background: tuple = (0, 0, 0, 0)) -> bytes:
    image = Image.new(mode, size, background[: len(mode)] if mode != "P" else 0)
    ImageDraw.Draw(image).line([(20, size[1] - 20), (size[0] - 20, 20)], fill=(20, 45, 170, 255)[: len(mode)],
                               width=5)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _huge_png(width: int, height: int) -> bytes:
    """A valid PNG header claiming a huge 1-bit image, with a tiny compressed body: what a decompression bomb
    looks like before decoding."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = zlib.compress(b"\x00" * (1 + (width + 7) // 8) * 10)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", rows) + chunk(b"IEND", b""))


def _upload(client, user_id: int, data: bytes, name: str = "chu-ky.png"):
    token = csrf_token(client, f"/admin/users/{user_id}")
    return client.post(f"/admin/users/{user_id}/signature", content_type="multipart/form-data",
                       data={"sig-csrf_token": token, "sig-image": (io.BytesIO(data), name)})


def _state(app, user_id: int, root: Path) -> tuple:
    with app.app_context():
        user = db.session.get(User, user_id)
        files = db.session.execute(select(func.count()).select_from(StoredFile)).scalar_one()
        audits = db.session.execute(select(func.count()).select_from(AuditEntry)).scalar_one()
        return user.signature_file_id, files, audits, sorted(p.name for p in root.rglob("*") if p.is_file())


def test_admin_uploads_then_replaces_a_signature_image(client, demo, app, settings_env):
    login(client, "quantri")
    user_id = demo["chuyenvien"]
    page = client.get(f"/admin/users/{user_id}").get_data(as_text=True)
    assert "Ảnh chữ ký tay" in page and "Chưa có ảnh chữ ký." in page
    first = _png()
    response = _upload(client, user_id, first)
    assert response.status_code == 302 and response.headers["Location"] == f"/admin/users/{user_id}"
    with app.app_context():
        user = db.session.get(User, user_id)
        row = db.session.get(StoredFile, user.signature_file_id)
        assert (row.purpose, row.media_type, row.uploaded_by_id) == ("signature-image", "image/png",
                                                                    demo["quantri"])
        audit = db.session.execute(select(AuditEntry).where(AuditEntry.action == "user.signature_image")).scalar_one()
        first_id = row.id
    assert audit.actor_id == demo["quantri"]
    assert "Thay ảnh chữ ký" in client.get(f"/admin/users/{user_id}").get_data(as_text=True)
    # The person it belongs to sees it on their profile, though the admin uploaded it; a colleague does not.
    owner = app.test_client()
    login(owner, "chuyenvien")
    shown = owner.get(f"/files/{first_id}?inline=1")
    assert shown.status_code == 200 and shown.data == first
    colleague = app.test_client()
    login(colleague, "vanthu")
    assert colleague.get(f"/files/{first_id}?inline=1").status_code == 404
    # Replacing keeps the old image stored (history) and points the account at the new one.
    second = _png((400, 150))
    assert _upload(client, user_id, second).status_code == 302
    with app.app_context():
        new_id = db.session.get(User, user_id).signature_file_id
        assert new_id != first_id and db.session.get(StoredFile, first_id) is not None
    assert owner.get(f"/files/{new_id}?inline=1").data == second
    assert owner.get(f"/files/{first_id}?inline=1").status_code == 404  # no longer theirs to see


@pytest.mark.parametrize(("data", "name", "status", "message"), [
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "chu-ky.png", 415, "không phải ảnh PNG hợp lệ"),
    (_png()[:300], "chu-ky.png", 415, "không phải ảnh PNG hợp lệ"),
    (_png(mode="RGB", background=(255, 255, 255)), "chu-ky.png", 400, "phải có nền trong suốt"),
    (_png(background=(255, 255, 255, 255)), "chu-ky.png", 400, "phải có nền trong suốt"),
    (_png((3001, 200)), "chu-ky.png", 400, "3001×200 điểm ảnh"),
    (_huge_png(60000, 60000), "chu-ky.png", 400, "quá nhiều điểm ảnh: cần từ 20×10 đến 3000×1500"),
    (_huge_png(3000, 9000), "chu-ky.png", 400, "3000×9000 điểm ảnh"),
    (_png((12, 12)), "chu-ky.png", 400, "12×12 điểm ảnh"),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 100, "chu-ky.png", 415, "không phải ảnh PNG hợp lệ"),
    (_png(), "chu-ky.jpg", 415, "không khớp với loại tệp khai báo"),
    (_png(), "../chu-ky.png", 400, "phân cách thư mục"),
    (_png() + b"\x00" * (1024 * 1024), "chu-ky.png", 413, "vượt quá 1024 KB"),
], ids=["garbage-after-signature", "truncated", "opaque-rgb", "opaque-alpha", "too-wide", "bomb", "tall", "tiny",
        "jpeg-named-png", "png-named-jpg", "path-in-name", "too-large"])
def test_bad_signature_images_are_refused_and_nothing_changes(client, demo, app, settings_env, data, name, status,
                                                             message):
    login(client, "quantri")
    user_id = demo["chutich"]
    root = Path(settings_env["EDOC_STORAGE_DIR"])
    before = _state(app, user_id, root)
    response = _upload(client, user_id, data, name)
    assert response.status_code == status
    page = response.get_data(as_text=True)
    assert message in page and "Ảnh chữ ký tay" in page  # the user page again, with the reason
    assert _state(app, user_id, root) == before


def test_missing_file_and_missing_token(client, demo, app, settings_env):
    login(client, "quantri")
    user_id = demo["chutich"]
    before = _state(app, user_id, Path(settings_env["EDOC_STORAGE_DIR"]))
    token = csrf_token(client, f"/admin/users/{user_id}")
    empty = client.post(f"/admin/users/{user_id}/signature", data={"sig-csrf_token": token},
                        content_type="multipart/form-data")
    assert empty.status_code == 400 and "Chọn tệp ảnh PNG." in empty.get_data(as_text=True)
    forged = client.post(f"/admin/users/{user_id}/signature", content_type="multipart/form-data",
                         data={"sig-image": (io.BytesIO(_png()), "chu-ky.png")})
    assert forged.status_code == 400 and "CSRF" in forged.get_data(as_text=True)
    assert _state(app, user_id, Path(settings_env["EDOC_STORAGE_DIR"])) == before


def test_only_admins_of_the_organisation(client, demo, app, settings_env):
    other_organisation(app, username="quantrikhac", role=None)
    with app.app_context():
        stranger_id = db.session.execute(select(User.id).where(User.username == "quantrikhac")).scalar_one()
    root = Path(settings_env["EDOC_STORAGE_DIR"])
    clerk = app.test_client()
    login(clerk, "vanthu")
    token = csrf_token(clerk, "/")
    before = _state(app, demo["chutich"], root)
    refused = clerk.post(f"/admin/users/{demo['chutich']}/signature", content_type="multipart/form-data",
                         data={"sig-csrf_token": token, "sig-image": (io.BytesIO(_png()), "chu-ky.png")})
    assert refused.status_code == 403
    assert _state(app, demo["chutich"], root) == before
    admin = app.test_client()
    login(admin, "quantri")
    token = csrf_token(admin, "/")
    foreign = admin.post(f"/admin/users/{stranger_id}/signature", content_type="multipart/form-data",
                         data={"sig-csrf_token": token, "sig-image": (io.BytesIO(_png()), "chu-ky.png")})
    assert foreign.status_code == 404


def test_profile_upload_uses_the_same_checks(client, demo, app):
    login(client, "chutich")
    token = csrf_token(client, "/profile")
    opaque = client.post("/profile", content_type="multipart/form-data", data={
        "action": "signature", "sig-csrf_token": token,
        "sig-image": (io.BytesIO(_png(mode="RGB", background=(255, 255, 255))), "chu-ky.png")})
    assert opaque.status_code == 400 and "phải có nền trong suốt" in opaque.get_data(as_text=True)
    ok = client.post("/profile", content_type="multipart/form-data", data={
        "action": "signature", "sig-csrf_token": token, "sig-image": (io.BytesIO(_png()), "chu-ky.png")})
    assert ok.status_code == 302


# --- ink: the signer's signature is blue (Decree 30, Appendix I), the seal red --------------------------------

def _inked(colour: tuple[int, int, int], *, stray: tuple[int, int, int] | None = None) -> bytes:
    """A signature-like scrawl in ``colour`` on a transparent background; ``stray`` adds a short stroke of
    another pen (a fifth of the length or less)."""
    image = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.line([(30, 160), (200, 40), (380, 150), (570, 30)], fill=(*colour, 255), width=7)
    if stray is not None:
        draw.line([(40, 190), (150, 190)], fill=(*stray, 255), width=7)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _check(data: bytes):
    from edoc.files.images import transparent_png

    return transparent_png(data, what="Ảnh chữ ký", field="image", max_bytes=1024 * 1024, min_size=(20, 10),
                           max_size=(3000, 1500), ink="blue")


@pytest.mark.parametrize("colour", [(20, 45, 170), (25, 35, 80), (65, 105, 225), (0, 150, 220)],
                         ids=["demo-blue", "navy-ballpoint", "royal-blue", "cyan-blue"])
def test_blue_signatures_pass_the_ink_rule(colour):
    assert _check(_inked(colour)).mode == "RGBA"
    assert _check(_inked(colour, stray=(0, 0, 0))).mode == "RGBA"  # a stroke of another pen is tolerated


@pytest.mark.parametrize("colour", [(0, 0, 0), (70, 70, 70), (200, 20, 30), (120, 40, 170)],
                         ids=["black", "grey", "red", "purple"])
def test_signatures_not_in_blue_ink_are_refused(colour):
    from edoc.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as refused:
        _check(_inked(colour))
    assert refused.value.message == ("Ảnh chữ ký phải màu xanh (Phụ lục I, Nghị định 30/2020/NĐ-CP); ảnh này chỉ "
                                     "có 0% nét màu xanh.")


def test_mostly_black_or_empty_signatures_are_refused():
    from edoc.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed, match="phải màu xanh"):  # a little blue does not make black blue
        _check(_inked((0, 0, 0), stray=(20, 45, 170)))
    with pytest.raises(ValidationFailed, match="không có nét nào"):
        _check(_transparent_only())


def _transparent_only() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (600, 200), (0, 0, 0, 0)).save(out, "PNG")
    return out.getvalue()


def test_the_demos_images_pass_their_ink_rules():
    from edoc.files.images import ink_share
    from edoc.signatures.devca import seal_png, signature_png

    for name in ("Nguyễn Văn Hùng", "Trần Thị Lan"):
        assert _check(signature_png(name)).mode == "RGBA"
    assert ink_share(Image.open(io.BytesIO(seal_png("LIÊN ĐOÀN LAO ĐỘNG HUYỆN GIA LÂM"))), "red") == 1.0
    # and the images the upload tests use
    assert _check(_png()).mode == "RGBA"


def test_a_blue_signature_is_accepted_through_the_page(client, demo, app):
    login(client, "quantri")
    user_id = demo["chutich"]
    assert _upload(client, user_id, _inked((25, 35, 80))).status_code == 302


def test_a_black_signature_is_refused_through_the_page(client, demo, app, settings_env):
    login(client, "quantri")
    user_id = demo["chutich"]
    before = _state(app, user_id, Path(settings_env["EDOC_STORAGE_DIR"]))
    response = _upload(client, user_id, _inked((0, 0, 0)))
    assert response.status_code == 400 and "Ảnh chữ ký phải màu xanh" in response.get_data(as_text=True)
    assert _state(app, user_id, Path(settings_env["EDOC_STORAGE_DIR"])) == before
