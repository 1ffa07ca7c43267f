"""A guardian's whole season in the browser (§3–§8): sign up with the identity check, confirm the
pupil's record, pull the family's facts, choose the residence, see the tier, submit once, and
after review, classification and allocation read the pre-allocated seat and why."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import seed_sandbox_city, tier_one_family_of_donghu

pytestmark = pytest.mark.browser

CLASSIFIED = "2021-06-24T10:00:00+08:00"  # every approved application has its tier
PUBLISHED = "2021-06-28T10:00:00+08:00"  # pre-allocation results are published


def test_guardian_signs_up_submits_once_and_reads_the_seat(start_server, sandbox_city, page, login, shoot,
                                                            guardian_submits):
    family = tier_one_family_of_donghu(sandbox_city)
    server = start_server(seed=seed_sandbox_city)  # 1 June 10:05, 东湖区's window open
    submitted = guardian_submits(page, server, family, "parent-hu")
    application_id, number = submitted.application_id, submitted.serial
    page.click("[data-testid=logout]")

    login(page, server, "reviewer-dh")
    page.click(f"[data-testid=queue-row] >> text={number}")
    page.click("[data-testid=decision-approve]")
    expect(page.locator("[data-testid=flash-ok]")).to_be_visible()
    page.goto(f"{server.url}/review/applications/{application_id}")
    expect(page.locator("[data-testid=state]")).to_have_attribute("data-value", "approved")
    shoot(page, "reviewer-approved")
    server.stop()

    committed = server.run("lottery", "commit", "--season", "2021")  # before collection closes (§6)
    seed = re.search(r"^seed[^:]*:\s*([0-9a-f]+)$", committed.stdout, re.M).group(1)
    server.run("scheduler", "--once", XUEWEI_NOW=CLASSIFIED)  # close, verify, build the database, classify
    server.run("lottery", "reveal", "--season", "2021", "--seed", seed)  # at the draw
    server.run("scheduler", "--once", XUEWEI_NOW=PUBLISHED)  # allocate, publish
    results = start_server(now=PUBLISHED, database_url=server.database_url)
    login(page, results, "parent-hu")
    page.click("[data-testid=application-link]")
    expect(page.locator("[data-testid=serial]")).to_have_text(number)
    expect(page.locator("[data-testid=seat-school]")).not_to_be_empty()
    expect(page.locator("[data-testid=seat-why]")).not_to_be_empty()
    shoot(page, "seat")
