"""The REST API: session + CSRF header, the guardian's and reviewer's operations, one error shape."""
from __future__ import annotations

import base64
import io

import pytest

from core.hookspecs import hookimpl
from tests.web.conftest import LI_PUPIL, PASSWORD

ERROR_KEYS = {"code", "message", "message_en", "field"}


class Api:
    """A JSON client that sends the session's CSRF token as X-CSRF-Token."""

    def __init__(self, client):
        self.client = client
        self.token = client.get("/api/v1/session").get_json()["csrf_token"]

    def call(self, method: str, path: str, **kwargs):
        response = self.client.open(f"/api/v1{path}", method=method, headers={"X-CSRF-Token": self.token}, **kwargs)
        body = response.get_json(silent=True)
        if isinstance(body, dict) and "csrf_token" in body:
            self.token = body["csrf_token"]
        return response

    def login(self, username: str, password: str = PASSWORD):
        return self.call("POST", "/session", json={"username": username, "password": password})


@pytest.fixture
def api(client):
    return Api(client)


def test_session_answers_with_a_csrf_token_and_no_account(api):
    body = api.client.get("/api/v1/session").get_json()
    assert body["account"] is None and body["csrf_token"]


def test_state_changing_call_without_the_csrf_header_is_refused_in_the_error_shape(client, make_account):
    make_account("guardian-a")
    response = client.post("/api/v1/session", json={"username": "guardian-a", "password": PASSWORD})
    assert response.status_code == 400
    assert set(response.get_json()) == ERROR_KEYS and response.get_json()["code"] == "csrf_failed"


def test_login_renews_the_token(api, make_account):
    make_account("guardian-a")
    before = api.token
    response = api.login("guardian-a")
    assert response.status_code == 200 and response.get_json()["account"]["role"] == "guardian"
    assert api.token != before


def test_wrong_password_is_401_in_the_error_shape(api, make_account):
    make_account("guardian-a")
    response = api.login("guardian-a", "wrong password")
    assert response.status_code == 401 and set(response.get_json()) == ERROR_KEYS


def test_malformed_json_is_400_in_the_error_shape(api):
    response = api.call("POST", "/session", data="{not json", content_type="application/json")
    assert response.status_code == 400 and response.get_json()["code"] == "malformed_json"


@pytest.mark.parametrize("method, path, status, code", [
    ("GET", "/no-such-thing", 404, "not_found"),
    ("PATCH", "/session", 405, "method_not_allowed"),
    ("GET", "/applications", 401, "unauthenticated"),
])
def test_http_errors_share_the_shape(api, method, path, status, code):
    response = api.call(method, path)
    assert response.status_code == status
    assert set(response.get_json()) == ERROR_KEYS and response.get_json()["code"] == code


def test_too_large_body_is_413_in_the_error_shape(api, app):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = api.call("POST", "/session", data=b"x" * 4096, content_type="application/json")
    assert response.status_code == 413 and response.get_json()["code"] == "payload_too_large"


def test_unexpected_failure_is_500_in_the_error_shape(engine, clock, tmp_path):
    from web import create_app

    app = create_app({"TESTING": False, "SECRET_KEY": "k", "ENGINE": engine, "CLOCK": clock})

    @app.get("/api/v1/test-only-boom")
    def boom():
        raise RuntimeError("boom")

    response = app.test_client().get("/api/v1/test-only-boom")
    assert response.status_code == 500
    assert response.get_json() == {"code": "internal_error", "message": "系统繁忙，请稍后再试",
                                   "message_en": "internal error; please try again later", "field": None}


