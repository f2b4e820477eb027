"""A coordinator finds a family, reads its household file and writes a note — at a desk and on a tablet
(768 px), with axe-core (from npm) checking each page for WCAG 2.1 AA violations."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from portal.booking import service
from portal.tables import Family, HouseholdNote, PartnerService
from tests import factories
from tests.browser.conftest import DESK, open_page
from tests.operations_world import LINKS
from tests.web.staff_signin import PASSWORD, staff_member

pytestmark = [pytest.mark.anyio, pytest.mark.browser]
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
TABLET = {"width": 768, "height": 1024}
COORDINATOR = "coordinatrice.file@example.it"
NOTE = "Colloquio al polo con la madre: interessata al ciclo per genitori."


@pytest.fixture
async def household(empty_db):
    services = await factories.taxonomy()
    hub = await factories.hub("girasole", "Polo Girasole")
    party = await factories.activity(services["attivita-culturali"], hub, "Festa delle famiglie", slug="festa")
    meeting = await factories.meeting(party, datetime.now(timezone.utc) + timedelta(days=5))
    await staff_member(COORDINATOR, "coordinator", hub_ids=(hub,))
    await PartnerService.insert(PartnerService(name="Consultorio familiare", kind="family_counselling",
                                               created_at=datetime.now(timezone.utc)))
    family_id, members = await factories.family("famiglia.marino@example.it", children=((2018, 4),))
    await Family.update({Family.surname: "Marino"}).where(Family.id == family_id)
    await service.book(family_id, await service.find_target("festa", meeting), members, datetime.now(timezone.utc),
                       LINKS)
    return family_id


async def axe_violations(page) -> list[dict]:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make install` (npm ci installs axe-core)")
    await page.add_script_tag(path=str(AXE))
    result = await page.evaluate(
        "async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']})).violations"
        ".map(v => ({id: v.id, nodes: v.nodes.map(n => n.target.join(' '))}))")
    return result


async def fits(page, width: int) -> bool:
    return await page.evaluate("() => document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("viewport", [DESK, TABLET], ids=["desk", "tablet"])
async def test_household_file_coordinator_finds_reads_and_writes_a_note(server, chromium_path, household, viewport):
    async with open_page(chromium_path, viewport, bypass_csp=True) as page:  # bypass: only to inject axe
        await page.goto(server + "/staff/accedi")
        await page.fill("#staff-email", COORDINATOR)
        await page.fill("#staff-password", PASSWORD)
        await page.click("form[action='/staff/accedi'] button[type=submit]")
        await page.wait_for_url(server + "/staff/")
        await page.click("a[href='/staff/famiglie']")
        await page.fill("#household-search", "marino")
        await page.click("form[role=search] button[type=submit]")
        await page.wait_for_url("**/staff/famiglie?q=marino")
        assert "Anna Marino" in await page.inner_text("main") and "Bimbo" not in await page.inner_text("main")
        assert await axe_violations(page) == [], "search page"
        await page.click(f"a[href='/staff/famiglie/{household}']")
        await page.wait_for_url(f"**/staff/famiglie/{household}")
        main = await page.inner_text("main")
        assert "Festa delle famiglie" in main and "Confermata" in main and "Bimbo 0" in main
        assert await fits(page, viewport["width"])
        assert await axe_violations(page) == [], "file page"
        await page.select_option("#field-category", "interview")
        await page.fill("#field-body", NOTE)
        await page.click(f"form[action='/staff/famiglie/{household}/note'] button[type=submit]")
        await page.wait_for_url("**?esito=nota#note")
        assert NOTE in await page.inner_text("#note") and "La nota è stata salvata." in await page.inner_text("main")
        assert await fits(page, viewport["width"])
        assert await axe_violations(page) == [], "file page with a note"
        await page.click("a#nuovo-invio")
        await page.wait_for_url(f"**/staff/famiglie/{household}/invii/nuovo")
        assert await fits(page, viewport["width"])
        assert await axe_violations(page) == [], "referral form"
    assert await HouseholdNote.count() == 1
