"""The OpenAPI 3.1 document of /api/v1, served at /api/v1/openapi.json (a test keeps it in step with the routes)."""
from __future__ import annotations

from typing import Any

from flask import jsonify

from web.api import bp
from web.security import CSRF_HEADER

__all__ = ["openapi_document"]

_JSON = "application/json"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _answer(description: str, schema: str | None = None, media: str = _JSON) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": description}
    if schema:
        answer["content"] = {media: {"schema": _ref(schema)}}
    return answer


_ERRORS = {str(code): {"$ref": f"#/components/responses/Error{code}"} for code in (400, 401, 403, 404, 409, 422, 429, 503)}


def _op(summary: str, ok: dict[str, Any], *, body: str | None = None, params: list | None = None,
        status: str = "200", errors: tuple[str, ...] = ("400", "401", "403", "404", "409", "422"),
        auth: bool = True, multipart: str | None = None) -> dict[str, Any]:
    operation: dict[str, Any] = {"summary": summary, "responses": {status: ok, **{e: _ERRORS[e] for e in errors}}}
    if params:
        operation["parameters"] = params
    if body:
        operation["requestBody"] = {"required": True, "content": {_JSON: {"schema": _ref(body)}}}
    if multipart:
        operation["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": _ref(multipart)}}}
    if not auth:
        operation["security"] = []
    return operation


def _path_id(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}


def _query(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema}


_APP = [_path_id("application_id")]
_USER = [{"name": "username", "in": "path", "required": True, "schema": {"type": "string"}}]
_STR = {"type": "string"}
_NULLABLE_STR = {"type": ["string", "null"]}