def test_guardian_journey_through_the_api(api, season, catchments, family, id_number):
    face = base64.b64encode(b"live capture").decode()
    signed = api.call("POST", "/accounts", json={"username": "li", "password": PASSWORD, "name": "李大伟",
                                                 "id_number": id_number(birth="19800101", sequence=1),  # the father
                                                 "face_image": face})
    assert signed.status_code == 201 and signed.get_json()["account"]["identity_verified"] is True
    created = api.call("POST", "/applications", json={"pupil_id_number": LI_PUPIL, "pupil_name": "李小明",
                                                      "district": "东湖区"})
    assert created.status_code == 201
    application_id = created.get_json()["id"]
    record = api.call("POST", f"/applications/{application_id}/facts", json={"sources": ["pupil_record"]}).get_json()
    assert [o["source"] for o in record["outcomes"]] == ["pupil_record"]
    facts = api.call("POST", f"/applications/{application_id}/facts").get_json()
    assert {o["status"] for o in facts["outcomes"]} == {"ok"}
    chosen = api.call("PUT", f"/applications/{application_id}/basis", json={"kind": "property", "id": "P1"}).get_json()
    assert chosen["assessment"]["tier"] == 1 and chosen["assessment"]["provisional"] is True
    upload = api.call("POST", f"/applications/{application_id}/documents",
                      data={"kind": "hukou_booklet", "file": (io.BytesIO(b"%PDF-1.7\n"), "户口簿.pdf")},
                      content_type="multipart/form-data")
    assert upload.status_code == 201 and upload.get_json()["media_type"] == "application/pdf"
    assert api.call("GET", f"/documents/{upload.get_json()['id']}").data == b"%PDF-1.7\n"
    refused = api.call("POST", f"/applications/{application_id}/submit", json={})
    assert refused.status_code == 422 and refused.get_json()["field"] == "confirm"
    first = api.call("POST", f"/applications/{application_id}/submit", json={"confirm": True}).get_json()
    again = api.call("POST", f"/applications/{application_id}/submit", json={"confirm": True}).get_json()
    assert first["serial"] and first["serial"] == again["serial"] and again["state"] == "submitted"


def test_another_family_gets_404_and_nothing_of_the_application(api, submitted, make_account):
    make_account("other-parent")
    api.login("other-parent")
    response = api.call("GET", f"/applications/{submitted.id}")
    assert response.status_code == 404
    assert set(response.get_json()) == ERROR_KEYS and submitted.pupil_id_number not in response.get_data(as_text=True)
    assert api.call("GET", "/applications").get_json()["items"] == []


def test_reviewer_returns_for_materials_through_the_api(api, submitted, make_account):
    make_account("rev", role="reviewer", district="东湖区")
    api.login("rev")
    queue = api.call("GET", "/applications").get_json()["items"]
    assert [item["id"] for item in queue] == [submitted.id]
    no_reason = api.call("POST", f"/applications/{submitted.id}/decision", json={"decision": "return_for_materials"})
    assert no_reason.status_code == 422 and no_reason.get_json()["code"] == "reason_required"
    returned = api.call("POST", f"/applications/{submitted.id}/decision",
                        json={"decision": "return_for_materials", "reason": "请补充租赁备案证明"}).get_json()
    assert returned["state"] == "returned"
    assert returned["feedback"][-1]["reason"] == "请补充租赁备案证明"
    api.login("li-father")
    nothing_uploaded = api.call("POST", f"/applications/{submitted.id}/supply")
    assert nothing_uploaded.status_code == 422 and nothing_uploaded.get_json()["field"] == "file"
    upload = api.call("POST", f"/applications/{submitted.id}/documents", content_type="multipart/form-data",
                      data={"kind": "lease_registration", "file": (io.BytesIO(b"%PDF-1.7\n"), "lease.pdf")})
    assert upload.status_code == 201
    assert api.call("POST", f"/applications/{submitted.id}/supply").get_json()["state"] == "submitted"


