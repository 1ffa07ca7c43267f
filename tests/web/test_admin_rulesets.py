"""The city administrator's ruleset pages: edit or upload, problems at their pointer, review, activation."""
from __future__ import annotations

import html
import io
import json
import re

import pytest
from sqlmodel import select

from core.clock import parse_instant
from core.db import read_session, write_session
from core.models import Event, RulesetVersion, Season
from core.paths import ruleset_path
from core.ruleset_editor import split
from core.season.models import SeasonPhase

ADMIN_PAGES = ("/admin/", "/admin/rulesets/new", "/admin/imports")


def _ruleset() -> dict:
    return json.loads(ruleset_path(2021).read_text())


def _form(document: dict, token: str) -> dict:
    """What the editor's form posts for a document: one field per pointer, the rest as JSON."""
    fields, rest = split(document)
    data = {f"f:{f.kind}:{f.pointer}": f.value for f in fields}
    data.update(rest=json.dumps(rest, ensure_ascii=False), csrf_token=token)
    return data


@pytest.fixture
def admin(client, auth, make_account, season):
    make_account("city", role="city_admin")
    auth.login("city")
    return auth


@pytest.mark.parametrize("role", ["guardian", "reviewer", "district_admin", "operator"])
def test_admin_pages_are_for_city_administrators_only(client, auth, make_account, season, role):
    make_account("someone", role=role)
    auth.login("someone")
    for path in ADMIN_PAGES:
        assert client.get(path).status_code == 403, path
    assert client.post("/admin/rulesets/new", data={"csrf_token": auth.csrf()}).status_code == 403


def test_anonymous_visitors_go_to_login(client, season):
    for path in ADMIN_PAGES:
        assert "/login" in client.get(path).headers["Location"]


def test_editor_opens_on_the_active_version_with_fields_for_calendar_and_parameters(client, admin):
    body = client.get("/admin/rulesets/new").get_data(as_text=True)
    assert 'name="f:text:/calendar/phases/1/end" value="2021-06-16T17:00:00+08:00"' in body
    assert 'name="f:text:/parameters/evidence_cutoff/values/0/value" value="2021-05-31"' in body
    assert 'name="f:text:/predicates/pupil_urban_hukou/label/zh"' in body
    rest = re.search(r'<textarea id="rest"[^>]*>(.*?)</textarea>', body, re.S).group(1)
    assert "&#34;tiers&#34;" in rest and "&#34;phases&#34;" not in rest


def test_tier_rows_and_workflow_states_are_named_in_form_fields_not_in_the_json(client, admin):
    """Renaming a tier or a state is a wording change an administrator makes without JSON."""
    body = client.get("/admin/rulesets/new").get_data(as_text=True)
    row = _ruleset()["tiers"]["rows"][0]["label"]["zh"]
    assert f'name="f:text:/tiers/rows/0/label/zh" value="{row}"' in body
    assert 'name="f:text:/workflow/states/0/label/zh"' in body
    rest = html.unescape(re.search(r'<textarea id="rest"[^>]*>(.*?)</textarea>', body, re.S).group(1))
    assert row not in rest


def test_the_wording_of_each_clause_is_a_form_field_and_an_edit_of_it_is_stored(client, admin, engine):
    """Next year's notice numbers its paragraphs differently: the administrator rewords a clause
    in the editor, without JSON and without code."""
    body = client.get("/admin/rulesets/new").get_data(as_text=True)
    assert 'name="f:text:/clauses/§6.1/zh" value="第六部分（一套房产三年内只作一个家庭入学依据）"' in body
    assert 'data-testid="group-/clauses/§6-1"' in body and "政策条款在页面上的称呼" in body
    rest = html.unescape(re.search(r'<textarea id="rest"[^>]*>(.*?)</textarea>', body, re.S).group(1))
    assert '"clauses"' not in rest
    document = _ruleset()
    document["meta"]["version"] = "1.1.0"
    form = _form(document, admin.csrf()) | {"f:text:/clauses/§6-1/zh": "第六部分第一类"}
    location = client.post("/admin/rulesets/new", data=form).headers["Location"]
    with read_session(engine) as session:
        stored = json.loads(session.exec(select(RulesetVersion).where(
            RulesetVersion.sha256 == location.rsplit("/", 1)[-1])).one().canonical_json)
    assert stored["clauses"]["§6-1"] == {"zh": "第六部分第一类", "en": "part 6, tier 1"}


