"""A reviewer returns an application for materials (§8.1); the guardian reads why online, uploads
the document and sends it back; the reviewer sees it again, is asked before approving while the
document is unchecked, accepts the document and approves."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import seed_sandbox_city, tier_one_family_of_donghu

pytestmark = pytest.mark.browser

REASON = "请上传房产证首页扫描件 Please upload the first page of the property certificate"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def test_reviewer_returns_for_materials_and_the_guardian_answers(start_server, sandbox_city, page, login, shoot,
                                                                  guardian_submits, tmp_path):
    server = start_server(seed=seed_sandbox_city)
    submitted = guardian_submits(page, server, tier_one_family_of_donghu(sandbox_city), "parent-return")
    page.click("[data-testid=logout]")

    login(page, server, "reviewer-dh")
    page.click(f"[data-testid=queue-row] >> text={submitted.serial}")
    expect(page.locator("[data-testid=basis-marker]")).to_be_visible()  # the family's facts in words
    page.fill("#reason", REASON)
    shoot(page, "reviewer-application")
    page.click("[data-testid=decision-return_for_materials]")
    expect(page.locator("[data-testid=flash-ok]")).to_be_visible()
    page.click("[data-testid=logout]")

    login(page, server, submitted.username)
    page.goto(f"{server.url}/guardian/applications/{submitted.application_id}")
    expect(page.locator("[data-testid=state]")).to_have_attribute("data-value", "returned")
    expect(page.locator("[data-testid=feedback-item]").first).to_contain_text(REASON)
    shoot(page, "guardian-reads-the-request")
    certificate = tmp_path / "房产证.pdf"
    certificate.write_bytes(PDF)
    page.set_input_files("[data-testid=input-file]", str(certificate))
    page.click("[data-testid=upload-submit]")
    expect(page.locator("[data-testid=document]")).to_contain_text("房产证.pdf")
    page.click("[data-testid=supply-submit]")
    expect(page.locator("[data-testid=state]")).to_have_attribute("data-value", "submitted")
    shoot(page, "guardian-sent-it-back")
    page.click("[data-testid=logout]")

    login(page, server, "reviewer-dh")
    page.click(f"[data-testid=queue-row] >> text={submitted.serial}")
    expect(page.locator("[data-testid=document]")).to_contain_text("房产证.pdf")
    expect(page.locator("[data-testid=event][data-action=return_for_materials]")).to_contain_text(REASON)
    expect(page.locator("[data-testid=document-state]")).to_have_attribute("data-value", "pending")
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.click("[data-testid=decision-approve]")  # asked first, the document unchecked, and answered "no"
    expect(page.locator("[data-testid=state]")).to_have_attribute("data-value", "submitted")
    assert asked == ["尚有1份材料待审核，确定审核通过？"]
    page.click("[data-testid=document-accept]")
    expect(page.locator("[data-testid=flash-ok]")).to_be_visible()
    expect(page.locator("[data-testid=document-state]")).to_have_attribute("data-value", "accepted")
    page.click("[data-testid=decision-approve]")
    page.goto(f"{server.url}/review/applications/{submitted.application_id}")
    expect(page.locator("[data-testid=state]")).to_have_attribute("data-value", "approved")
    shoot(page, "reviewer-approves")
