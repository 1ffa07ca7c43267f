"""An operator watches the season dashboard while the scheduler closes collection (§4.3)."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

AFTER_CLOSE = "2021-06-16T17:00:30+08:00"
COLLECTING = "2021-06-08T15:00:00+08:00"


def record_calls(server, calls) -> None:
    """Hukou calls of the minute before COLLECTING in the server's database, as (plugin, outcome)."""
    from core.db import make_engine, write_session
    from core.models import ConnectorCall

    engine = make_engine(server.database_url)
    try:
        with write_session(engine) as session:
            for i, (plugin, outcome) in enumerate(calls):
                session.add(ConnectorCall(source="hukou", plugin=plugin, outcome=outcome, latency_ms=20.0,
                                          started_at=datetime.fromisoformat(COLLECTING) - timedelta(seconds=i + 1)))
    finally:
        engine.dispose()


def test_operator_dashboard_shows_collection_close_without_a_reload(start_server, page, login, shoot):
    server = start_server(now=AFTER_CLOSE)
    server.run("scheduler", "--once", XUEWEI_NOW="2021-06-16T12:00:00+08:00")  # the season reached collection
    login(page, server, "operator")
    page.goto(server.url + "/operator/?refresh=1")
    phase = page.locator("#season-phase")
    expect(phase).to_have_attribute("data-phase", "collection")
    job_state = page.locator("[data-testid=job-season-2021-collection-end] [data-term=job_state]")
    # 17:00 by the season clock, and no scheduler has closed collection: overdue, not "pending"
    expect(job_state).to_have_attribute("data-value", "overdue")
    expect(job_state).to_have_text("逾期未执行")
    expect(page.locator("[data-testid=phase-collection] [data-testid=overdue-collection]")).to_have_text("逾期未执行")
    heartbeat = page.locator("#scheduler-seen")  # the scheduler's last beat, and what it fires next
    expect(heartbeat).to_contain_text("最近心跳")
    expect(heartbeat).to_contain_text("下一任务 season-2021-collection-end")
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
    expect(job_state).not_to_have_attribute("data-value", "overdue")
    expect(job_state).not_to_have_text("逾期未执行")
    expect(page.locator("[data-testid=overdue-collection]")).to_have_count(0)  # redrawn: no longer overdue
    expect(heartbeat).to_contain_text("下一任务 season-2021-verification-start")  # its latest beat, redrawn
    assert page.evaluate("window.__sameDocument") is True
    expect(page.locator("#audit-rows")).to_contain_text("阶段结束")  # the latest events redrawn in words too
    expect(page.locator("#season-now")).to_have_text("2021-06-16 17:00")  # redrawn with the year, as the server drew it
    expect(page.locator("#audit-rows tr").first).to_contain_text("2021-06-16 17:00")
    shoot(page, "dashboard-collection-closed")

    page.click("[data-testid=audit-verify]")
    expect(page.locator("[data-testid=chain-ok]")).to_be_visible()
    expect(page.locator("[data-testid=audit-table]")).to_contain_text("小学毕业生信息采集（已结束）")
    shoot(page, "audit-chain-verified")


def test_connector_health_redraws_each_plugin_of_a_source_without_a_reload(start_server, page, login, shoot):
    server = start_server(now=COLLECTING)
    record_calls(server, [("acme_hukou", "failed")] * 3 + [("gateway", "ok")])
    login(page, server, "operator")
    page.goto(server.url + "/operator/?refresh=1")
    vendor = page.locator("[data-testid=connector-hukou-plugin-acme_hukou]")
    expect(vendor).to_contain_text("└ acme_hukou")
    expect(vendor).to_contain_text("100.0%")
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads

    record_calls(server, [("acme_hukou", "ok"), (None, "failed")])
    expect(vendor).to_contain_text("75.0%", timeout=20_000)  # redrawn by the script
    expect(page.locator("[data-testid=connector-hukou-plugin-]")).to_contain_text("无插件作答（熔断拒绝或无人作答）")
    expect(page.locator("[data-testid=connector-hukou-plugin-gateway]")).to_contain_text("0.0%")
    expect(page.locator("[data-testid=connector-hukou]")).to_contain_text("6")
    assert page.evaluate("window.__sameDocument") is True
    shoot(page, "dashboard-connector-plugins")
