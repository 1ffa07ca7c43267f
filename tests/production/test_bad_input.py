"""Bad input is refused in the documented error shape, never with a 500: malformed, deep and
oversized JSON, NUL characters and out-of-range numbers, ID numbers with wrong check
characters (GB 11643), uploads that lie about their type or carry paths in their names, and
rulesets that are deeply nested or huge."""
from __future__ import annotations

import copy
import io
import json
from pathlib import Path

import pytest
from werkzeug.http import parse_options_header

from core.models import Application, Document
from core.paths import ruleset_path
from core.rules import load_ruleset
from core.rules.errors import RulesetError
from sqlmodel import select

from core.db import read_session
from tests.production.conftest import ApiAs

ERROR_KEYS = {"code", "message", "message_en", "field"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
DEEP = 100_000


def assert_error(response, status: int, code: str | None = None, field: str | None = None) -> dict:
    """The answer is an error of this status in the API's one shape."""
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert set(body) == ERROR_KEYS and body["message"] and body["message_en"]
    if code:
        assert body["code"] == code
    if field:
        assert body["field"] == field
    return body


@pytest.fixture
def guardian_api(api_as, draft_application):
    guardian, application = draft_application
    return api_as(guardian), application


@pytest.fixture
def reviewer_api(api_as, make_account, season):
    return api_as(make_account("reviewer-dh", role="reviewer", district="东湖区"))


# --- JSON bodies ------------------------------------------------------------------------------

@pytest.mark.parametrize("body, content_type", [
    (b'{"confirm": tru', "application/json"),
    (b"[true]", "application/json"),
    (b'"confirm"', "application/json"),
    (b'{"confirm": "\xff\xfe"}', "application/json"),
    (b'{"confirm": true}', "text/plain"),
    (b"", "application/json"),
], ids=["truncated", "array", "string", "invalid-utf8", "wrong-content-type", "empty"])
def test_a_body_that_is_not_a_json_object_is_malformed_json(guardian_api, body, content_type):
    api, application = guardian_api
    response = api.call("POST", f"/api/v1/applications/{application.id}/submit", data=body,
                        headers={"Content-Type": content_type})
    assert_error(response, 400, "malformed_json")


def test_a_deeply_nested_json_body_is_malformed_json_not_a_crash(guardian_api):
    api, application = guardian_api
    response = api.call("POST", f"/api/v1/applications/{application.id}/submit",
                        data="[" * DEEP + "]" * DEEP, headers={"Content-Type": "application/json"})
    assert_error(response, 400, "malformed_json")


def test_a_json_body_over_the_request_limit_is_413(guardian_api, app):
    api, application = guardian_api
    padding = "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = api.call("PUT", f"/api/v1/applications/{application.id}/basis",
                        json={"kind": "property", "id": padding})
    assert_error(response, 413, "payload_too_large")


def test_a_nul_character_in_a_json_field_is_refused_not_a_crash(app, season):
    anonymous = ApiAs(app, {}, {})
    token = anonymous.call("GET", "/api/v1/session").get_json()["csrf_token"]
    response = anonymous.call("POST", "/api/v1/session", json={"username": "li\x00", "password": "whatever-1"},
                              headers={"X-CSRF-Token": token})
    assert response.status_code in (400, 401, 422)
    assert set(response.get_json()) == ERROR_KEYS


def test_a_nul_character_in_a_queue_filter_is_refused_not_a_crash(reviewer_api):
    response = reviewer_api.call("GET", "/api/v1/applications?state=%00")
    assert response.status_code < 500
    assert response.get_json().get("items") == [] or set(response.get_json()) == ERROR_KEYS


def test_a_page_number_past_any_page_is_not_a_crash(reviewer_api):
    response = reviewer_api.call("GET", f"/api/v1/applications?page={10**20}")
    assert response.status_code < 500


@pytest.mark.parametrize("version", [2**40, 2**70], ids=["past-32-bits", "past-64-bits"])
def test_a_version_past_any_version_is_a_conflict_not_a_crash(guardian_api, version):
    api, application = guardian_api
    response = api.call("POST", f"/api/v1/applications/{application.id}/submit",
                        json={"confirm": True, "version": version})
    assert response.status_code in (409, 422) and set(response.get_json()) == ERROR_KEYS


def test_an_id_in_a_url_past_32_bits_is_404_not_a_database_error(guardian_api):
    api, _ = guardian_api
    for path in (f"/api/v1/applications/{2**31}", f"/api/v1/applications/{2**64}", f"/api/v1/documents/{10**30}"):
        assert_error(api.call("GET", path), 404, "not_found")


# --- ID numbers -------------------------------------------------------------------------------

def _wrong_check_character(number: str) -> str:
    return number[:17] + ("0" if number[17] != "0" else "1")


@pytest.mark.parametrize("mangle", [
    _wrong_check_character,
    lambda n: n[:17] + ("X" if n[17] != "X" else "0"),
    lambda n: n[:15],
    lambda n: "３６" + n[2:],  # full-width digits typed on a phone keyboard
    lambda n: n[:6] + "20091331" + n[14:],  # 31 December 2009 written as month 13
], ids=["wrong-check-digit", "x-instead-of-digit", "old-15-digit", "full-width-digits", "impossible-birth-date"])
def test_pupil_id_number_that_fails_gb11643_is_refused_at_its_field(guardian_api, engine, id_number, mangle):
    api, _ = guardian_api
    number = mangle(id_number(sequence=7))
    response = api.call("POST", "/api/v1/applications",
                        json={"pupil_id_number": number, "pupil_name": "王小红", "district": "东湖区"})
    assert_error(response, 422, field="pupil_id_number")
    with read_session(engine) as session:
        assert session.exec(select(Application).where(Application.pupil_id_number == number)).first() is None


