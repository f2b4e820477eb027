"""axe-core (the npm package, injected by Playwright) finds no serious or critical violation on the pages
of a first booking, on a 390×844 phone and a 1280×800 desk, signed out and signed in."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from portal.demo import loader as demo
from portal.tables import Activity, Meeting
from tests import factories
from tests.browser.conftest import PHONE, open_page, sign_in_with_code
from tests.browser.test_phone_first_booking import born
from tests.external import missing

pytestmark = [pytest.mark.anyio, pytest.mark.browser]
AXE = Path(__file__).parents[2] / "node_modules" / "axe-core" / "axe.min.js"
DESK = {"width": 1280, "height": 800}
SPAZIO = "spazio-0-3-gioco-e-incontro-poggioreale"
STUDIO = "spazio-studio-scuola-primaria"  # a course for children aged 6–10


@pytest.fixture(scope="module")
def axe_source() -> Path:
    if not AXE.exists():
        missing("axe-core is missing: run `npm ci` (it is in package.json)")
    return AXE


@pytest.fixture
async def pages(empty_db) -> dict[str, list[str]]:
    await demo.load_demo(datetime.now(timezone.utc))
    spazio = await Activity.select(Activity.id).where(Activity.slug == SPAZIO).first()
    meeting = await Meeting.select(Meeting.id).where(Meeting.activity == spazio["id"]).order_by(
        Meeting.starts_at, ascending=False).first()
    studio = await Activity.select(Activity.slug).where(Activity.slug.like(STUDIO + "%")).first()
    public = ["/", "/?district=Municipalità 4&age=2", f"/attivita/{SPAZIO}", f"/attivita/{studio['slug']}",
              "/poli/poggioreale-san-lorenzo-vicaria", "/?lang=en"]
    family = ["/", "/famiglia", f"/attivita/{SPAZIO}", f"/attivita/{SPAZIO}/prenota",
              f"/attivita/{SPAZIO}/prenota?incontro={meeting['id']}", f"/attivita/{studio['slug']}/prenota"]
    return {"public": public, "family": family}


async def serious_violations(page) -> list[str]:
    await page.add_script_tag(path=str(AXE))
    result = await page.evaluate("axe.run(document)")
    return [f"{v['id']} ({v['impact']}): {[node['target'] for node in v['nodes']][:3]}"
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("viewport", [PHONE, DESK], ids=["phone", "desk"])
async def test_no_serious_or_critical_violations(server, chromium_path, mailbox, axe_source, pages, viewport):
    email = f"axe-{viewport['width']}@example.it"
    await factories.family(email, children=(born(26),))
    found = {}
    async with open_page(chromium_path, viewport, bypass_csp=True) as page:  # the CSP would refuse axe's script
        for path in pages["public"]:
            await page.goto(server + path)
            found[path] = await serious_violations(page)
        await page.goto(f"{server}/accedi?next=/famiglia")
        await sign_in_with_code(page, mailbox, email)
        await page.wait_for_url("**/famiglia")
        for path in pages["family"]:
            await page.goto(server + path)
            found["signed in: " + path] = await serious_violations(page)
    assert not {path: violations for path, violations in found.items() if violations}
