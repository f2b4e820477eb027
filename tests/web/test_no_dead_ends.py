"""No dead ends: every date the demo catalogue offers, on every public page, leads a family somewhere it
can act — the participants step with people it can book, the dates step with a date to choose, or the
access request form — never a refusal it could not have foreseen."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from urllib.parse import urlsplit

import pytest

from portal.demo import loader as demo
from portal.i18n import ROME
from portal.tables import Activity, Family, Hub
from tests import factories
from tests.web.signin import sign_in

pytestmark = pytest.mark.anyio
EMAIL = "tutte-le-eta@example.it"
AGES_IN_MONTHS = (7, 26, 44, 96, 150, 170)  # a baby, a toddler, pre-school, primary, middle school, a teenager
ACTION_LINK = re.compile(r'href="(/attivita/[a-z0-9-]+/(?:prenota(?:\?incontro=\d+)?|richiesta))"')
PAGE_LINK = re.compile(r'href="(/\?[^"]*page=\d+[^"]*)"')
DAY_LINK = re.compile(r'href="(\?giorno=[0-9-]+)#orari"')  # an appointment's other days


def born(months: int, today) -> tuple[int, int]:
    total = today.year * 12 + today.month - 1 - months
    return total // 12, total % 12 + 1


@pytest.fixture
async def demo_family(empty_db):
    now = datetime.now(timezone.utc)
    await demo.load_demo(now)
    today = now.astimezone(ROME).date()
    await factories.family(EMAIL, children=tuple(born(months, today) for months in AGES_IN_MONTHS))
    await Family.update({Family.district: "Municipalità 4"}).where(Family.email == EMAIL)


async def public_pages(client) -> list[str]:
    """Every public page that offers dates: the catalogue (all its pages), areas, hubs, activities and the
    family area; the dates step of an activity is reached through the links they offer."""
    slugs = [row["slug"] for row in await Activity.select(Activity.slug).where(Activity.published == True)]  # noqa: E712
    hubs = [row["slug"] for row in await Hub.select(Hub.slug)]
    pages = ["/", "/famiglia", "/aree/genitorialita", "/aree/separazione", "/aree/solidarieta"]
    pages += [f"/poli/{slug}" for slug in hubs] + [f"/attivita/{slug}" for slug in slugs]
    home = (await client.get("/")).text
    pages += sorted(set(link.replace("&amp;", "&") for link in PAGE_LINK.findall(home)))
    return pages


async def test_every_offered_date_leads_where_the_family_can_act(client, demo_family):
    await sign_in(client, EMAIL)
    offered: dict[str, str] = {}
    pages, seen = await public_pages(client), set()
    while pages:
        page = pages.pop()
        if page in seen:
            continue
        seen.add(page)
        response = await client.get(page)
        assert response.status_code in (200, 303), (page, response.status_code)
        for link in ACTION_LINK.findall(response.text):
            offered.setdefault(link, page)
        pages += [urlsplit(page).path + day for day in DAY_LINK.findall(response.text)]
    assert len(offered) > 200, "the demo catalogue offers hundreds of dates"

    followed, summaries = set(), 0
    while len(followed) < len(offered):
        link = next(link for link in offered if link not in followed)
        followed.add(link)
        response = await client.get(link)
        where = f"{link} (offered on {offered[link]})"
        assert response.status_code == 200, (where, response.status_code, response.text[:300])
        if link.endswith("/richiesta"):
            assert 'name="note"' in response.text, where
            continue
        if 'id="participants-form"' not in response.text:  # the dates step offers its own dates
            dates = ACTION_LINK.findall(response.text)
            assert any("?incontro=" in date for date in dates), where
            for date in dates:
                offered.setdefault(date, link)
            continue
        chosen = re.findall(r'name="partecipante" value="(\d+)"[^>]*checked', response.text)
        assert chosen, f"{where}: the household has someone who fits, ticked"
        query = [("partecipante", member) for member in chosen]
        meeting = re.search(r"incontro=(\d+)", link)
        if meeting:
            query.append(("incontro", meeting.group(1)))
        summary = await client.get(urlsplit(link).path + "/riepilogo", params=query)
        assert summary.status_code == 200, (where, summary.text[:500])
        assert 'action="' + urlsplit(link).path + '"' in summary.text, where
        summaries += 1
    assert summaries > 200 and any(link.endswith("/richiesta") for link in followed)
