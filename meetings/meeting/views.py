"""Pages under /meetings: the calendar (week and month, the person's own or the organisation's), a meeting's page
with its participants, answers and Giấy mời, the form, rooms, and the iCalendar feed. Each view parses, calls one
service function (which commits), and renders or redirects; a refusal is shown on the page the user was on, with the
status it deserves, and nothing of it is saved."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response as WResponse

from edoc.accounts.models import User
from edoc.core.clock import vietnam_today
from edoc.core.db import db
from edoc.core.errors import DomainError
from edoc.core.forms import parse_id, parse_optional_id
from edoc.documents.models import OutgoingDocument
from edoc.organisations.models import Organisation, Unit
from meetings.meeting import calendar, forms, invitations, policy, service
from meetings.meeting import participants as attendance
from meetings.meeting.models import (
    ANSWER_LABELS,
    KIND_LABELS,
    MODE_LABELS,
    Answer,
    Meeting,
    MeetingStatus,
    Participant,
)
from meetings.meeting.quorum import QUORUM_LABELS

bp = Blueprint("meetings", __name__, url_prefix="/meetings")


def me() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


# --- calendar --------------------------------------------------------------------------------------------


@bp.route("/")
@login_required
def index() -> str:
    user = me()
    view = request.args.get("view", "week")
    view = view if view in {"week", "month"} else "week"
    scope = request.args.get("scope", "mine")
    scope = scope if scope in service.SCOPES else "mine"
    try:
        anchor = forms.parse_day(request.args.get("date"), "date", "Ngày") if request.args.get("date") \
            else vietnam_today()
    except DomainError:
        anchor = vietnam_today()
    shown = calendar.period(view, anchor)
    meetings = service.meetings_between(user, shown.start, shown.end, scope=scope)
    return render_template("meetings/meeting/index.html", period=shown, scope=scope, scopes=service.SCOPES,
                           days=calendar.by_day(meetings, shown.days), today=vietnam_today(), calendar=calendar,
                           can_create=policy.can_create_meeting(user),
                           can_open=lambda m: policy.can_view_meeting(user, m),
                           can_rooms=policy.can_manage_rooms(user, user.organisation_id))


# --- the form --------------------------------------------------------------------------------------------


def _choices(organisation_id: int) -> dict[str, Any]:
    people = list(db.session.execute(select(User).where(User.organisation_id == organisation_id,
                                                        User.active.is_(True)).order_by(User.full_name)).scalars())
    return {"people": people, "rooms": service.rooms_of(organisation_id), "kinds": KIND_LABELS,
            "modes": MODE_LABELS, "quorums": QUORUM_LABELS}


def _form_page(template_form: dict[str, Any], meeting: Meeting | None, status: int = 200,
               error_field: str | None = None) -> tuple[str, int]:
    org_id = meeting.organisation_id if meeting else me().organisation_id
    return render_template("meetings/meeting/form.html", form=template_form, meeting=meeting,
                           error_field=error_field, **_choices(org_id)), status


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new() -> WResponse | tuple[str, int]:
    user = me()
    policy.require(policy.can_create_meeting(user),
                   "Chỉ thư ký họp, lãnh đạo, văn thư hoặc quản trị được tạo cuộc họp.")
    if request.method == "GET":
        return _form_page({"day": request.args.get("date") or vietnam_today().isoformat(), "start": "08:00",
                           "end": "10:00", "secretary_id": user.id, "kind": "regular", "mode": "in_person",
                           "quorum_rule": "half_members", "allow_remote_vote": True}, None)
    try:
        meeting = service.create_meeting(user, forms.meeting_form(request.form))
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return _form_page(request.form.to_dict(), None, exc.status, exc.field)
    flash("Đã tạo cuộc họp (dự thảo). Thêm thành phần tham dự rồi thông báo.", "success")
    return redirect(url_for("meetings.show", meeting_id=meeting.id))


@bp.route("/<int:meeting_id>/edit", methods=["GET", "POST"])
@login_required
def edit(meeting_id: int) -> WResponse | tuple[str, int]:
    user = me()
    meeting = policy.get_meeting_for(user, meeting_id)
    policy.require(policy.can_edit_meeting(user, meeting), "Bạn không sửa được cuộc họp này.")
    if request.method == "GET":
        data = service.MeetingData(
            title=meeting.title, kind=meeting.kind, mode=meeting.mode, starts_at=meeting.starts_at,
            ends_at=meeting.ends_at, room_id=meeting.room_id, location=meeting.location,
            online_link=meeting.online_link or "", chair_id=meeting.chair_id, secretary_id=meeting.secretary_id,
            requires_approval=meeting.requires_approval, quorum_rule=meeting.quorum_rule,
            allow_remote_vote=meeting.allow_remote_vote, notes=meeting.notes)
        return _form_page(forms.form_of(data), meeting)
    try:
        reissued = invitations.update(user, meeting, forms.meeting_form(request.form),
                                      expected_version=forms.parse_version(request.form.get("version")))
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return _form_page(request.form.to_dict(), db.session.get(Meeting, meeting_id), exc.status, exc.field)
    flash("Đã lưu. Đã soạn giấy mời mới thay thế giấy mời trước." if reissued else "Đã lưu.", "success")
    return redirect(url_for("meetings.show", meeting_id=meeting.id))


# --- the meeting's page ----------------------------------------------------------------------------------


def _invitable_people(user: User) -> list[tuple[Organisation, list[User]]]:
    orgs = policy.invitable_organisation_ids(user)
    people = list(db.session.execute(select(User).where(User.organisation_id.in_(orgs), User.active.is_(True))
                                     .order_by(User.organisation_id, User.full_name)).scalars())
    grouped: dict[int, tuple[Organisation, list[User]]] = {}
    for person in people:
        grouped.setdefault(person.organisation_id, (person.organisation, []))[1].append(person)
    own = grouped.pop(user.organisation_id, None)
    return ([own] if own else []) + list(grouped.values())


def _show(meeting: Meeting, status: int = 200) -> tuple[str, int]:
    user = me()
    participants = attendance.participants_of(meeting) if policy.can_see_participants(user, meeting) else []
    manage = policy.can_edit_meeting(user, meeting)
    invites = invitations.invitations_of(meeting)
    documents = {i.id: db.session.get(OutgoingDocument, i.document_id) for i in invites}
    return render_template(
        "meetings/meeting/show.html", meeting=meeting, user=user, participants=participants,
        counts=attendance.summary(participants), answer_labels=ANSWER_LABELS, Answer=Answer,
        mine=policy.participant_of(user, meeting), policy=policy, manage=manage, invitations=invites,
        documents=documents, MeetingStatus=MeetingStatus,
        invitable=_invitable_people(user) if manage else [],
        units=list(db.session.execute(select(Unit).where(Unit.organisation_id == meeting.organisation_id,
                                                         Unit.active.is_(True)).order_by(Unit.name)).scalars())
        if manage else [],
        colleagues=list(db.session.execute(select(User).where(User.organisation_id == user.organisation_id,
                                                              User.active.is_(True), User.id != user.id)
                                           .order_by(User.full_name)).scalars())), status


@bp.route("/<int:meeting_id>")
@login_required
def show(meeting_id: int) -> tuple[str, int]:
    return _show(policy.get_meeting_for(me(), meeting_id))


def _act(meeting_id: int, action: Callable[[Meeting], str]) -> WResponse | tuple[str, int]:
    """Run one action on a meeting the user can see; on refusal show the meeting again with the message, and
    nothing of the action saved."""
    meeting = policy.get_meeting_for(me(), meeting_id)
    try:
        message = action(meeting)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return _show(policy.get_meeting_for(me(), meeting_id), exc.status)
    flash(message, "success")
    return redirect(url_for("meetings.show", meeting_id=meeting_id))


@bp.route("/<int:meeting_id>/submit", methods=["POST"])
@login_required
def submit(meeting_id: int) -> WResponse | tuple[str, int]:
    return _act(meeting_id, lambda m: service.submit_for_approval(me(), m) and "Đã gửi văn phòng duyệt.")


@bp.route("/<int:meeting_id>/approve", methods=["POST"])
@login_required
def approve(meeting_id: int) -> WResponse | tuple[str, int]:
    approved = request.form.get("decision") != "return"

    def run(m: Meeting) -> str:
        service.approve(me(), m, approved=approved, note=request.form.get("note", ""))
        return "Đã duyệt cuộc họp." if approved else "Đã trả lại cuộc họp để sửa."

    return _act(meeting_id, run)


@bp.route("/<int:meeting_id>/announce", methods=["POST"])
@login_required
def announce(meeting_id: int) -> WResponse | tuple[str, int]:
    def run(m: Meeting) -> str:
        invitations.announce(me(), m, expected_version=forms.parse_version(request.form.get("version")))
        return "Đã thông báo cuộc họp và soạn Giấy mời: kiểm tra dự thảo giấy mời rồi trình ký."

    return _act(meeting_id, run)


@bp.route("/<int:meeting_id>/reissue", methods=["POST"])
@login_required
def reissue(meeting_id: int) -> WResponse | tuple[str, int]:
    return _act(meeting_id, lambda m: invitations.reissue(me(), m, request.form.get("reason", "")) and
                "Đã soạn giấy mời mới thay thế giấy mời trước.")


@bp.route("/<int:meeting_id>/cancel", methods=["POST"])
@login_required
def cancel(meeting_id: int) -> WResponse | tuple[str, int]:
    return _act(meeting_id, lambda m: service.cancel(me(), m, request.form.get("reason", "")) and
                "Đã hủy cuộc họp.")


# --- participants ----------------------------------------------------------------------------------------


@bp.route("/<int:meeting_id>/participants", methods=["POST"])
@login_required
def add_people(meeting_id: int) -> WResponse | tuple[str, int]:
    def run(m: Meeting) -> str:
        ids = [parse_id(v, field="user_ids") for v in request.form.getlist("user_ids")]
        added = attendance.add_people(me(), m, ids, request.form.get("role", "member"))
        return f"Đã thêm {len(added)} người."

    return _act(meeting_id, run)


@bp.route("/<int:meeting_id>/participants/unit", methods=["POST"])
@login_required
def add_unit(meeting_id: int) -> WResponse | tuple[str, int]:
    def run(m: Meeting) -> str:
        added = attendance.add_unit(me(), m, parse_id(request.form.get("unit_id"), field="unit_id"),
                                    request.form.get("role", "member"))
        return f"Đã thêm {len(added)} người của đơn vị."

    return _act(meeting_id, run)


@bp.route("/<int:meeting_id>/participants/guest", methods=["POST"])
@login_required
def add_guest(meeting_id: int) -> WResponse | tuple[str, int]:
    return _act(meeting_id, lambda m: attendance.add_guest(
        me(), m, request.form.get("guest_name", ""), request.form.get("guest_organisation", ""),
        request.form.get("guest_email", "")) and "Đã thêm khách mời.")


@bp.route("/<int:meeting_id>/participants/<int:participant_id>/remove", methods=["POST"])
@login_required
def remove(meeting_id: int, participant_id: int) -> WResponse | tuple[str, int]:
    def run(m: Meeting) -> str:
        attendance.remove(me(), m, attendance.get_participant(m, participant_id))
        return "Đã bỏ khỏi thành phần tham dự."

    return _act(meeting_id, run)


@bp.route("/<int:meeting_id>/participants/<int:participant_id>/role", methods=["POST"])
@login_required
def set_role(meeting_id: int, participant_id: int) -> WResponse | tuple[str, int]:
    return _act(meeting_id, lambda m: attendance.set_role(me(), m, attendance.get_participant(m, participant_id),
                                                          request.form.get("role", "")) and "Đã đổi vai trò.")


def _answer(m: Meeting, seat: Participant) -> str:
    attendance.answer(me(), m, seat, request.form.get("answer", ""), request.form.get("reason", ""),
                      parse_optional_id(request.form.get("deputy_user_id"), field="deputy_user_id"))
    return "Đã ghi nhận trả lời giấy mời."


@bp.route("/<int:meeting_id>/answer", methods=["POST"])
@login_required
def answer(meeting_id: int) -> WResponse | tuple[str, int]:
    """The person's own answer (or, with participant_id, an outside guest's answer recorded by the secretary)."""
    def run(m: Meeting) -> str:
        raw = request.form.get("participant_id")
        seat = attendance.get_participant(m, parse_id(raw, field="participant_id")) if raw \
            else policy.participant_of(me(), m)
        if seat is None:
            raise DomainError("Bạn không có trong thành phần cuộc họp này.")
        return _answer(m, seat)

    return _act(meeting_id, run)


@bp.route("/<int:meeting_id>/participants/<int:participant_id>/deputy", methods=["POST"])
@login_required
def deputy(meeting_id: int, participant_id: int) -> WResponse | tuple[str, int]:
    approved = request.form.get("decision") == "approve"
    return _act(meeting_id, lambda m: attendance.decide_deputy(
        me(), m, attendance.get_participant(m, participant_id), approved) and (
        "Đã đồng ý người dự thay." if approved else "Đã không đồng ý người dự thay."))


# --- rooms -----------------------------------------------------------------------------------------------


def _rooms_page(status: int = 200, form: dict[str, Any] | None = None, error_field: str | None = None
                ) -> tuple[str, int]:
    user = me()
    return render_template("meetings/meeting/rooms.html", rooms=service.rooms_of(user.organisation_id,
                                                                                  active_only=False),
                           can_manage=policy.can_manage_rooms(user, user.organisation_id), form=form or {},
                           error_field=error_field), status


@bp.route("/rooms", methods=["GET", "POST"])
@login_required
def rooms() -> WResponse | tuple[str, int]:
    if request.method == "GET":
        return _rooms_page()
    try:
        room_id = parse_optional_id(request.form.get("room_id"), field="room_id")
        data = forms.room_form(request.form)
        if room_id is None:
            service.create_room(me(), data)
        else:
            service.update_room(me(), service.get_room_in(me().organisation_id, room_id), data)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return _rooms_page(exc.status, request.form.to_dict(), exc.field)
    flash("Đã lưu phòng họp.", "success")
    return redirect(url_for("meetings.rooms"))


# --- iCalendar feed --------------------------------------------------------------------------------------


@bp.route("/feed", methods=["GET", "POST"])
@login_required
def feed() -> str:
    token = None
    if request.method == "POST":
        token = service.new_feed_token(me())
    address = url_for("meetings.feed_ics", token=token, _external=True) if token else None
    return render_template("meetings/meeting/feed.html", address=address, has_feed=service.has_feed(me()))


@bp.route("/feed/<token>.ics")
def feed_ics(token: str) -> Response:
    """No sign-in: calendar applications fetch it by its secret address alone."""
    user = service.feed_owner(token)
    if user is None:
        abort(404)
    body = calendar.ical(service.feed_meetings(user), host=request.host.split(":")[0],
                         name=f"Lịch họp — {user.full_name}", link=request.host_url.rstrip("/"))
    return Response(body, mimetype="text/calendar", headers={"Cache-Control": "private, max-age=300"})