def test_a_bad_date_in_a_calendar_field_is_shown_at_that_field(client, admin):
    document = _ruleset()
    data = _form(document, admin.csrf())
    data["f:text:/calendar/phases/1/end"] = "16 June, 5 pm"
    response = client.post("/admin/rulesets/new", data=data)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'data-testid="problem" data-pointer="/calendar/phases/1/end"' in body
    assert 'data-testid="field-error" data-pointer="/calendar/phases/1/end"' in body
    with read_session(admin.client.application.extensions["xuewei.engine"]) as session:
        assert len(session.exec(select(RulesetVersion)).all()) == 1  # nothing stored


def test_a_negative_number_of_years_is_refused_at_its_field_in_chinese_and_nothing_is_stored(client, admin):
    data = _form(_ruleset(), admin.csrf())
    data["f:integer:/parameters/demolition_valid_years/values/0/value"] = "-3"
    response = client.post("/admin/rulesets/new", data=data)
    assert response.status_code == 422
    body = html.unescape(response.get_data(as_text=True))
    assert 'data-testid="field-error" data-pointer="/parameters/demolition_valid_years/values/0/value"' in body
    assert "参数 'demolition_valid_years' 不能小于 0" in body
    with read_session(admin.client.application.extensions["xuewei.engine"]) as session:
        assert len(session.exec(select(RulesetVersion)).all()) == 1


def test_editor_fields_are_labelled_in_chinese_with_the_english_beneath_not_by_json_path(client, admin):
    body = client.get("/admin/rulesets/new").get_data(as_text=True)
    labels = dict(re.findall(r'<label for="[^"]*" title="([^"]*)" data-testid="field-label">(.*?)</label>', body, re.S))
    effective = labels["/meta/effective/from"]
    assert "生效日期" in effective and 'lang="en">effective from' in effective
    assert "第 1 个取值" in labels["/parameters/demolition_valid_years/values/0/value"]
    assert "名称（英文）" in labels["/calendar/phases/1/label/en"]
    assert not [text for text in labels.values() if re.fullmatch(r"\s*[\w/]+\s*", text)]  # no bare path is left
    english = client.get("/admin/rulesets/new?lang=en").get_data(as_text=True)
    assert "effective from (parameters are read at this date)" in english and "生效日期" not in english


def test_a_word_where_a_number_belongs_is_refused_at_its_pointer(client, admin):
    data = _form(_ruleset(), admin.csrf())
    data["f:integer:/parameters/min_holding_years/values/0/value"] = "one"
    body = client.post("/admin/rulesets/new", data=data).get_data(as_text=True)
    assert 'data-pointer="/parameters/min_holding_years/values/0/value"' in body
    assert "is not a whole number" in body


def test_an_unknown_operator_in_the_json_is_shown_with_its_pointer_and_what_is_there(client, admin):
    document = _ruleset()
    name = next(iter(document["predicates"]))
    document["predicates"][name]["when"] = {"eval": ["1 + 1"]}
    response = client.post("/admin/rulesets/new", data={
        "file": (io.BytesIO(json.dumps(document).encode()), "broken.json"), "csrf_token": admin.csrf()},
        content_type="multipart/form-data")
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    pointers = re.findall(r'data-testid="problem" data-pointer="([^"]*)"', body)
    assert any(p.startswith(f"/predicates/{name}/when") for p in pointers), pointers
    assert 'data-testid="rest-error"' in body and "eval" in body


def _upload(client, admin, document: dict):
    return client.post("/admin/rulesets/new", data={
        "file": (io.BytesIO(json.dumps(document, ensure_ascii=False).encode()), "r.json"), "csrf_token": admin.csrf()},
        content_type="multipart/form-data")


