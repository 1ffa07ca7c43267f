"""An operator watches the season dashboard while the scheduler closes collection (§4.3)."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

AFTER_CLOSE = "2021-06-16T17:00:30+08:00"


def test_operator_dashboard_shows_collection_close_without_a_reload(start_server, page, login, shoot):
    server = start_server(now=AFTER_CLOSE)
    server.run("scheduler", "--once", XUEWEI_NOW="2021-06-16T12:00:00+08:00")  # the season reached collection
    login(page, server, "operator")
    page.goto(server.url + "/operator/?refresh=1")
    phase = page.locator("#season-phase")
    expect(phase).to_have_attribute("data-phase", "collection")
    job_state = page.locator("[data-testid=job-season-2021-collection-end] [data-term=job_state]")
    expect(job_state).to_have_attribute("data-value", "pending")
    expect(job_state).to_have_text("待执行")
    shoot(page, "dashboard-collection-open")
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads

    server.run("scheduler", "--once")  # the scheduler comes back after 17:00 and catches up
    expect(phase).to_have_attribute("data-phase", "collection_closed", timeout=20_000)
    expect(phase).to_contain_text("已结束")
    collection_state = page.locator("[data-testid=phase-collection] [data-term=phase_state]")
    expect(collection_state).to_have_attribute("data-value", "closed")
    expect(collection_state).to_have_text("已结束")  # redrawn by the script in words, not as the code
    collection = page.locator("[data-testid=phase-collection]")
    expect(collection).to_contain_text("· 第四部分第2项")  # its clause redrawn as the ruleset words it …
    expect(collection).not_to_contain_text("§4.2")  # … not as the id
    expect(job_state).not_to_have_attribute("data-value", "pending")
    expect(job_state).not_to_have_text("待执行")
    assert page.evaluate("window.__sameDocument") is True
    expect(page.locator("#audit-rows")).to_contain_text("阶段结束")  # the latest events redrawn in words too
    shoot(page, "dashboard-collection-closed")

    page.click("[data-testid=audit-verify]")
    expect(page.locator("[data-testid=chain-ok]")).to_be_visible()
    expect(page.locator("[data-testid=audit-table]")).to_contain_text("小学毕业生信息采集（已结束）")
    shoot(page, "audit-chain-verified")
