"""A guardian's whole season in the browser (§3–§8): sign up with the identity check, confirm the
pupil's record, pull the family's facts, choose the residence, see the tier, submit once, and
after review, classification and allocation read the pre-allocated seat and why."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, seed_sandbox_city

pytestmark = pytest.mark.browser

OPENING = "2021-06-01T10:05:00+08:00"  # 东湖区's window is open
CLASSIFIED = "2021-06-24T10:00:00+08:00"  # every approved application has its tier
PUBLISHED = "2021-06-28T10:00:00+08:00"  # pre-allocation results are published


def _tier_one_family_of_donghu(city):
    return next(f for f in city.families if f.expected == "T1"
                and f.facts["pupil"]["primary_school"]["district"] == "东湖区")


def test_guardian_signs_up_submits_once_and_reads_the_seat(start_server, sandbox_city, page, login, shoot):
    family = _tier_one_family_of_donghu(sandbox_city)
    parent, pupil = family.facts["guardians"][0], family.facts["pupil"]
    server = start_server(now=OPENING, seed=seed_sandbox_city)

    page.goto(server.url + "/signup")
    page.fill("#name", parent["name"])
    page.fill("#id_number", parent["id_number"])
    page.fill("#username", "parent-hu")
    page.fill("#password", PASSWORD)
    page.fill("#password2", PASSWORD)
    shoot(page, "signup")
    page.click("[data-testid=signup-submit]")
    expect(page.locator("[data-testid=season-status]")).to_be_visible()
    expect(page.locator("[data-testid='district-window-东湖区']")).to_have_attribute("data-state", "open")
    shoot(page, "home")

    page.click("[data-testid=start-application]")
    page.fill("#pupil_id_number", family.pupil_id)
    page.fill("#pupil_name", pupil["name"])
    page.select_option("#district", "东湖区")
    page.click("[data-testid=new-application-submit]")
    application_id = int(page.locator("[data-testid=application]").get_attribute("data-application-id"))
    page.click("[data-testid=fetch-pupil-record]")
    expect(page.locator("[data-testid=pupil-name]")).to_have_text(pupil["name"])
    shoot(page, "pupil-record")
    page.click("[data-testid=confirm-pupil-record]")
    expect(page.locator("[data-testid=source-hukou]")).to_have_attribute("data-status", "fetched")
    basis = family.facts["basis"]
    page.check(f"[data-testid=basis-option-{basis['kind']}-{basis['id']}]")
    page.click("[data-testid=basis-submit]")
    expect(page.locator("[data-testid=tier]")).to_have_attribute("data-value", "1")
    shoot(page, "tier-before-submit")

    page.click("[data-testid=go-submit]")
    submit = page.locator("[data-testid=submit-button]")
    expect(submit).to_be_disabled()  # until the guardian confirms it cannot be changed
    page.check("[data-testid=confirm-checkbox]")
    shoot(page, "confirm-submit")
    submit.click()
    serial = page.locator("[data-testid=serial]")
    expect(serial).to_have_text(re.compile(r"^\d{6,}"))
    number = serial.inner_text()
    shoot(page, "submitted")
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
