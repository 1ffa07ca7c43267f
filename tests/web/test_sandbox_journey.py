"""A sandbox family through the real pages: identity check, every source, basis, tier, submit.

Nothing here is the test's own data: the built-in sandbox plugin generates the city and
answers the identity and data-source hooks through the real connector runtime.
"""
from __future__ import annotations

import re

import pytest

from tests.web.conftest import PASSWORD, csrf_from

OPEN_AT_TEN = ("东湖区", "经开区")  # the districts whose window is open at the clock fixture's time


@pytest.fixture
def city(engine, season):
    from core.season.replay import load_city
    from plugins.sandbox import activate
    from plugins.sandbox.city import generate_city

    generated = generate_city(7, 200)
    load_city(engine, season, generated)
    activate(generated)
    yield generated
    activate(None)


@pytest.fixture
def sandbox_app(app):
    from core.connectors.runtime import ConnectorRuntime, Policy
    from core.plugins import Hooks, make_plugin_manager

    pm = make_plugin_manager(builtins=("plugins.sandbox",), entry_points=False, disabled=())
    app.extensions["xuewei.hooks"] = Hooks(pm)
    app.config["CONNECTOR_RUNTIME"] = ConnectorRuntime(pm, default=Policy(retries=0))
    return app


def _tier_one_family(city):
    return next(f for f in city.families if f.expected == "T1"
                and f.facts["pupil"]["primary_school"]["district"] in OPEN_AT_TEN)


def test_sandbox_family_signs_up_fetches_and_submits(sandbox_app, city):
    family = _tier_one_family(city)
    father = family.facts["guardians"][0]
    client = sandbox_app.test_client()
    signed = client.post("/signup", data={
        "name": father["name"], "id_number": father["id_number"], "username": "sandbox-parent",
        "password": PASSWORD, "password2": PASSWORD, "csrf_token": csrf_from(client, "/signup")})
    assert signed.status_code == 302
    token = csrf_from(client, "/guardian/applications/new")
    started = client.post("/guardian/applications/new", data={
        "pupil_id_number": family.pupil_id, "pupil_name": family.facts["pupil"]["name"],
        "district": family.facts["pupil"]["primary_school"]["district"], "csrf_token": token})
    page_url = started.headers["Location"]
    application_id = int(re.search(r"(\d+)$", page_url).group(1))
    client.post(f"{page_url}/facts", data={"step": "pupil_record", "csrf_token": token})
    assert family.facts["pupil"]["name"] in client.get(page_url).get_data(as_text=True)
    client.post(f"{page_url}/facts", data={"csrf_token": token})
    basis = family.facts["basis"]
    client.post(f"{page_url}/basis", data={"basis": f"{basis['kind']}:{basis['id']}", "csrf_token": token})
    page = client.get(page_url).get_data(as_text=True)
    assert 'data-testid="source-hukou" data-status="fetched"' in page
    assert 'data-testid="tier" data-value="1"' in page
    version = re.search(r'name="version" value="(\d+)"', client.get(f"{page_url}/submit").get_data(as_text=True)).group(1)
    client.post(f"{page_url}/submit", data={"confirm": "yes", "version": version, "csrf_token": token})
    status = client.get(f"/guardian/applications/{application_id}").get_data(as_text=True)
    assert re.search(r'data-testid="serial">\d', status)


def test_sandbox_identity_check_refuses_a_wrong_name(sandbox_app, city):
    father = _tier_one_family(city).facts["guardians"][0]
    client = sandbox_app.test_client()
    response = client.post("/signup", data={
        "name": "王冒名", "id_number": father["id_number"], "username": "impostor",
        "password": PASSWORD, "password2": PASSWORD, "csrf_token": csrf_from(client, "/signup")})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'data-testid="error-name">身份核验未通过：姓名与身份证号码不符，请核对姓名<', page)  # at the name
    assert "does not match" not in page