def test_guardian_id_number_with_a_wrong_check_character_is_refused_at_sign_up(app, season, id_number):
    anonymous = ApiAs(app, {}, {})
    token = anonymous.call("GET", "/api/v1/session").get_json()["csrf_token"]
    number = _wrong_check_character(id_number(birth="19800101", sequence=11))
    response = anonymous.call("POST", "/api/v1/accounts", headers={"X-CSRF-Token": token}, json={
        "username": "new-guardian", "password": "long enough 1", "name": "李四", "id_number": number})
    assert_error(response, 422, field="id_number")


# --- uploads ----------------------------------------------------------------------------------

def _upload(api, application_id: int, data: bytes, filename: str, content_type: str = "application/octet-stream"):
    return api.call("POST", f"/api/v1/applications/{application_id}/documents", content_type="multipart/form-data",
                    data={"kind": "hukou_booklet", "file": (io.BytesIO(data), filename, content_type)})


@pytest.mark.parametrize("filename", [
    "../../../../etc/passwd.png", "..\\..\\windows\\win.ini.png", "/var/lib/xuewei/instance/secret_key.png",
    "C:\\Users\\li\\户口簿.png", "户口簿\x00.png", "..", "<script>.png",
])
def test_upload_names_with_paths_keep_only_a_harmless_last_part(guardian_api, engine, app, filename):
    api, application = guardian_api
    response = _upload(api, application.id, PNG, filename, "image/png")
    assert response.status_code == 201, response.get_data(as_text=True)
    stored = response.get_json()["filename"]
    assert not set(stored) & set("/\\\x00\r\n:") and ".." not in stored.split(".")[0:1]
    root = Path(app.config["DOCUMENTS_DIR"]).resolve()
    blobs = [p.resolve() for p in root.rglob("*") if p.is_file()]
    assert blobs and all(root in p.parents for p in blobs)
    with read_session(engine) as session:
        assert session.exec(select(Document.filename)).all() == [stored]


@pytest.mark.parametrize("data, filename, content_type", [
    (b"<html><script>alert(1)</script></html>", "photo.png", "image/png"),
    (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "photo.png", "image/png"),
    (b"MZ\x90\x00" + b"\x00" * 64, "contract.pdf", "application/pdf"),
    (b"GIF89a" + b"\x00" * 64, "photo.jpg", "image/jpeg"),
], ids=["html-as-png", "svg-as-png", "exe-as-pdf", "gif-as-jpeg"])
def test_upload_whose_content_is_not_what_it_claims_is_refused(guardian_api, data, filename, content_type):
    api, application = guardian_api
    assert_error(_upload(api, application.id, data, filename, content_type), 422, field="file")


def test_upload_past_the_document_limit_is_refused_at_the_file_field(guardian_api, app):
    api, application = guardian_api
    too_big = PNG + b"\x00" * app.config["MAX_DOCUMENT_BYTES"]
    assert_error(_upload(api, application.id, too_big, "big.png", "image/png"), 422, field="file")


def test_an_uploaded_png_is_served_back_as_an_attachment_never_inline(guardian_api):
    api, application = guardian_api
    document = _upload(api, application.id, PNG, "<b>名</b>.png", "image/png").get_json()
    response = api.call("GET", f"/api/v1/documents/{document['id']}")
    assert response.status_code == 200 and response.data == PNG
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["Content-Disposition"].startswith("attachment")
    response.headers["Content-Disposition"].encode("latin-1")  # a header a WSGI server can send
    assert parse_options_header(response.headers["Content-Disposition"])[1]["filename"] == document["filename"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


# --- rulesets ---------------------------------------------------------------------------------

def _ruleset_text_with_nesting(depth: int) -> str:
    """The 2021 ruleset with its first predicate wrapped in `depth` negations (built as text:
    the json module itself gives up on deep nesting)."""
    document = json.loads(ruleset_path(2021).read_text())
    name = next(iter(document["predicates"]))
    document["predicates"][name]["when"] = "@@"
    inner = json.dumps({"===": [{"var": "pupil.name"}, "x"]})
    return json.dumps(document, ensure_ascii=False).replace('"@@"', '{"!": [' * depth + inner + "]}" * depth)


def test_a_deeply_nested_ruleset_expression_is_refused_as_a_ruleset_error():
    with pytest.raises(RulesetError) as refused:
        load_ruleset(json.loads(_ruleset_text_with_nesting(200)))
    assert refused.value.problems[0].pointer.startswith("/predicates/")
    assert "nested more than" in refused.value.problems[0].message


def test_a_huge_ruleset_is_refused_with_its_problems_not_loaded():
    document = json.loads(ruleset_path(2021).read_text())
    for n in range(20_000):
        document["predicates"][f"p{n}"] = copy.deepcopy(next(iter(document["predicates"].values())))
        document["predicates"][f"p{n}"]["label"] = {"zh": "无用" * 20, "en": "unused " * 20, "extra": n}
    with pytest.raises(RulesetError) as refused:
        load_ruleset(document)
    assert len(refused.value.problems) >= 20_000
    assert str(refused.value).startswith("/predicates/p")


@pytest.mark.parametrize("payload", [
    b"[" * DEEP + b"]" * DEEP,
    _ruleset_text_with_nesting(500).encode(),
], ids=["deep-json", "deep-expression"])
def test_admin_upload_of_a_deeply_nested_ruleset_is_refused_not_a_crash(api_as, make_account, season, payload):
    admin = api_as(make_account("city-admin-1", role="city_admin"))
    response = admin.call("POST", "/admin/rulesets/new", content_type="multipart/form-data",
                          data={"file": (io.BytesIO(payload), "ruleset.json", "application/json")})
    assert response.status_code == 422
