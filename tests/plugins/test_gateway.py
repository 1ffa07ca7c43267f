"""The gateway connector over real HTTP on 127.0.0.1: answers, and every way a source fails."""
from __future__ import annotations

import pytest
from sqlmodel import select

import plugins.gateway
from core.connectors import Status, source_named
from core.connectors.records import store_answers
from core.db import read_session, write_session
from core.models import ConnectorCall, FactRecord
from plugins.gateway.config import ConfigError, load_config

from plugin_test_data import ADDRESS, FATHER, PUPIL

HUKOU = {"pupil": {"id_number": PUPIL, "hukou": {"address": ADDRESS, "head_relation": "father",
                                                 "collective": False, "since": "2010-01-05"}},
         "guardians": [{"relation": "father", "id_number": FATHER,
                        "hukou": {"address": ADDRESS, "head_relation": "father", "collective": False}}]}
LEASES = {"leases": [{"id": "L1", "address": ADDRESS, "registered": True, "registered_on": "2019-08-01",
                      "start": "2019-08-01", "end": "2022-07-31", "tenant_relation": "father"}]}


@pytest.fixture
def runtime(xuewei_runtime):
    return xuewei_runtime(plugins.gateway)


def configure(gateway_config, base_url, *sources, **settings):
    settings = {"timeout": 10.0, "retries": 0, **settings}
    gateway_config({name: {"base_url": base_url, **settings} for name in sources})


def test_gateway_answer_becomes_valid_facts_with_digest(runtime, gateway_server, gateway_config, family):
    base_url, state = gateway_server
    configure(gateway_config, base_url, "hukou", "leases",
              auth_header="Authorization: Bearer ${GATEWAY_TOKEN_FOR_TEST}")
    state.answer("hukou", HUKOU)
    state.answer("leases", LEASES)
    result = runtime.fetch_facts(PUPIL, family, sources=["hukou", "leases"])
    assert result.complete and result.failed == ()
    assert result.facts["pupil"]["hukou"]["head_relation"] == "father"
    assert result.facts["guardians"][0]["hukou"]["address"]["street"] == "八一大道"
    assert result.facts["leases"][0]["registered"] is True
    assert result.facts["sources"]["leases"]["connector"] == "gateway:leases"
    assert len(result.fragments["hukou"].digest) == 64
    headers, query = next((h, q) for source, h, q in state.requests if source == "hukou")
    assert query == {"id_numbers": family}
    assert headers["Authorization"].startswith("Bearer ")


def test_gateway_sends_the_token_from_the_environment(runtime, gateway_server, gateway_config,
                                                      family, monkeypatch):
    base_url, state = gateway_server
    monkeypatch.setenv("GATEWAY_TOKEN_FOR_TEST", "s3cret")
    configure(gateway_config, base_url, "leases", auth_header="X-Api-Key: ${GATEWAY_TOKEN_FOR_TEST}")
    state.answer("leases", LEASES)
    runtime.fetch_facts(PUPIL, family, sources=["leases"])
    assert state.requests[0][1]["X-Api-Key"] == "s3cret"


def test_unconfigured_source_is_unanswered_not_failed(runtime, gateway_server, gateway_config, family):
    base_url, _ = gateway_server
    configure(gateway_config, base_url, "hukou")
    result = runtime.fetch_facts(PUPIL, family, sources=["leases"])
    assert result.complete and result.unanswered == ("leases",)
    assert "leases" not in result.facts


def test_gateway_404_means_the_source_knows_nobody(runtime, gateway_server, gateway_config, family):
    base_url, _ = gateway_server
    configure(gateway_config, base_url, "business")
    result = runtime.fetch_facts(PUPIL, family, sources=["business"])
    assert result.unanswered == ("business",) and result.outcomes[0].status is Status.ok


def test_slow_gateway_is_a_failed_call_after_its_timeout(runtime, gateway_server, gateway_config, family):
    base_url, state = gateway_server
    configure(gateway_config, base_url, "hukou", timeout=0.2)
    state.answer("hukou", HUKOU, delay=1.5)
    result = runtime.fetch_facts(PUPIL, family, sources=["hukou"])
    outcome = result.outcomes[0]
    assert outcome.status is Status.failed and result.failed == ("hukou",)
    assert "0.2s" in outcome.error and outcome.connector == "gateway"
    assert "pupil" not in result.facts


def test_gateway_500_is_retried_then_failed(runtime, gateway_server, gateway_config, family):
    base_url, state = gateway_server
    configure(gateway_config, base_url, "properties", retries=2)
    state.answer("properties", {"error": "database busy"}, status=500)
    result = runtime.fetch_facts(PUPIL, family, sources=["properties"])
    outcome = result.outcomes[0]
    assert outcome.status is Status.failed and outcome.attempts == 3
    assert "HTTP 500" in outcome.error and len(state.requests) == 3
    assert result.fragments == {}


def test_malformed_json_is_invalid_and_not_retried(runtime, gateway_server, gateway_config, family):
    base_url, state = gateway_server
    configure(gateway_config, base_url, "leases", retries=2)
    state.answer("leases", b'{"leases": [')
    result = runtime.fetch_facts(PUPIL, family, sources=["leases"])
    outcome = result.outcomes[0]
    assert outcome.status is Status.invalid and outcome.attempts == 1
    assert "malformed JSON" in outcome.error and result.failed == ("leases",)


def test_wrong_schema_is_invalid_and_names_the_path(runtime, gateway_server, gateway_config, family):
    base_url, state = gateway_server
    configure(gateway_config, base_url, "leases")
    wrong = {"leases": [{**LEASES["leases"][0], "registered": "yes"}]}
    state.answer("leases", wrong)
    result = runtime.fetch_facts(PUPIL, family, sources=["leases"])
    outcome = result.outcomes[0]
    assert outcome.status is Status.invalid
    assert "$.leases[0].registered" in outcome.error
    assert "leases" not in result.facts and "leases" not in result.fragments


