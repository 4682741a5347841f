"""How errors reach people: a Vietnamese page for the browser, JSON for /api/; never a bare 500 for bad input."""

from __future__ import annotations

import logging
import unicodedata
from urllib.parse import urljoin, urlsplit

from flask import Flask, Response, g, jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from edoc.core.db import db, is_busy
from edoc.core.errors import DomainError

log = logging.getLogger(__name__)

MESSAGES = {
    400: "Yêu cầu không hợp lệ.",
    401: "Bạn cần đăng nhập để tiếp tục.",
    403: "Bạn không có quyền thực hiện thao tác này.",
    404: "Không tìm thấy trang hoặc dữ liệu yêu cầu.",
    405: "Phương thức không được hỗ trợ.",
    409: "Thao tác xung đột với trạng thái hiện tại.",
    413: "Tệp hoặc dữ liệu gửi lên vượt quá dung lượng cho phép.",
    415: "Loại tệp không được hỗ trợ.",
    429: "Quá nhiều yêu cầu, vui lòng thử lại sau.",
    500: "Đã xảy ra lỗi hệ thống. Sự cố đã được ghi lại.",
    503: "Dịch vụ tạm thời không sẵn sàng.",
}


BUSY_MESSAGE = "Hệ thống đang bận, vui lòng thử lại sau ít giây."
SIGN_IN_FIRST = "Vui lòng đăng nhập để tiếp tục."


_PROBE_BASE = "http://edoc.invalid/"


def local_path(target: str | None) -> str | None:
    r"""``target`` if it is a path on this site, else None: the one check for ``next`` and any other address a
    request names for us to send the browser to (an open redirect otherwise).

    Strict, because browsers are lenient: they drop tabs and newlines anywhere in a URL and spaces and control
    characters at its ends (``/\t/evil.example`` becomes ``//evil.example``, another host), read ``\`` as ``/``,
    and a header with a newline is a 500 in Werkzeug. So: a single leading ``/``, no backslash, no control or
    format character and no whitespace anywhere, all of it still true of its NFKC form (``/\uff0f/`` is ``//``
    there); and joined to an address of ours it must stay on our host, with no scheme or host of its own."""
    if not target or not isinstance(target, str) or len(target) > 2048:
        return None
    for form in (target, unicodedata.normalize("NFKC", target)):
        if not form.startswith("/") or form.startswith("//") or "\\" in form:
            return None
        if any(ch.isspace() or unicodedata.category(ch)[0] in "CZ" for ch in form):
            return None
        parts = urlsplit(form)
        if parts.scheme or parts.netloc or urlsplit(urljoin(_PROBE_BASE, form)).netloc != "edoc.invalid":
            return None
    return target


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def error_response(status: int, message: str, code: str, field: str | None = None) -> tuple[Response | str, int]:
    if wants_json():
        body: dict[str, object] = {"error": {"code": code, "message": message}}
        if field:
            body["error"]["field"] = field  # type: ignore[index]
        return jsonify(body), status
    return render_template("errors/error.html", status=status, message=message), status


def _size(limit: int) -> str:
    mib = limit / (1024 * 1024)
    return f"{mib:g} MB" if mib >= 1 else f"{limit // 1024} KB"


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(exc: DomainError) -> tuple[Response | str, int]:
        db.session.rollback()
        return error_response(exc.status, exc.message, exc.code, exc.field)

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError) -> tuple[Response | str, int]:
        return error_response(
            400, "Thiếu hoặc sai mã bảo vệ biểu mẫu (CSRF). Hãy tải lại trang và thử lại.", "csrf_failed"
        )

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(exc: RequestEntityTooLarge) -> tuple[Response | str, int]:
        # the request's own limit where a view set one (JSON bodies: edoc.api.JSON_MAX_BYTES), else the app's
        limit = request.max_content_length or 0
        return error_response(
            413, f"Tệp hoặc dữ liệu gửi lên vượt quá dung lượng cho phép ({_size(limit)}).", "too_large"
        )

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response | HTTPException:
        status = exc.code or 500
        if status < 400:
            return exc
        response = make_response(*error_response(status, MESSAGES.get(status, exc.description or ""),
                                                 exc.name.lower().replace(" ", "_")))
        # Werkzeug's own answer carries headers the status needs (Allow on a 405, as RFC 9110 requires;
        # WWW-Authenticate, Retry-After); the page made here in its place keeps them
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(DBAPIError)
    def _database(exc: DBAPIError) -> tuple[Response | str, int] | Response:
        if not is_busy(exc):
            return _unexpected(exc)
        return _busy(exc.orig)

    @app.errorhandler(PoolTimeout)
    def _no_connection(exc: PoolTimeout) -> Response:
        # Every pooled connection taken for the pool's whole timeout: a crowd, not a fault (under gevent a
        # worker holds hundreds of requests at once), answered like a busy database
        return _busy(exc)

    def _busy(reason: object) -> Response:
        db.session.rollback()
        log.warning("database busy on %s %s: %s", request.method, request.path, reason)
        _render_as_visitor()
        response, status = error_response(503, BUSY_MESSAGE, "busy")
        response = make_response(response, status)
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> tuple[Response | str, int]:
        db.session.rollback()
        log.exception("unhandled error on %s %s", request.method, request.path)
        if isinstance(exc, SQLAlchemyError):
            _render_as_visitor()
        return error_response(500, MESSAGES[500], "internal_error")


def _render_as_visitor() -> None:
    """After a database failure the error page must not touch the database again: the page header would reload
    the signed-in user's row (expired by the rollback) and count their notifications, failing a second time in
    the error handler itself. Flask-Login keeps the request's user in ``g._login_user``; a visitor needs no row."""
    from flask_login import AnonymousUserMixin

    g._login_user = AnonymousUserMixin()
