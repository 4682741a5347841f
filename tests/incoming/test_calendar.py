"""Working days: weekends, Vietnam's public holidays, the admin's swaps, and terms read from a document's text."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from edoc.accounts.models import User
from edoc.calendar.models import CalendarSwap
from edoc.calendar.service import add_swap, calendar_for
from edoc.calendar.workdays import WorkCalendar, suggest_deadline
from edoc.core.db import db
from edoc.core.errors import Conflict, NotAllowed, ValidationFailed
from tests.support.web import login, post_form

BASE = WorkCalendar()


def test_public_holidays_and_weekends_are_not_working_days():
    # Tết Bính Ngọ 2026: 16-20 February; Giỗ Tổ 26/4 (a Sunday, made up on Monday 27/4); 30/4; 1/5; 2/9.
    for day in (date(2026, 2, 16), date(2026, 2, 20), date(2026, 4, 27), date(2026, 4, 30), date(2026, 5, 1),
                date(2026, 9, 2), date(2026, 1, 1)):
        assert not BASE.is_working_day(day), day
    assert not BASE.is_working_day(date(2026, 12, 5))  # Saturday
    assert not BASE.is_working_day(date(2026, 12, 6))  # Sunday
    assert BASE.is_working_day(date(2026, 12, 3))  # Thursday
    assert BASE.holiday_name(date(2026, 9, 2)) is not None


def test_add_working_days_skips_weekends_and_tet():
    assert BASE.add_working_days(date(2026, 12, 3), 1) == date(2026, 12, 4)  # Thu → Fri
    assert BASE.add_working_days(date(2026, 12, 4), 1) == date(2026, 12, 7)  # Fri → Mon
    assert BASE.add_working_days(date(2026, 12, 5), 0) == date(2026, 12, 7)  # Sat, 0 days → Mon
    # Received Friday 13/2/2026, five working days: Tết takes 16-20/2, so 23, 24, 25, 26, 27/2.
    assert BASE.add_working_days(date(2026, 2, 13), 5) == date(2026, 2, 27)
    # Across 30/4 and 1/5 (Thu, Fri) and the weekend: from Wed 29/4, one working day is Mon 4/5.
    assert BASE.add_working_days(date(2026, 4, 29), 1) == date(2026, 5, 4)
    assert BASE.working_days_between(date(2026, 2, 13), date(2026, 2, 27)) == 5
    assert BASE.working_days_between(date(2026, 2, 27), date(2026, 2, 13)) == -5
    with pytest.raises(ValueError):
        BASE.add_working_days(date(2026, 1, 1), -1)


def test_swaps_override_the_base_calendar():
    calendar = WorkCalendar({date(2026, 12, 4): False, date(2026, 12, 5): True})
    assert not calendar.is_working_day(date(2026, 12, 4))
    assert calendar.is_working_day(date(2026, 12, 5))
    assert calendar.add_working_days(date(2026, 12, 3), 1) == date(2026, 12, 5)


@pytest.mark.parametrize(("text", "words", "deadline"), [
    ("Đề nghị báo cáo trong thời hạn 20 ngày làm việc kể từ ngày nhận.", "trong thời hạn 20 ngày làm việc",
     date(2026, 12, 31)),
    ("gửi ý kiến trong vòng 15 ngày", "trong vòng 15 ngày", date(2026, 12, 18)),
    ("chậm nhất 05 ngày làm việc sau khi nhận", "chậm nhất 05 ngày làm việc", date(2026, 12, 10)),
    ("Gửi báo cáo về Văn phòng trước ngày 15/12/2026.", "trước ngày 15/12/2026", date(2026, 12, 14)),
    ("hạn chót là ngày 20 tháng 12 năm 2026", "hạn chót là ngày 20 tháng 12 năm 2026", date(2026, 12, 20)),
    ("trong thời hạn mười ngày làm việc", "trong thời hạn mười ngày làm việc", date(2026, 12, 17)),
])
def test_a_term_in_the_text_suggests_a_deadline(text, words, deadline):
    term = suggest_deadline(text, date(2026, 12, 3), BASE)
    assert term is not None and (term.text, term.deadline) == (words, deadline)


def test_no_term_or_a_past_date_suggests_nothing():
    assert suggest_deadline("Kế hoạch tổ chức Tháng Công nhân năm 2026.", date(2026, 12, 3), BASE) is None
    assert suggest_deadline("báo cáo trước ngày 15/01/2026", date(2026, 12, 3), BASE) is None
    assert suggest_deadline("trước ngày 31/02/2026", date(2026, 1, 3), BASE) is None  # no such day


def test_admin_swaps_through_the_service_and_the_page(app, demo, client):
    with app.app_context():
        admin = db.session.get(User, demo["quantri"])
        org_id = admin.organisation_id
        add_swap(admin, date(2026, 12, 4), "off", "Thông báo số 1")
        db.session.commit()
        assert not calendar_for(admin.organisation_id).is_working_day(date(2026, 12, 4))
        # Each wrong swap is refused with its reason, nothing written.
        for day, kind, message, error in [
            (date(2026, 12, 6), "off", "vốn đã là ngày nghỉ", ValidationFailed),
            (date(2026, 12, 3), "work", "vốn đã là ngày làm việc", ValidationFailed),
            (date(2026, 12, 5), "holiday", "nghỉ bù hoặc làm bù", ValidationFailed),
            (date(2026, 12, 4), "off", "đã có trong lịch", Conflict),
        ]:
            with pytest.raises(error, match=message):
                add_swap(admin, day, kind)
            db.session.rollback()
        with pytest.raises(NotAllowed):
            add_swap(db.session.get(User, demo["vanthu"]), date(2026, 12, 12), "work")
        db.session.rollback()
        assert db.session.execute(select(func.count()).select_from(CalendarSwap)).scalar_one() == 1

    login(client, "quantri")
    page = client.get("/calendar/?year=2026")
    assert page.status_code == 200 and "04/12/2026" in page.text and "Quốc khánh" in page.text
    response = post_form(client, "/calendar/", {"day": "2026-12-12", "kind": "work", "year": "2026"})
    assert response.status_code == 302
    bad = post_form(client, "/calendar/", {"day": "12/13/2026", "kind": "work"})
    assert bad.status_code == 400 and "Ngày không hợp lệ" in bad.text and "Lịch ngày làm việc" in bad.text
    with app.app_context():
        assert calendar_for(org_id).is_working_day(date(2026, 12, 12))
    other = app.test_client()
    login(other, "vanthu")
    assert other.get("/calendar/").status_code == 403