def _problems_shown(body: str) -> dict[str, str]:
    """Each listed problem's text (tags dropped, entities read) by its pointer."""
    found = re.findall(r'<li data-testid="problem" data-pointer="([^"]*)">(.*?)</li>', body, re.S)
    return {html.unescape(pointer): html.unescape(re.sub(r"<[^>]+>", " ", text)) for pointer, text in found}


def _set(path: str, value):
    """A mutation of the 2021 ruleset: put `value` at the JSON pointer `path`."""
    def mutate(document: dict) -> None:
        *parents, last = path.strip("/").split("/")
        node = document
        for token in parents:
            node = node[int(token)] if isinstance(node, list) else node[token]
        node[int(last) if isinstance(node, list) else last] = value
    return mutate


@pytest.mark.parametrize("mutate, pointer, chinese, english", [
    (_set("/tiers/rows/0/tier_label", "一类"), "/tiers/rows/0/tier_label", "不允许的键 'tier_label'",
     "Additional properties are not allowed"),
    (_set("/predicates/head_is_parent/when", {"eval": ["1 + 1"]}), "/predicates/head_is_parent/when/eval",
     "未知的运算符 'eval'", "unknown operator 'eval'"),
    (_set("/predicates/basis_is_lease/when", {"==": [{"var": "basis.kind"}, "lease"]}),
     "/predicates/basis_is_lease/when/==", "不允许宽松相等 '=='", "loose equality '==' is not allowed"),
    (_set("/predicates/head_is_parent/when", {"in": [{"var": "pupil.hukou.householder"}, ["father"]]}),
     "/predicates/head_is_parent/when/in/0/var", "事实 'pupil.hukou.householder' 不存在",
     "fact 'pupil.hukou.householder' does not exist"),
    (_set("/evidence/1/require/<=/1", {"date": "2021-13-01"}), "/evidence/1/require/<=/1/date",
     "日期 '2021-13-01' 无效", "bad date '2021-13-01'"),
], ids=["unknown key", "unknown operator", "loose equality", "unresolved fact", "bad date"])
def test_a_refused_ruleset_says_in_chinese_what_is_wrong_at_its_pointer_with_the_english_beneath(
        client, admin, mutate, pointer, chinese, english):
    document = _ruleset()
    mutate(document)
    response = _upload(client, admin, document)
    assert response.status_code == 422
    shown = _problems_shown(response.get_data(as_text=True))
    assert pointer in shown, shown
    assert chinese in shown[pointer] and english in shown[pointer]
    assert shown[pointer].index(chinese) < shown[pointer].index(english)


def test_a_file_in_another_encoding_is_refused_with_how_to_save_it(client, admin):
    response = client.post("/admin/rulesets/new", data={
        "file": (io.BytesIO(json.dumps(_ruleset(), ensure_ascii=False).encode("gbk")), "gbk.json"),
        "csrf_token": admin.csrf()}, content_type="multipart/form-data")
    assert response.status_code == 422 and "请将文件另存为 UTF-8 编码" in response.get_data(as_text=True)


def test_a_file_that_is_not_json_names_the_line(client, admin):
    response = client.post("/admin/rulesets/new", data={
        "file": (io.BytesIO(b'{"meta": {\n  "id": }'), "broken.json"), "csrf_token": admin.csrf()},
        content_type="multipart/form-data")
    assert response.status_code == 422
    assert "line 2" in response.get_data(as_text=True)


def test_a_syntax_error_in_the_json_shows_its_line_and_marks_the_textarea_with_its_offset(client, admin):
    """The textarea has no line numbers: the page shows the offending line, and admin.js puts the
    caret at the offset (tests/browser/test_admin_journey.py checks the caret)."""
    data = _form(_ruleset(), admin.csrf())
    data["rest"] = data["rest"].replace(', "tiers"', ' "tiers"', 1)
    response = client.post("/admin/rulesets/new", data=data)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    excerpt = html.unescape(re.search(r'<pre class="excerpt" data-testid="syntax-excerpt">(.*?)</pre>', body, re.S)[1])
    line, marker = excerpt.split("\n")[-2:]
    assert line[marker.index("^"):].startswith('"tiers"')
    offset = int(re.search(r'<textarea id="rest"[^>]*data-error-offset="(\d+)"', body)[1])
    shown = html.unescape(re.search(r'<textarea id="rest"[^>]*>\n(.*?)</textarea>', body, re.S)[1])
    assert shown[offset:].startswith('"tiers"')
    assert re.search(r'src="/static/admin.js\?v=[0-9a-f]{12}"', body)