SCHEMAS: dict[str, Any] = {
    "Error": {"type": "object", "required": ["code", "message", "message_en", "field"], "properties": {
        "code": _STR, "message": {**_STR, "description": "zh-CN"}, "message_en": _STR, "field": _NULLABLE_STR}},
    "Account": {"type": "object", "properties": {
        "id": {"type": "integer"}, "username": _STR, "role": {"enum": ["guardian", "reviewer", "district_admin",
                                                                          "city_admin", "operator"]},
        "district": _NULLABLE_STR, "display_name": _STR, "is_active": {"type": "boolean"},
        "identity_verified": {"type": "boolean"}}},
    "Session": {"type": "object", "required": ["csrf_token"], "properties": {
        "account": {"oneOf": [_ref("Account"), {"type": "null"}]}, "csrf_token": _STR}},
    "Login": {"type": "object", "required": ["username", "password"], "properties": {
        "username": _STR, "password": _STR, "face_image": {"type": "string", "contentEncoding": "base64"}}},
    "SignUp": {"type": "object", "required": ["username", "password", "name", "id_number"], "properties": {
        "username": _STR, "password": {"type": "string", "minLength": 8}, "name": _STR,
        "id_number": {"type": "string", "description": "the guardian's GB 11643 resident ID"},
        "face_image": {"type": "string", "contentEncoding": "base64"}}},
    "StaffCreate": {"type": "object", "required": ["username", "password", "role"], "properties": {
        "username": _STR, "password": {"type": "string", "minLength": 8},
        "role": {"enum": ["reviewer", "district_admin", "city_admin", "operator"]},
        "district": {**_STR, "description": "required for reviewer and district_admin"}, "display_name": _STR}},
    "StaffActive": {"type": "object", "required": ["active"], "properties": {"active": {"type": "boolean"}}},
    "StaffPassword": {"type": "object", "required": ["password"], "properties": {
        "password": {"type": "string", "minLength": 8}}},
    "AccountList": {"type": "object", "properties": {"items": {"type": "array", "items": _ref("Account")}}},
    "Season": {"type": "object", "properties": {"season": {"type": "object"}, "phase": {"type": ["object", "null"]},
                                                "districts": {"type": "array", "items": {"type": "object"}}}},
    "ApplicationSummary": {"type": "object", "properties": {
        "id": {"type": "integer"}, "serial": _NULLABLE_STR, "state": _STR, "district": _STR, "pupil_name": _STR,
        "submitted_at": {"type": ["string", "null"], "format": "date-time"}}},
    "ApplicationList": {"type": "object", "properties": {
        "items": {"type": "array", "items": _ref("ApplicationSummary")}, "has_more": {"type": "boolean"},
        "page": {"type": "integer"}}},
    "Application": {"type": "object", "properties": {
        "id": {"type": "integer"}, "serial": _NULLABLE_STR, "state": _STR, "state_label": {"type": "object"},
        "version": {"type": "integer"}, "district": _STR, "pupil_name": _STR, "pupil_id_number": _STR,
        "residence_basis": {"type": ["object", "null"]}, "facts": {"type": "object"},
        "sources": {"type": "array", "items": {"type": "object", "properties": {
            "source": _STR, "status": {"enum": ["waiting", "fetched", "failed", "none"]},
            "fetched_at": _NULLABLE_STR, "connector": _NULLABLE_STR}}},
        "documents": {"type": "array", "items": _ref("Document")},
        "assessment": {"type": ["object", "null"], "description": "eligible, tier, reasons, trace, provisional"},
        "basis_options": {"type": "array", "items": {"type": "object"}},
        "transitions": {"type": "array", "items": {"type": "object"}},
        "feedback": {"type": "array", "items": {"type": "object"}}, "seat": {"type": ["object", "null"]},
        "window": {"type": ["object", "null"], "description": "the district's collection window: state, message"},
        "other_school_district": {"type": ["string", "null"], "description": "the primary school's district when the "
                                  "school record places it in another urban district than the application's (§2.2)"}}},
    "ApplicationCreate": {"type": "object", "required": ["pupil_id_number", "pupil_name", "district"], "properties": {
        "pupil_id_number": _STR, "pupil_name": _STR, "district": _STR}},
    "FactsRequest": {"type": "object", "properties": {"sources": {"type": "array", "items": _STR}}},
    "FactsResult": {"type": "object", "properties": {"state": _STR, "outcomes": {"type": "array", "items": {
        "type": "object"}}, "application": _ref("Application")}},
    "Basis": {"type": "object", "required": ["kind"], "properties": {
        "kind": {"enum": ["property", "lease", "demolition"]}, "id": _STR}},
    "Upload": {"type": "object", "required": ["kind", "file"], "properties": {
        "kind": _STR, "file": {"type": "string", "contentMediaType": "application/octet-stream"}}},
    "Document": {"type": "object", "properties": {
        "id": {"type": "integer"}, "kind": _STR, "filename": _STR,
        "media_type": {"enum": ["application/pdf", "image/jpeg", "image/png"]}, "size": {"type": "integer"},
        "sha256": _STR, "review_state": {"enum": ["pending", "accepted", "rejected"]}}},
    "DocumentReview": {"type": "object", "required": ["verdict"], "properties": {
        "verdict": {"enum": ["accepted", "rejected"]},
        "reason": {**_STR, "description": "required to reject; the guardian reads it"}}},
    "Submit": {"type": "object", "required": ["confirm"], "properties": {
        "confirm": {"const": True, "description": "提交后不可修改 / cannot be changed afterwards"},
        "version": {"type": "integer"}}},
    "Submitted": {"type": "object", "properties": {"id": {"type": "integer"}, "serial": _STR, "state": _STR}},
    "Decision": {"type": "object", "required": ["decision"], "properties": {
        "decision": {"enum": ["approve", "return_for_materials", "reject"]},
        "reason": {**_STR, "description": "required to return or reject; the guardian reads it"},
        "version": {"type": "integer"}}},
}

