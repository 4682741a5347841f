from __future__ import annotations

from flask import Response, g, jsonify, request

from edoc.accounts.models import User
from edoc.api import bp
from edoc.api.openapi import document
from edoc.core.errors import NotFound, ValidationFailed
from edoc.files import policy, service
from edoc.files.models import StoredFile
from edoc.files.views import send_stored


def api_user() -> User:
    return g.api_user  # type: ignore[no-any-return]


def file_json(row: StoredFile) -> dict[str, object]:
    return {"id": row.id, "name": row.original_name, "size": row.size, "sha256": row.sha256,
            "media_type": row.media_type, "created_at": row.created_at.isoformat()}


@bp.route("/openapi.json")
def openapi() -> Response:
    return jsonify(document())


@bp.route("/me")
def me() -> Response:
    user = api_user()
    return jsonify({"id": user.id, "username": user.username, "full_name": user.full_name, "title": user.title,
                    "organisation": {"id": user.organisation_id, "name": user.organisation.name},
                    "unit": user.unit.name if user.unit else None, "roles": sorted(user.roles)})


@bp.route("/files", methods=["POST"])
def upload_multipart() -> tuple[Response, int]:
    upload = request.files.get("file")
    if upload is None:
        raise ValidationFailed("Thiếu phần “file” trong yêu cầu multipart.", field="file")
    row = service.store_upload(upload.stream, upload.filename, uploader=api_user())
    return jsonify(file_json(row)), 201


@bp.route("/uploads/<path:name>", methods=["POST"])
def upload_raw(name: str) -> tuple[Response, int]:
    """The request body is the file, streamed to the store without being parsed as a form.

    Its own collection, not ``/files/{name}``: beside ``/files/{id}`` that would be the same templated path
    (invalid OpenAPI), and a GET of /files/123 and an upload named "123" would share one URL. ``<path:...>``
    lets a name with "/" reach the name check, which refuses it with a message instead of a bare 404."""
    row = service.store_upload(request.stream, name, uploader=api_user())
    return jsonify(file_json(row)), 201


@bp.route("/files/<int:file_id>", methods=["GET"])
def file_info(file_id: int) -> Response:
    row = service.get_file(file_id)
    if not policy.can_read(api_user(), row):
        raise NotFound("Không tìm thấy tệp.")
    return jsonify(file_json(row))


@bp.route("/files/<int:file_id>/content", methods=["GET"])
def file_content(file_id: int) -> Response:
    row = service.get_file(file_id)
    if not policy.can_read(api_user(), row):
        raise NotFound("Không tìm thấy tệp.")
    return send_stored(row)