def test_a_valid_edit_is_stored_as_a_draft_and_its_review_shows_the_diff_and_tests(client, admin):
    data = _form(_ruleset(), admin.csrf())
    data["f:text:/meta/version"] = "1.1.0"
    data["f:text:/calendar/phases/1/end"] = "2021-06-16T22:00:00+08:00"
    response = client.post("/admin/rulesets/new", data=data)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="change-phase-collection"' in page
    assert re.search(r'data-testid="tests-summary" data-failed="0">\d+ 个通过，0 个未通过<', page)
    assert 'data-testid="version-status" data-value="draft">草稿<' in page


def test_uploading_the_active_version_again_says_so_instead_of_draft(client, admin):
    response = client.post("/admin/rulesets/new", data=_form(_ruleset(), admin.csrf()), follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "完全相同，未另存" in page and "保存为草稿版本" not in page
    assert 'data-testid="version-status" data-value="active">已启用<' in page


def test_activation_is_audited_and_moves_the_calendar(client, admin):
    data = _form(_ruleset(), admin.csrf())
    data["f:text:/meta/version"] = "1.1.0"
    data["f:text:/calendar/phases/1/end"] = "2021-06-16T22:00:00+08:00"
    location = client.post("/admin/rulesets/new", data=data).headers["Location"]
    sha, before = location.rsplit("/", 1)[-1], _active_sha(client)
    client.post(f"/admin/rulesets/{sha}/activate", data={"csrf_token": admin.csrf()})
    engine = client.application.extensions["xuewei.engine"]
    with read_session(engine) as session:
        assert session.exec(select(Season)).one().active_ruleset_sha256 == sha
        event = session.exec(select(Event).where(Event.action == "ruleset_activated", Event.actor == "city")).one()
        assert event.data["replaced"] == before  # which version it replaced, for whoever reads the audit
        stored = session.exec(select(Event).where(Event.action == "ruleset_stored", Event.actor == "city")).one()
        assert event.at == stored.at == client.application.config["CLOCK"].now()  # the season's clock, as its events
        collection = session.exec(select(SeasonPhase).where(SeasonPhase.phase_id == "collection")).one()
    assert collection.ends_at.isoformat() == "2021-06-16T14:00:00+00:00"


def _stored(client, admin, **fields) -> str:
    """Store the active ruleset with these editor fields changed; the new version's sha256."""
    data = _form(_ruleset(), admin.csrf())
    data.update({f"f:text:{pointer}": value for pointer, value in fields.items()})
    return client.post("/admin/rulesets/new", data=data).headers["Location"].rsplit("/", 1)[-1]


def _active_sha(client) -> str:
    with read_session(client.application.extensions["xuewei.engine"]) as session:
        return session.exec(select(Season)).one().active_ruleset_sha256


def test_a_calendar_moved_into_the_past_is_activated_only_when_the_administrator_confirms_it(client, admin,
                                                                                           clock):
    """Closing collection a day early, on 8 June, closes every unsubmitted draft at once (§4.2)."""
    clock.set(parse_instant("2021-06-08T15:00:00+08:00"))
    sha = _stored(client, admin, **{"/meta/version": "1.2.0", "/calendar/phases/1/end": "2021-06-07T17:00:00+08:00"})
    page = client.get(f"/admin/rulesets/{sha}").get_data(as_text=True)
    assert re.search(r'data-testid="activate-warning" data-pointer="/calendar/phases/1/end">.*?2021年6月7日 17:00，已经过去（现在是2021年6月8日 15:00）', page)
    assert 'name="confirmed"' in page
    before = _active_sha(client)
    refused = client.post(f"/admin/rulesets/{sha}/activate", data={"csrf_token": admin.csrf()}, follow_redirects=True)
    assert "请勾选确认后再启用" in refused.get_data(as_text=True) and _active_sha(client) == before
    client.post(f"/admin/rulesets/{sha}/activate", data={"csrf_token": admin.csrf(), "confirmed": "1"})
    assert _active_sha(client) == sha


def test_a_calendar_change_still_to_come_needs_no_confirmation(client, admin, clock):
    clock.set(parse_instant("2021-06-08T15:00:00+08:00"))
    sha = _stored(client, admin, **{"/meta/version": "1.2.0", "/calendar/phases/1/end": "2021-06-16T20:00:00+08:00"})
    assert 'data-testid="activate-warnings"' not in client.get(f"/admin/rulesets/{sha}").get_data(as_text=True)
    client.post(f"/admin/rulesets/{sha}/activate", data={"csrf_token": admin.csrf()})
    assert _active_sha(client) == sha


def test_a_label_that_disagrees_with_its_parameter_is_activated_only_when_the_administrator_confirms_it(
        client, admin):
    """Families would read "于2021年6月30日前办理" while the rule counts from the cut-off 2021-05-31 (§3.3)."""
    label = "/predicates/residence_permit_held/label/zh"
    sha = _stored(client, admin, **{"/meta/version": "1.2.0", label: "持有2021年6月30日前办理的居住证"})
    page = client.get(f"/admin/rulesets/{sha}").get_data(as_text=True)
    assert re.search(rf'data-testid="activate-warning" data-pointer="{label}">.*?2021-06-30.*?'
                     r'evidence_cutoff = 2021-05-31', page)
    before = _active_sha(client)
    refused = client.post(f"/admin/rulesets/{sha}/activate", data={"csrf_token": admin.csrf()}, follow_redirects=True)
    assert "请勾选确认后再启用" in refused.get_data(as_text=True) and _active_sha(client) == before
    client.post(f"/admin/rulesets/{sha}/activate", data={"csrf_token": admin.csrf(), "confirmed": "1"})
    assert _active_sha(client) == sha


def test_next_years_draft_starts_from_this_years_moved_a_year_on(client, admin):
    sha = _active_sha(client)
    body = client.get(f"/admin/rulesets/new?from={sha}&next_year=1").get_data(as_text=True)
    assert 'name="f:integer:/meta/year" value="2022"' in body
    assert 'name="f:text:/calendar/phases/1/end" value="2022-06-16T17:00:00+08:00"' in body
    assert 'name="f:text:/parameters/evidence_cutoff/values/0/value" value="2022-05-31"' in body


def test_next_years_ruleset_is_its_own_seasons_and_opening_that_season_needs_confirming(client, admin, engine):
    """Next year's policy is prepared while this season runs; activating it moves everyone to the
    new season, so the administrator confirms it (§4: one season's calendar at a time)."""
    from core.ruleset_editor import next_year

    document = next_year(_ruleset())
    response = _upload(client, admin, document)
    sha = response.headers["Location"].rsplit("/", 1)[-1]
    with read_session(engine) as session:
        seasons = {s.year: s for s in session.exec(select(Season))}
        stored = session.exec(select(RulesetVersion).where(RulesetVersion.sha256 == sha)).one()
    assert stored.season_id == seasons[2022].id and seasons[2021].active_ruleset_sha256 != sha
    index = client.get("/admin/").get_data(as_text=True)
    assert re.search(rf'data-testid="version-{sha[:12]}"><td>2022</td>', index)
    page = client.get(f"/admin/rulesets/{sha}").get_data(as_text=True)
    assert re.search(r'data-testid="activate-warning" data-pointer="/meta/year">.*?启用后 2022 年度将成为当前年度', page, re.S)
    refused = client.post(f"/admin/rulesets/{sha}/activate", data={"csrf_token": admin.csrf()}, follow_redirects=True)
    assert "请勾选确认后再启用" in refused.get_data(as_text=True)
    client.post(f"/admin/rulesets/{sha}/activate", data={"csrf_token": admin.csrf(), "confirmed": "1"})
    with read_session(engine) as session:
        from core.portal import active_season
        assert active_season(session).year == 2022
        assert session.get(Season, seasons[2021].id).active_ruleset_sha256 is not None  # 2021 keeps its own


def test_a_ruleset_for_another_year_cannot_be_activated_in_a_season(engine, season):
    """However it got there (an older store, a script), a version runs only in its year's season."""
    from core.rulesets import RulesetNotActivatable, activate_ruleset, store_ruleset
    from core.workflow import Actor

    document = _ruleset()
    document["meta"].update(year=2022, version="0.1.0")
    admin = Actor("city", "city_admin")
    with pytest.raises(RulesetNotActivatable) as refused:
        with write_session(engine) as session:
            this = session.merge(season)
            activate_ruleset(session, this, store_ruleset(session, this, document, admin).sha256, admin)
    assert refused.value.problems[0].zh == "该规则用于 2022 年度，当前是 2021 年度：规则只能在其所属年度启用"


def test_a_new_installation_starts_by_uploading_the_years_ruleset(client, auth, make_account, engine):
    """No season yet: the administration page says what to do first, and the upload opens the season."""
    make_account("city", role="city_admin")
    auth.login("city")
    body = client.get("/admin/").get_data(as_text=True)
    assert 'data-testid="no-season"' in body and "尚无规则版本" in body
    assert client.get("/admin/rulesets/new").status_code == 200
    sha = _upload(client, auth, _ruleset()).headers["Location"].rsplit("/", 1)[-1]
    client.post(f"/admin/rulesets/{sha}/activate", data={"csrf_token": auth.csrf(), "confirmed": "1"})
    with read_session(engine) as session:
        season = session.exec(select(Season)).one()
    assert (season.year, season.name, season.active_ruleset_sha256) == (2021, "南昌市2021年城区小升初报名暨信息采集实施方案", sha)


def test_a_version_whose_embedded_tests_fail_cannot_be_activated(client, admin):
    document = _ruleset()
    document["meta"]["version"] = "9.9.9"
    case = document["tests"]["cases"][0]
    case["expect"]["tier"] = 7 if case["expect"].get("tier") != 7 else 1
    location = client.post("/admin/rulesets/new", data={
        "file": (io.BytesIO(json.dumps(document).encode()), "r.json"), "csrf_token": admin.csrf()},
        content_type="multipart/form-data").headers["Location"]
    page = client.get(location).get_data(as_text=True)
    assert 'data-testid="test-failed"' in page and 'data-testid="activate" disabled' in page
    sha = location.rsplit("/", 1)[-1]
    refused = client.post(f"/admin/rulesets/{sha}/activate", data={"csrf_token": admin.csrf()}, follow_redirects=True)
    assert f"不能启用：/tests/cases/0/expect/tier：测试用例 {case['name']!r} 未通过" in html.unescape(refused.get_data(as_text=True))
    with read_session(client.application.extensions["xuewei.engine"]) as session:
        assert session.exec(select(Season)).one().active_ruleset_sha256 != sha


def _why_not_activatable(page: str) -> str:
    """The text beside the greyed-out activate button, tags dropped."""
    found = re.search(r'data-testid="activate-refused">(.*?)</div>', page, re.S)
    assert found, "no reason beside the activate button"
    return html.unescape(re.sub(r"<[^>]+>", " ", found.group(1)))


def test_beside_a_greyed_out_activate_button_the_page_says_which_case_fails_and_how(client, admin):
    document = _ruleset()
    document["meta"]["version"] = "9.9.9"
    case = document["tests"]["cases"][0]
    case["expect"]["tier"] = 7
    location = _upload(client, admin, document).headers["Location"]
    why = _why_not_activatable(client.get(location).get_data(as_text=True))
    assert "1 个内置测试用例未通过" in why
    assert f"测试用例 {case['name']!r} 未通过：tier：应为 7，实际为 1" in why
    assert f"case {case['name']!r} fails: tier: expected 7, got 1" in why


def test_a_stored_version_that_no_longer_validates_says_so_beside_the_button_in_chinese(client, admin, engine, season):
    from core.db import write_session
    from core.rulesets import store_ruleset
    from core.workflow import Actor

    document = _ruleset()
    document["parameters"]["demolition_valid_years"]["values"][0]["value"] = -3  # stored before the minimum rule
    with write_session(engine) as session:
        sha = store_ruleset(session, session.merge(season), document, Actor("city", "city_admin")).sha256
    page = client.get(f"/admin/rulesets/{sha}").get_data(as_text=True)
    assert 'data-testid="activate" disabled' in page
    why = _why_not_activatable(page)
    assert "规则未通过校验" in why and "/parameters/demolition_valid_years/values/0/value" in why
    assert "参数 'demolition_valid_years' 不能小于 0" in why and "must be at least 0" in why


def test_the_review_shows_each_changed_value_old_and_new_with_chinese_names_of_the_parts(client, admin):
    data = _form(_ruleset(), admin.csrf())
    data["f:text:/meta/version"] = "1.1.0"
    data["f:integer:/parameters/demolition_valid_years/values/0/value"] = "4"
    del data["f:text:/parameters/demolition_valid_years/clause"]
    page = client.get(client.post("/admin/rulesets/new", data=data).headers["Location"]).get_data(as_text=True)
    row = html.unescape(re.search(r'data-testid="change-parameter-demolition_valid_years".*?</tr>', page, re.S).group(0))
    assert "<td>参数</td>" in row
    assert re.search(r'data-path="values/0/value"><code>values/0/value</code>: 3 → 4<', row)
    assert '<code>clause</code>: "§3.4" → （无）<' in row


def _submitted_from_the_embedded_cases(engine, season, cases=range(12)):
    """The 2021 test families (the embedded test `cases`, by position) as submitted applications,
    with the test catchments imported, and a draft beside them (no serial, no frozen facts: not
    part of a simulation)."""
    from core.db import write_session
    from core.imports import import_catchments, import_schools
    from core.models import Application
    from core.rules.loader import test_facts
    from core.workflow import Actor

    document = _ruleset()
    catchments = document["tests"]["catchments"]
    schools = "code,name,stage,district\n" + "".join(
        f"{c['school_id']},{c['school_name']},middle,{c['district']}\n" for c in catchments)
    rules = "school_id,school_name,district,street,from,to,parity,compound\n" + "".join(
        f"{c['school_id']},{c['school_name']},{r['district']},{r.get('street', '')},"
        f"{r.get('numbers', {}).get('from', '')},{r.get('numbers', {}).get('to', '')},"
        f"{r.get('numbers', {}).get('parity', '')},{r.get('compound', '')}\n" for c in catchments for r in c["rules"])
    admin = Actor("city", "city_admin")
    with write_session(engine) as session:
        season = session.merge(season)
        import_schools(session, season, schools, actor=admin)
        import_catchments(session, season, rules, actor=admin)
        for number, case in enumerate((document["tests"]["cases"][i] for i in cases), start=1):
            session.add(Application(season_id=season.id, guardian_id=1, pupil_id_number=f"P{number:03d}",
                                    district="东湖区", state="submitted", serial=f"S{number:03d}",
                                    ruleset_sha256=season.active_ruleset_sha256,
                                    frozen_facts=test_facts(case, document["tests"]["families"])))
        session.add(Application(season_id=season.id, guardian_id=1, pupil_id_number="P900", district="东湖区",
                                state="draft"))


def test_simulation_shows_the_tier_matrix_and_who_changes_with_both_explanations(client, admin, engine, season):
    _submitted_from_the_embedded_cases(engine, season)
    document = _ruleset()
    document["meta"]["version"] = "2.0.0"
    document["parameters"]["evidence_cutoff"]["values"][0]["value"] = "2021-03-31"  # certificates two months older
    location = client.post("/admin/rulesets/new", data={
        "file": (io.BytesIO(json.dumps(document).encode()), "r.json"), "csrf_token": admin.csrf()},
        content_type="multipart/form-data").headers["Location"]
    review = client.get(location).get_data(as_text=True)
    assert 'data-testid="ruleset-simulate"' in review
    page = client.get(location + "/simulation").get_data(as_text=True)
    total = re.search(r'data-testid="simulation-total">[^<]*?(\d+)[^<]*?(\d+)', page)
    assert total.group(1) == "12"
    changed = re.findall(r'data-testid="simulation-change" data-id="(\d+)"', page)
    assert changed and int(total.group(2)) == len(changed)
    assert re.search(r'data-testid="cell-1-coordinated">\d', page)  # tier 1 lost on the earlier cut-off


def test_simulation_words_each_sides_clauses_as_its_own_ruleset_does(client, admin, engine, season):
    """"Now" was judged by the active version, "Under this version" by the draft: a draft that
    rewords its clauses shows its words on its side only, and no bare id on either."""
    _submitted_from_the_embedded_cases(engine, season)
    document = _ruleset()
    document["meta"]["version"] = "2.0.0"
    document["parameters"]["evidence_cutoff"]["values"][0]["value"] = "2021-03-31"
    document["clauses"] = {clause: {"zh": words["zh"] + "（草案）", "en": words["en"] + " (draft)"}
                           for clause, words in document["clauses"].items()}
    location = client.post("/admin/rulesets/new", data={
        "file": (io.BytesIO(json.dumps(document).encode()), "r.json"), "csrf_token": admin.csrf()},
        content_type="multipart/form-data").headers["Location"]
    page = client.get(location + "/simulation").get_data(as_text=True)
    change = re.search(r'data-testid="simulation-change".*?</details>', page, re.S).group(0)
    now, draft = re.split(r"<h3>按此版本</h3>", change)
    assert '<span class="muted">第六部分 一类</span>' in now  # the active version's words
    draft_clauses = re.findall(r'<span class="muted">([^<]*)</span>', draft)
    assert draft_clauses and all(words.endswith("（草案）") for words in draft_clauses)
    assert "§" not in change
    english = client.get(location + "/simulation?lang=en").get_data(as_text=True)
    assert '<span class="muted">part 6, tier 1</span>' in english and " (draft)</span>" in english


def test_simulating_the_active_version_changes_nobody(client, admin, engine, season):
    _submitted_from_the_embedded_cases(engine, season)
    page = client.get(f"/admin/rulesets/{season.active_ruleset_sha256}/simulation").get_data(as_text=True)
    assert "没有申请会改变" in page and 'data-testid="cell-1-1">' in page


def test_the_simulation_matrix_names_every_outcome_in_words(client, admin, engine, season):
    # tier 1, coordinated, undetermined, ineligible
    _submitted_from_the_embedded_cases(engine, season, cases=(0, 9, 18, 58))
    url = f"/admin/rulesets/{season.active_ruleset_sha256}/simulation"
    head = re.search(r"<thead>.*?</thead>", client.get(url).get_data(as_text=True), re.S).group(0)
    assert re.findall(r'<th data-tier="([^"]+)">([^<]+)</th>', head) == [
        ("1", "第1类"), ("coordinated", "统筹安排"), ("ineligible", "不符合报名条件"), ("undetermined", "待人工审核")]
    english = re.search(r"<thead>.*?</thead>", client.get(url + "?lang=en").get_data(as_text=True), re.S).group(0)
    assert [words for _, words in re.findall(r'<th data-tier="([^"]+)">([^<]+)</th>', english)] == [
        "tier 1", "placed by the authority", "not eligible", "manual review"]


def test_the_editor_titles_each_calendar_phase_by_its_name_with_its_id_beside(client, admin):
    body = client.get("/admin/rulesets/new").get_data(as_text=True)
    assert '<summary>小学毕业生信息采集 <small class="muted" data-testid="group-code">collection</small>' in body
    assert "<summary>collection" not in body
    english = client.get("/admin/rulesets/new?lang=en").get_data(as_text=True)
    assert ('<summary>preparation: direct-promotion and special-policy lists '
            '<small class="muted" data-testid="group-code">preparation</small>') in english


def test_admin_pages_speak_english_on_request(client, admin):
    assert "City administration" in client.get("/admin/?lang=en").get_data(as_text=True)
    body = client.get("/admin/rulesets/new").get_data(as_text=True)
    assert "Everything else (JSON)" in body and "其余部分" not in body