def test_reviewer_judges_an_uploaded_document_through_the_api(api, submitted, make_account, engine, now, tmp_path):
    from core.documents import store_document
    from core.review import decide
    from core.workflow import Actor

    reviewer = make_account("rev", role="reviewer", district="东湖区")
    decide(engine, submitted.id, "return_for_materials", account=reviewer, now=now, reason="请补充租赁备案证明")
    document = store_document(engine, submitted.id, actor=Actor("li-father", "guardian", submitted.guardian_id),
                              kind="lease_registration", filename="lease.png", data=b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
                              now=now, max_bytes=1 << 20, root=tmp_path / "documents")
    api.login("rev")
    path = f"/applications/{submitted.id}/documents/{document.id}/review"
    no_reason = api.call("POST", path, json={"verdict": "rejected"})
    assert no_reason.status_code == 422 and no_reason.get_json()["field"] == "reason"
    judged = api.call("POST", path, json={"verdict": "rejected", "reason": "备案证明已过期"}).get_json()
    assert [d["review_state"] for d in judged["documents"]] == ["rejected"]
    assert judged["feedback"][-1]["reason"] == "备案证明已过期"


def test_city_admin_creates_staff_through_the_api(api, season, make_account):
    make_account("city", role="city_admin")
    api.login("city")
    created = api.call("POST", "/staff", json={"username": "op", "password": PASSWORD, "role": "operator"})
    assert created.status_code == 201 and created.get_json()["role"] == "operator"
    assert "op" in [a["username"] for a in api.call("GET", "/staff").get_json()["items"]]


def test_city_admin_disables_staff_and_sets_a_new_password_through_the_api(app, api, make_account):
    make_account("city", role="city_admin")
    make_account("rev", role="reviewer")
    api.login("city")
    reviewer = Api(app.test_client())
    reviewer.login("rev")
    assert api.call("POST", "/staff/rev/active", json={"active": "no"}).status_code == 422
    disabled = api.call("POST", "/staff/rev/active", json={"active": False})
    assert disabled.status_code == 200 and disabled.get_json()["is_active"] is False
    assert reviewer.call("GET", "/staff").status_code == 401  # its login ended at once
    assert api.call("POST", "/staff/city/active", json={"active": False}).status_code == 422  # not oneself
    assert api.call("POST", "/staff/rev/active", json={"active": True}).get_json()["is_active"] is True
    assert api.call("POST", "/staff/rev/password", json={"password": "another horse 2"}).status_code == 200
    assert Api(app.test_client()).login("rev").status_code == 401
    assert Api(app.test_client()).login("rev", "another horse 2").status_code == 200
    assert api.call("POST", "/staff/li-father/password", json={"password": "another horse 2"}).status_code == 404


def test_a_deeply_nested_body_is_malformed_json(api):
    response = api.call("POST", "/session", data="[" * 100_000 + "]" * 100_000, content_type="application/json")
    assert response.status_code == 400 and response.get_json()["code"] == "malformed_json"


def test_a_nul_character_anywhere_in_the_input_is_refused(api, make_account):
    make_account("guardian-a")
    in_body = api.call("POST", "/session", json={"username": "guardian-a\x00", "password": PASSWORD})
    in_query = api.call("GET", "/season?x=%00")
    assert in_body.status_code == in_query.status_code == 422
    assert set(in_body.get_json()) == set(in_query.get_json()) == ERROR_KEYS


def test_a_version_out_of_range_is_refused_at_the_field(api, submitted):
    api.login("li-father")
    response = api.call("POST", f"/applications/{submitted.id}/submit", json={"confirm": True, "version": 2**40})
    assert response.status_code == 422 and response.get_json()["field"] == "version"


def test_a_page_past_any_page_is_an_empty_page(api, submitted, make_account):
    make_account("rev", role="reviewer", district="东湖区")
    api.login("rev")
    response = api.call("GET", f"/applications?page={10**20}")
    assert response.status_code == 200 and response.get_json()["items"] == []