def test_connection_refused_is_a_failed_call(runtime, gateway_config, closed_port, family):
    configure(gateway_config, f"http://127.0.0.1:{closed_port}/share", "hukou", retries=1)
    result = runtime.fetch_facts(PUPIL, family, sources=["hukou"])
    outcome = result.outcomes[0]
    assert outcome.status is Status.failed and outcome.attempts == 2
    assert "unreachable" in outcome.error


def test_failed_sources_leave_recorded_outcomes_and_no_partial_facts(
        runtime, gateway_server, gateway_config, closed_port, family, draft_application, engine):
    base_url, state = gateway_server
    gateway_config({
        "hukou": {"base_url": base_url, "timeout": 10.0, "retries": 0},
        "leases": {"base_url": base_url, "timeout": 10.0, "retries": 0},
        "properties": {"base_url": base_url, "timeout": 10.0, "retries": 0},
        "business": {"base_url": f"http://127.0.0.1:{closed_port}/share", "retries": 0},
    })
    state.answer("hukou", HUKOU)
    state.answer("leases", b"<html>gateway error</html>")
    state.answer("properties", {"error": "down"}, status=503)
    _, application = draft_application
    result = runtime.fetch_facts(PUPIL, family, sources=["hukou", "leases", "properties", "business"])
    assert set(result.failed) == {"leases", "properties", "business"}
    with write_session(engine) as session:
        store_answers(session, application.id, result.fragments.values(), result.outcomes)
    with read_session(engine) as session:
        calls = session.exec(select(ConnectorCall).where(ConnectorCall.application_id == application.id)).all()
        facts = session.exec(select(FactRecord).where(FactRecord.application_id == application.id)).all()
    assert {(c.source, c.outcome) for c in calls} == {
        ("hukou", "ok"), ("leases", "invalid"), ("properties", "failed"), ("business", "failed")}
    assert {(f.source, f.connector) for f in facts if f.source != "sandbox"} == {("hukou", "gateway")}


def test_malformed_config_names_the_file_and_key(tmp_path):
    path = tmp_path / "gateway.toml"
    path.write_text('[sources.hukou]\nbase_url = "ftp://nowhere"\n')
    with pytest.raises(ConfigError, match=r"sources\.hukou\.base_url"):
        load_config(path)
    path.write_text("[sources.hukou\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path)


def test_config_in_toml_with_defaults(tmp_path):
    path = tmp_path / "gateway.toml"
    path.write_text('[defaults]\ntimeout = 3\nretries = 1\n\n'
                    '[sources.leases]\nbase_url = "https://gw.example/share/"\n')
    entry = load_config(path).sources["leases"]
    assert (entry.url, entry.timeout, entry.retries) == ("https://gw.example/share/leases", 3.0, 1)


def test_unknown_source_in_config_is_an_error(tmp_path):
    path = tmp_path / "gateway.json"
    path.write_text('{"sources": {"hukuo": {"base_url": "https://gw.example"}}}')
    with pytest.raises(ConfigError, match="unknown data source"):
        load_config(path)


def test_broken_config_fails_the_call_with_its_message(runtime, gateway_config, tmp_path, family):
    path = gateway_config({})
    path.write_text("{not json")
    result = runtime.fetch_facts(PUPIL, family, sources=["hukou"])
    assert result.outcomes[0].status is Status.failed
    assert "not valid JSON" in result.outcomes[0].error
    assert source_named("hukou").hook == "fetch_hukou"


PUPIL_RECORD = {"pupil": {"id_number": PUPIL, "name": "张小明", "birth_date": "2009-07-15",
                          "primary_school": {"name": "南昌市育新学校", "district": "东湖区",
                                             "in_urban_area": True, "province": "江西省"}},
                "guardians": [{"relation": "father", "id_number": FATHER, "name": "张伟"}]}


def test_failed_source_parks_the_application_in_facts_pending_until_it_answers(
        runtime, gateway_server, gateway_config, draft_application, engine, now):
    from core.facts import collect_facts, retry_pending_facts
    from core.models import Application
    from core.workflow import Actor

    base_url, state = gateway_server
    configure(gateway_config, base_url, "pupil_record", "hukou", "properties")
    guardian, application = draft_application
    about = {"id_number": application.pupil_id_number}  # the sources answer about the pupil asked
    state.answer("pupil_record", {**PUPIL_RECORD, "pupil": {**PUPIL_RECORD["pupil"], **about}})
    state.answer("hukou", {**HUKOU, "pupil": {**HUKOU["pupil"], **about}})
    state.answer("properties", {"error": "maintenance"}, status=503)
    first = collect_facts(engine, application.id, actor=Actor.system("connectors"), now=now, runtime=runtime)
    assert first.state == "facts_pending" and first.result.failed == ("properties",)
    with read_session(engine) as session:
        stored = {f.source for f in session.exec(select(FactRecord).where(
            FactRecord.application_id == application.id))}
    assert stored - {"sandbox"} == {"pupil_record", "hukou"}

    state.answer("properties", {"properties": []})
    [second] = retry_pending_facts(engine, now=now, runtime=runtime)
    assert second.state == "draft" and second.result.complete
    with read_session(engine) as session:
        assert session.get(Application, application.id).state == "draft"
        calls = session.exec(select(ConnectorCall).where(ConnectorCall.application_id == application.id)
                             .order_by(ConnectorCall.id)).all()
    assert [c.outcome for c in calls if c.source == "properties"] == ["failed", "ok"]
