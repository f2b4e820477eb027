"""Flyers: the A4 PDF read back (its text, its tags, the URLs in its QR codes) in every language."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import datetime, timedelta, timezone

import pytest
from pypdf import PdfReader

from portal import i18n
from tests import factories
from tests.external import missing

pytestmark = pytest.mark.anyio
BASE = "http://testserver"


@pytest.fixture
async def catalogue(empty_db):
    services = await factories.taxonomy()
    hub = await factories.hub("vomero", "Polo Vomero", phone="081 123 4567")
    soon = datetime.now(timezone.utc) + timedelta(days=2)
    party = await factories.activity(services["attivita-culturali"], hub, "Festa delle famiglie", slug="festa")
    await factories.meeting(party, soon, place="Cortile del polo")
    neutral = await factories.activity(services["spazio-neutro"], hub, "Spazio Neutro", slug="neutro",
                                       access="referral")
    await factories.meeting(neutral, soon, place="Stanza riservata")
    mediation = await factories.activity(services["mediazione-familiare"], hub, "Mediazione", slug="mediazione",
                                         access="request", capacity=1)
    await factories.meeting(mediation, soon, private=True, place="Studio privato")


def qr_urls(pdf: bytes, tmp_path) -> list[str]:
    """The page rendered by poppler, its QR codes decoded by zbar."""
    tools = {"pdftoppm": "poppler-utils", "zbarimg": "zbar-tools"}
    absent = [package for tool, package in tools.items() if not shutil.which(tool)]
    if absent:
        missing(f"install them with `apt-get install -y {' '.join(absent)}`")
    (tmp_path / "flyer.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(tmp_path / "flyer.pdf"),
                    str(tmp_path / "flyer")], check=True)
    found = subprocess.run(["zbarimg", "--quiet", "--raw", str(tmp_path / "flyer.png")], capture_output=True,
                           text=True, check=True)
    return sorted(found.stdout.split())


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.parametrize("language", i18n.LANGUAGES)
async def test_activity_flyer_in_every_language(client, catalogue, language, tmp_path):
    response = await client.get(f"/attivita/festa/volantino.pdf?lang={language}")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width) * 25.4 / 72), round(float(box.height) * 25.4 / 72)) == (210, 297)  # A4
    assert reader.trailer["/Root"]["/MarkInfo"]["/Marked"] and "/StructTreeRoot" in reader.trailer["/Root"]
    text = " ".join(pdf_text(response.content).split())
    i18n.set_language(language)
    try:
        heading = i18n.gettext("Next meetings")
        weekday = i18n.format_datetime(datetime.now(timezone.utc) + timedelta(days=2), i18n.DAY)
    finally:
        i18n.set_language("it")
    for expected in ("Festa delle famiglie", "Cortile del polo", "081 123 4567", "vomero@example.it"):
        assert expected in text
    if language != "ar":  # Arabic comes back from the PDF in visual order, shaped: checked through the QR
        assert heading in text and weekday.split()[0].strip(",") in text
    suffix = "" if language == "it" else f"?lang={language}"
    assert qr_urls(response.content, tmp_path) == sorted(
        [f"{BASE}/attivita/festa{suffix}", f"{BASE}/calendari/attivita/festa.ics{suffix}"])


async def test_hub_flyer_leaves_out_private_and_referral_meetings(client, catalogue, tmp_path):
    response = await client.get("/poli/vomero/volantino.pdf")
    text = pdf_text(response.content)
    assert "Festa delle famiglie" in text and "Prossimi incontri" in text
    assert "Stanza riservata" not in text and "Studio privato" not in text
    assert qr_urls(response.content, tmp_path) == [f"{BASE}/calendari/poli/vomero.ics", f"{BASE}/poli/vomero"]


async def test_flyer_page_prints_the_same_and_names_its_language(client, catalogue):
    page = await client.get("/attivita/festa/volantino?lang=ar")
    assert page.status_code == 200
    assert '<html lang="ar" dir="rtl">' in page.text and "flyer.css" in page.text
    assert '<h1 lang="it" dir="ltr">Festa delle famiglie</h1>' in page.text  # the hub's text is Italian
    assert 'href="/attivita/festa/volantino.pdf?lang=ar"' in page.text
    assert (await client.get("/attivita/nessuna/volantino.pdf")).status_code == 404
    assert (await client.get("/poli/nessuno/volantino")).status_code == 404