def test_a_guardian_removes_a_document_through_the_api_before_submission(api, make_account, season, catchments, family):
    make_account("li-father")
    api.login("li-father")
    application_id = api.call("POST", "/applications", json={"pupil_id_number": LI_PUPIL, "pupil_name": "李小明",
                                                               "district": "东湖区"}).get_json()["id"]
    document = api.call("POST", f"/applications/{application_id}/documents", content_type="multipart/form-data",
                        data={"kind": "other", "file": (io.BytesIO(b"%PDF-1.7\n"), "a.pdf")}).get_json()
    answer = api.call("DELETE", f"/applications/{application_id}/documents/{document['id']}")
    assert answer.status_code == 200 and answer.get_json()["documents"] == []
    again = api.call("DELETE", f"/applications/{application_id}/documents/{document['id']}")
    assert again.status_code == 404 and again.get_json()["code"] == "not_found"


def test_a_guardian_withdraws_a_draft_through_the_api_but_not_a_submitted_application(api, submitted, make_account):
    from tests.web.conftest import valid_id

    api.login("li-father")
    refused = api.call("DELETE", f"/applications/{submitted.id}")
    assert refused.status_code == 422 and refused.get_json()["code"] == "invalid_input"
    make_account("wang-parent")
    api.login("wang-parent")
    draft = api.call("POST", "/applications", json={"pupil_id_number": valid_id(LI_PUPIL[:14] + "0031"),
                                                     "pupil_name": "王小红", "district": "东湖区"}).get_json()
    assert api.call("DELETE", f"/applications/{draft['id']}").status_code == 204
    assert api.call("GET", f"/applications/{draft['id']}").status_code == 404


def test_a_face_service_that_is_down_is_503_in_the_error_shape(api, plugin_manager, season, id_number):
    class FaceServiceDown:
        @hookimpl
        def verify_identity(self, id_number, name, face_image):
            raise ConnectionError("face service refused the connection")

    plugin_manager.register(FaceServiceDown(), name="face-service-down")
    signed = api.call("POST", "/accounts", json={"username": "li", "password": PASSWORD, "name": "李大伟",
                                                 "id_number": id_number(birth="19800101", sequence=1),
                                                 "face_image": base64.b64encode(b"live capture").decode()})
    assert signed.status_code == 503
    assert signed.get_json() == {"code": "source_unavailable", "message": "人脸识别服务暂时无法使用，请稍后再试",
                                 "message_en": "the identity check is unavailable; try again later",
                                 "field": "face_image"}


def test_the_family_reads_its_seat_from_publication_on_staff_as_soon_as_it_is_stored(
        api, app, engine, season, submitted, make_account, clock, now):
    """Staff check the allocation before 学位预分配结果查询 opens; until then the family's API says
    when the result is published and names no school."""
    from core.allocation.store import allocate_season, commit_seed, reveal_seed
    from core.clock import parse_instant
    from core.review import decide
    from core.season.actions import classify_approved

    reviewer = make_account("rev", role="reviewer", district="东湖区")
    decide(engine, submitted.id, "approve", account=reviewer, now=now)
    classify_approved(engine, season.id, now, lambda: None)
    seed, _ = commit_seed(engine, season.year)
    reveal_seed(engine, season.year, seed)
    clock.set(parse_instant("2021-06-25T09:00:00+08:00"))
    allocate_season(engine, season.id, clock.now())
    api.login("li-father")
    before = api.call("GET", f"/applications/{submitted.id}").get_json()
    assert before["state"] == "allocated"
    assert before["seat"] == {"published": False, "publishes_at": "2021-06-28T00:00:00+08:00",
                              "publishes_at_text": {"zh": "6月28日 00:00", "en": "28 June 00:00"}}
    staff = Api(app.test_client())
    staff.login("rev")
    checked = staff.call("GET", f"/applications/{submitted.id}").get_json()["seat"]
    assert checked["published"] is False and checked["school"]["code"] == "dh-yuzhang"
    clock.set(parse_instant("2021-06-28T00:00:00+08:00"))
    after = api.call("GET", f"/applications/{submitted.id}").get_json()["seat"]
    assert after["published"] is True and after["school"]["code"] == "dh-yuzhang" and after["why"]["zh"]