PATHS: dict[str, Any] = {
    "/session": {
        "get": _op("Who is logged in, and the CSRF token", _answer("the session", "Session"), errors=(), auth=False),
        "post": _op("Log in (renews the session and token)", _answer("logged in", "Session"), body="Login",
                    errors=("400", "401", "422", "429", "503"), auth=False),
        "delete": _op("Log out", _answer("logged out", "Session"), errors=("400",), auth=False),
    },
    "/accounts": {"post": _op("Guardian sign-up with the identity check", _answer("signed up and logged in", "Session"),
                              body="SignUp", status="201", errors=("400", "422", "503"), auth=False)},
    "/staff": {
        "get": _op("Staff accounts (city administrator)", _answer("staff", "AccountList"), errors=("401", "403")),
        "post": _op("Create a staff account (city administrator)", _answer("created", "Account"), body="StaffCreate",
                    status="201", errors=("400", "401", "403", "422")),
    },
    "/staff/{username}/active": {"post": _op(
        "Disable a staff account (its logins end at once) or enable it (city administrator; not oneself, not the "
        "last active city administrator)", _answer("the account", "Account"), body="StaffActive", params=_USER,
        errors=("400", "401", "403", "404", "422"))},
    "/staff/{username}/password": {"post": _op(
        "Set a staff account's new password; its logins end (city administrator)", _answer("the account", "Account"),
        body="StaffPassword", params=_USER, errors=("400", "401", "403", "404", "422"))},
    "/season": {"get": _op("Season phase and district windows", _answer("season", "Season"), errors=("404",),
                           auth=False)},
    "/applications": {
        "get": _op("A guardian's applications, or the review queue for staff", _answer("list", "ApplicationList"),
                   params=[_query("state", _STR), _query("district", _STR),
                           _query("problem", {"enum": ["documents", "resubmitted", "facts_pending"]}),
                           _query("page", {"type": "integer", "minimum": 1}),
                           _query("q", {"type": "string", "maxLength": 40})], errors=("401", "403", "422")),
        "post": _op("Start an application (the school record must name the caller as a guardian)",
                    _answer("created", "Application"), body="ApplicationCreate", status="201",
                    errors=("400", "401", "403", "404", "409", "422", "503")),
    },
    "/applications/{application_id}": {
        "get": _op("One application", _answer("the application", "Application"), params=_APP,
                   errors=("401", "403", "404")),
        "delete": _op("Withdraw a draft before submitting it", {"description": "withdrawn"}, params=_APP,
                      status="204", errors=("400", "401", "403", "404", "422"))},
    "/applications/{application_id}/facts": {"post": {
        **_op("Fetch facts from the data sources", _answer("per-source outcomes", "FactsResult"), params=_APP),
        "requestBody": {"required": False, "content": {_JSON: {"schema": _ref("FactsRequest")}}}}},
    "/applications/{application_id}/basis": {"put": _op("Choose the residence basis",
                                                        _answer("the application", "Application"), body="Basis",
                                                        params=_APP)},
    "/applications/{application_id}/documents": {"post": _op(
        "Upload a PDF, JPEG or PNG (type read from the content)", _answer("stored", "Document"), params=_APP,
        status="201", multipart="Upload", errors=("400", "401", "403", "404", "422"))},
    "/applications/{application_id}/documents/{document_id}": {"delete": _op(
        "Remove a document uploaded by mistake, before submission", _answer("the application", "Application"),
        params=[*_APP, _path_id("document_id")], errors=("400", "401", "403", "404", "422"))},
    "/applications/{application_id}/documents/{document_id}/review": {"post": _op(
        "Accept a document, or reject it with the reason the guardian reads", _answer("the application", "Application"),
        body="DocumentReview", params=[*_APP, _path_id("document_id")])},
    "/documents/{document_id}": {"get": _op("A document's bytes", {"description": "the file", "content": {
        m: {"schema": {"type": "string", "contentMediaType": m}} for m in ("application/pdf", "image/jpeg", "image/png")}},
        params=[_path_id("document_id")], errors=("401", "403", "404"))},
    "/applications/{application_id}/submit": {"post": _op("Submit (idempotent: the same serial again)",
                                                          _answer("submitted", "Submitted"), body="Submit",
                                                          params=_APP)},
    "/applications/{application_id}/supply": {"post": _op("Send a returned application back for review",
                                                          _answer("the application", "Application"), params=_APP)},
    "/applications/{application_id}/decision": {"post": _op("Approve, return for materials or reject",
                                                            _answer("the application", "Application"), body="Decision",
                                                            params=_APP)},
    "/openapi.json": {"get": _op("This document", {"description": "OpenAPI 3.1", "content": {_JSON: {
        "schema": {"type": "object"}}}}, errors=(), auth=False)},
}

_ERROR_TEXT = {400: "malformed request, bad JSON or CSRF token missing", 401: "not logged in", 403: "not allowed",
               404: "not found", 409: "workflow conflict (state or version changed)", 422: "invalid input",
               429: "too many login attempts", 503: "a data source or service needed now cannot be asked; try again later"}


def openapi_document(server_url: str = "/api/v1") -> dict[str, Any]:
    """The whole document; every path is relative to the server URL /api/v1."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "xuewei API", "version": "1.0.0",
                 "description": "南昌市小升初报名 REST API. Errors share one shape (Error). Browser clients send "
                                f"the session cookie and the {CSRF_HEADER} header from GET /session on every "
                                "POST, PUT and DELETE."},
        "servers": [{"url": server_url}],
        "security": [{"session": [], "csrf": []}],
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "responses": {f"Error{code}": _answer(text, "Error") for code, text in _ERROR_TEXT.items()},
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "xuewei_session"},
                "csrf": {"type": "apiKey", "in": "header", "name": CSRF_HEADER},
            },
        },
    }


@bp.get("/openapi.json")
def openapi_json():
    """The OpenAPI document of this API."""
    return jsonify(openapi_document())
