"""Arabic reads right to left: the document says so, the layout is mirrored, codes stay left to right,
and axe finds no serious or critical problem. Screenshots are kept in the test's directory to be looked at."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests import factories
from tests.browser.conftest import CHROMIUM_FLAGS

pytestmark = [pytest.mark.anyio, pytest.mark.browser]

AXE = Path(__file__).parents[2] / "node_modules" / "axe-core" / "axe.min.js"
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desk": {"width": 1280, "height": 800}}
PAGES = {"home": "/", "activity": "/attivita/incontro-rtl", "appointments": "/attivita/colloquio-rtl",
         "hub": "/poli/vomero", "sign-in": "/accedi", "flyer": "/attivita/incontro-rtl/volantino"}


@pytest.fixture
async def catalogue(empty_db):
    services = await factories.taxonomy()
    hub = await factories.hub("vomero", "Polo Vomero")
    activity = await factories.activity(services["gruppi-genitori"], hub, "Incontro per genitori",
                                        slug="incontro-rtl")
    await factories.meeting(activity, datetime.now(timezone.utc) + timedelta(days=2))
    appointment = await factories.activity(services["mediazione-familiare"], hub, "Colloquio", slug="colloquio-rtl",
                                           capacity=1, seat_unit="family", audience="adults")
    for day in (2, 3):
        await factories.meeting(appointment, datetime.now(timezone.utc) + timedelta(days=day), minutes=45)


async def axe_problems(page) -> list[str]:
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `npm ci`")
    await page.add_script_tag(path=str(AXE))
    violations = await page.evaluate("async () => (await axe.run(document)).violations"
                                     ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.html)}))")
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    return [f"{v['id']} ({v['impact']}): {v['nodes'][:3]}" for v in serious]


@pytest.mark.parametrize("viewport", VIEWPORTS)
async def test_arabic_pages_are_mirrored_and_accessible(server, chromium_path, catalogue, viewport, tmp_path):
    from playwright.async_api import async_playwright

    size = VIEWPORTS[viewport]
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_FLAGS)
        context = await browser.new_context(viewport=size, locale="ar", bypass_csp=True)  # axe is injected
        page = await context.new_page()
        problems = {}
        for name, path in PAGES.items():
            await page.goto(server + path)
            assert await page.get_attribute("html", "dir") == "rtl"
            assert await page.get_attribute("html", "lang") == "ar"
            await page.screenshot(path=str(tmp_path / f"ar-{name}-{viewport}.png"), full_page=True)
            assert await page.evaluate("document.documentElement.scrollWidth") <= size["width"], "no sideways scroll"
            heading = await page.locator("h1").first.bounding_box()
            assert heading["x"] + heading["width"] > size["width"] * 0.6, "the heading starts on the right"
            if name != "flyer":
                switcher = await page.locator(".language-menu summary").bounding_box()
                assert switcher["x"] < size["width"] / 2, "the language menu sits at the left end of the bar"
            problems[name] = await axe_problems(page)
        await page.goto(server + "/poli/vomero")
        phone_link = page.locator("a[href^='tel:']")
        assert await phone_link.evaluate("e => getComputedStyle(e).direction") == "ltr"
        await page.goto(server + "/accedi")
        assert await page.locator("#sign-in-email").evaluate("e => getComputedStyle(e).direction") == "ltr"
        await page.goto(server + "/attivita/colloquio-rtl")
        days = await page.locator(".slot-days a").all()
        first, second = [await day.bounding_box() for day in days[:2]]
        assert second["x"] < first["x"], "the next day is to the left of the first one"
        await browser.close()
    print(f"screenshots in {tmp_path}")
    assert not any(problems.values()), problems


async def test_switcher_names_each_language_in_itself(server, chromium_path, catalogue):
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_FLAGS)
        page = await (await browser.new_context(viewport=VIEWPORTS["phone"], locale="it-IT")).new_page()
        await page.goto(server + "/")
        await page.locator(".language-menu summary").click()
        names = await page.locator(".language-switch li").all_inner_texts()
        assert names == ["Italiano", "English", "Українська", "Română", "简体中文", "العربية"]
        await page.locator(".language-switch a[hreflang=ar]").click()
        await page.wait_for_url("**lang=ar")
        assert await page.get_attribute("html", "dir") == "rtl"
        await page.goto(server + "/")  # the choice is remembered
        assert await page.get_attribute("html", "lang") == "ar"
        await browser.close()


async def test_arabic_family_books_an_appointment_through_the_mirrored_steps(server, chromium_path, mailbox,
                                                                             catalogue, tmp_path):
    from playwright.async_api import async_playwright

    from tests.browser.conftest import first_sign_in

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_FLAGS)
        context = await browser.new_context(viewport=VIEWPORTS["phone"], locale="ar", bypass_csp=True)
        page = await context.new_page()
        await page.goto(server + "/attivita/colloquio-rtl/prenota")
        await first_sign_in(page, mailbox, "amal@example.org", "Amal", "Haddad")
        await page.wait_for_url("**/attivita/colloquio-rtl/prenota**")
        await page.locator(".slot-times a").first.click()
        await page.wait_for_url("**/prenota?incontro=*")
        steps = page.locator(".steppers-header li")
        first, second = await steps.nth(0).bounding_box(), await steps.nth(1).bounding_box()
        assert second["x"] + second["width"] <= first["x"] + 1, "step 2 follows step 1 to its left"
        await page.screenshot(path=str(tmp_path / "ar-booking-participants-phone.png"), full_page=True)
        assert await page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS["phone"]["width"]
        assert await axe_problems(page) == []

        await page.locator("label", has_text="Amal").check()  # ticked already when she fits
        await page.click("form[action$='/riepilogo'] button[type=submit]")
        await page.wait_for_url("**/prenota/riepilogo**")
        await page.click("form[action='/attivita/colloquio-rtl/prenota'] button[type=submit]")
        await page.wait_for_url("**/famiglia/prenotazioni/*")
        code = page.url.rsplit("/", 1)[1]
        shown = page.locator("bdi", has_text=code)
        assert await shown.evaluate("e => getComputedStyle(e).direction") == "ltr"
        await page.screenshot(path=str(tmp_path / "ar-booking-done-phone.png"), full_page=True)
        assert await page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS["phone"]["width"]
        assert await axe_problems(page) == []
        await browser.close()
