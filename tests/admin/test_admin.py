"""Admin pages for the organisation, units and users; forged fields and non-admins are refused."""

from __future__ import annotations

from sqlalchemy import func, select

from edoc.accounts.models import Role, User
from edoc.admin.organisations import save_unit
from edoc.core.db import db
from edoc.organisations.models import Organisation, Unit
from tests.support.orgs import other_organisation
from tests.support.web import login, post_form


def _new_user_form(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {"username": "nguyenvana", "full_name": "Nguyễn Văn A", "title": "Chuyên viên",
                               "email": "a@example.vn", "unit_id": "", "roles": ["specialist", "delegate"],
                               "active": "y", "password": "MatKhau@123"}
    data.update(overrides)
    return data


def test_admin_pages_render_in_vietnamese(client, demo):
    login(client, "quantri")
    for path, expected in [("/admin/", "Người dùng"), ("/admin/units", "Ban Tuyên giáo"),
                           ("/admin/organisation", "LIÊN ĐOÀN LAO ĐỘNG HUYỆN GIA LÂM"),
                           ("/admin/users/new", "Thêm người dùng")]:
        response = client.get(path)
        assert response.status_code == 200
        assert expected in response.get_data(as_text=True)


def test_admin_creates_a_user_with_roles_and_unit(client, demo, app):
    login(client, "quantri")
    with app.app_context():
        unit_id = db.session.execute(select(Unit.id).where(Unit.abbreviation == "TG")).scalar_one()
    response = post_form(client, "/admin/users/new", _new_user_form(unit_id=str(unit_id)))
    assert response.status_code == 302
    with app.app_context():
        user = db.session.execute(select(User).where(User.username == "nguyenvana")).scalar_one()
        assert user.roles == {Role.SPECIALIST, Role.DELEGATE} and user.unit_id == unit_id
    login(app.test_client(), "nguyenvana", "MatKhau@123")


def test_decomposed_vietnamese_is_stored_nfc(client, demo, app):
    login(client, "quantri")
    decomposed = "Nguye\u0302\u0303n Thi\u0323 Hoa"  # NFD as some keyboards/OSes send it
    assert post_form(client, "/admin/users/new", _new_user_form(full_name=decomposed)).status_code == 302
    with app.app_context():
        user = db.session.execute(select(User).where(User.username == "nguyenvana")).scalar_one()
        assert user.full_name == "Nguyễn Thị Hoa"


def test_non_admins_are_refused(client, demo):
    login(client, "vanthu")
    assert client.get("/admin/").status_code == 403
    response = post_form(client, "/admin/users/new", _new_user_form(), page="/")
    assert response.status_code == 403


def test_forged_unit_from_another_organisation_is_refused(client, demo, app):
    other_id = other_organisation(app)
    with app.app_context():
        foreign_unit = save_unit(None, db.session.get(Organisation, other_id), "Văn phòng", "VP")
        db.session.commit()
        foreign_id = foreign_unit.id
        before = db.session.execute(select(func.count()).select_from(User)).scalar_one()
    login(client, "quantri")
    response = post_form(client, "/admin/users/new", _new_user_form(unit_id=str(foreign_id)),
                         page="/admin/users/new")
    assert response.status_code == 400
    assert "Đơn vị không tồn tại trong cơ quan này." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(User)).scalar_one() == before


def test_forged_role_and_garbage_ids_are_400_not_500(client, demo):
    login(client, "quantri")
    assert post_form(client, "/admin/users/new", _new_user_form(roles=["superuser"]),
                     page="/admin/users/new").status_code == 400
    assert post_form(client, "/admin/users/new", _new_user_form(unit_id="1 OR 1=1"),
                     page="/admin/users/new").status_code == 400


def test_duplicate_username_and_short_password(client, demo):
    login(client, "quantri")
    dup = post_form(client, "/admin/users/new", _new_user_form(username="vanthu"), page="/admin/users/new")
    assert dup.status_code == 409 and "đã được dùng" in dup.get_data(as_text=True)
    short = post_form(client, "/admin/users/new", _new_user_form(password="123"), page="/admin/users/new")
    assert short.status_code == 400 and "ít nhất 8 ký tự" in short.get_data(as_text=True)


def test_admin_cannot_reach_users_of_another_organisation(client, demo, app):
    other_organisation(app, username="nguoila")
    with app.app_context():
        stranger_id = db.session.execute(select(User.id).where(User.username == "nguoila")).scalar_one()
    login(client, "quantri")
    assert client.get(f"/admin/users/{stranger_id}").status_code == 404


def test_organisation_edit_validates_abbreviation(client, demo, app):
    login(client, "quantri")
    bad = post_form(client, "/admin/organisation", {"name": "LIÊN ĐOÀN LAO ĐỘNG HUYỆN GIA LÂM",
                                                     "parent_name": "", "abbreviation": "LĐ LĐ/x",
                                                     "place_name": "Gia Lâm"})
    assert bad.status_code == 400
    ok = post_form(client, "/admin/organisation", {"name": "LIÊN ĐOÀN LAO ĐỘNG HUYỆN GIA LÂM",
                                                    "parent_name": "LIÊN ĐOÀN LAO ĐỘNG THÀNH PHỐ HÀ NỘI",
                                                    "abbreviation": "LĐLĐ", "place_name": "Gia Lâm",
                                                    "organ_id": "000.00.00.H26", "email": ""})
    assert ok.status_code == 302
    with app.app_context():
        assert db.session.execute(select(Organisation.email)).scalar_one() == ""


def test_units_admin(client, demo, app):
    login(client, "quantri")
    assert post_form(client, "/admin/units", {"name": "Ban Nữ công", "abbreviation": "NC"}).status_code == 302
    dup = post_form(client, "/admin/units", {"name": "Ban khác", "abbreviation": "NC"})
    assert dup.status_code == 409
