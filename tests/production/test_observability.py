"""/healthz, /readyz, /metrics and the JSON log."""

from __future__ import annotations

import io
import logging
import re
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from piccolo.engine.sqlite import SQLiteEngine

from portal import db
from portal.mail import outbox
from portal.observability.logs import JsonFormatter
from portal.tables import Member, Outbox
from tests import factories
from tests.mail_server import free_port
from tests.production.test_redis_state import serving
from tests.web.test_account import csrf, mailed

pytestmark = pytest.mark.anyio


def sample(text: str, name: str, **labels: str) -> float:
    """One sample's value from the Prometheus text format (0 when it is absent)."""
    wanted = ",".join(f'{key}="{value}"' for key, value in labels.items())
    pattern = rf"^{re.escape(name)}(?:\{{{re.escape(wanted)}\}})? ([0-9.e+-]+)$" if wanted else \
        rf"^{re.escape(name)} ([0-9.e+-]+)$"
    found = re.search(pattern, text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


@pytest.fixture
async def offer(empty_db):
    services = await factories.taxonomy()
    hub = await factories.hub("vomero", "Polo Vomero")
    activity = await factories.activity(services["gruppi-genitori"], hub, "Gruppo genitori", audience="adults",
                                        seat_unit="family", capacity=5, slug="gruppo")
    return await factories.meeting(activity, datetime.now(timezone.utc) + timedelta(days=10))


async def test_healthz_says_alive_and_readyz_checks_the_database(migrated, tmp_path):
    async with serving(migrated) as http:
        assert (await http.get("/healthz")).json() == {"status": "ok"}
        ready = await http.get("/readyz")
        assert ready.status_code == 200 and ready.json() == {"status": "ok", "database": "ok"}
        working = db.engine()
        db.bind(SQLiteEngine(path=str(tmp_path)))  # a directory: the database cannot be opened
        try:
            down = await http.get("/readyz")
            alive = await http.get("/healthz")
        finally:
            db.bind(working)
    assert down.status_code == 503 and down.json()["status"] == "unavailable" and down.json()["database"] != "ok"
    assert alive.status_code == 200


async def test_readyz_checks_redis_and_smtp_when_configured(redis_settings, smtp_server):
    async with serving(replace(redis_settings, smtp_url=smtp_server.url)) as http:
        ready = await http.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "database": "ok", "redis": "ok", "smtp": "ok"}
    async with serving(replace(redis_settings, smtp_url=f"smtp://127.0.0.1:{free_port()}")) as http:
        down = await http.get("/readyz")
    assert down.status_code == 503 and down.json()["smtp"] != "ok" and down.json()["redis"] == "ok"


async def test_metrics_are_for_allowed_addresses_or_the_token(migrated):
    async with serving(migrated) as http:  # the test client's address is 127.0.0.1, allowed by default
        assert (await http.get("/metrics")).status_code == 200
    token = "a-long-metrics-token-0123456789"
    async with serving(replace(migrated, metrics_allow=("10.0.0.0/8",), metrics_token=token)) as http:
        assert (await http.get("/metrics")).status_code == 403
        assert (await http.get("/metrics", headers={"authorization": "Bearer wrong-token-wrong"})).status_code == 403
        allowed = await http.get("/metrics", headers={"authorization": f"Bearer {token}"})
    assert allowed.status_code == 200 and allowed.headers["content-type"].startswith("text/plain")


async def test_metrics_count_requests_bookings_codes_and_the_outbox(migrated, offer):
    async with serving(migrated) as http:
        before = (await http.get("/metrics")).text
        for _ in range(3):
            assert (await http.get("/attivita/gruppo")).status_code == 200
        assert (await http.get("/attivita/nessuna")).status_code == 404
        response = await http.post("/accedi", data={"email": "nuova@example.it", **await csrf(http)})
        assert response.status_code == 303
        code, _ = await mailed("nuova@example.it")
        await http.post("/accedi/codice", data={"code": code, **await csrf(http)})
        await http.post("/famiglia/profilo", data={"name": "Nuova", "surname": "Famiglia", "phone": "",
                                                   "district": "", "language": "it", "privacy": "1",
                                                   **await csrf(http)})
        adult = await Member.select(Member.id).first()
        booked = await http.post("/attivita/gruppo/prenota", data={"incontro": str(offer), "partecipante":
                                                                   str(adult["id"]), **await csrf(http)})
        assert booked.status_code == 303
        await Outbox.update({Outbox.next_attempt_at: datetime.now(timezone.utc) + timedelta(hours=1)}, force=True)
        pending = await Outbox.count().where(Outbox.status == "pending")  # not due: no worker sends them now
        after = (await http.get("/metrics")).text
    route = {"method": "GET", "route": "/attivita/{slug}"}
    assert sample(after, "portal_http_requests_total", **route, status="200") - \
        sample(before, "portal_http_requests_total", **route, status="200") == 3
    assert sample(after, "portal_http_requests_total", **route, status="404") - \
        sample(before, "portal_http_requests_total", **route, status="404") == 1
    assert sample(after, "portal_http_request_duration_seconds_count", **route) - \
        sample(before, "portal_http_request_duration_seconds_count", **route) == 4
    assert sample(after, "portal_bookings_total", outcome="confirmed") - \
        sample(before, "portal_bookings_total", outcome="confirmed") == 1
    assert sample(after, "portal_sign_in_codes_total", purpose="sign_in") - \
        sample(before, "portal_sign_in_codes_total", purpose="sign_in") == 1
    assert "portal_draws_total" in after
    assert pending >= 2 and sample(after, "portal_outbox_messages", status="pending") == pending
    assert sample(after, "portal_outbox_oldest_pending_age_seconds") >= 0


async def test_the_json_log_of_a_booking_flow_holds_no_name_address_or_code(migrated, offer, monkeypatch):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    portal_log = logging.getLogger("portal")
    monkeypatch.setattr(portal_log, "level", logging.INFO)
    portal_log.addHandler(handler)
    email, name, surname = "giulia.esposito@example.it", "Giulietta", "Espositoni"
    try:
        async with serving(migrated) as http:
            await http.post("/accedi", data={"email": email, **await csrf(http)})
            code, link = await mailed(email)
            await http.post("/accedi/codice", data={"code": "000000" if code != "000000" else "111111",
                                                    **await csrf(http)})  # a wrong try is logged too
            await http.post("/accedi/codice", data={"code": code, **await csrf(http)})
            await http.post("/famiglia/profilo", data={"name": name, "surname": surname, "phone": "",
                                                       "district": "", "language": "it", "privacy": "1",
                                                       **await csrf(http)})
            adult = await Member.select(Member.id).first()
            booked = await http.post("/attivita/gruppo/prenota", data={"incontro": str(offer), "partecipante":
                                                                       str(adult["id"]), **await csrf(http)})
            assert booked.status_code == 303
            await http.get(link)
            await http.get(booked.headers["location"])
        text_log = io.StringIO()  # the control: the plain log of a demo without SMTP shows the mail
        plain = logging.StreamHandler(text_log)
        portal_log.addHandler(plain)
        later = datetime.now(timezone.utc) + timedelta(hours=2)  # no other worker sends these meanwhile
        await Outbox.update({Outbox.next_attempt_at: later, Outbox.status: "pending", Outbox.last_error: ""},
                            force=True)
        await outbox.deliver_due(migrated, later)
        portal_log.removeHandler(plain)
    finally:
        portal_log.removeHandler(handler)
    log = stream.getvalue()
    assert '"request_id"' in log and '"route": "/attivita/{slug}/prenota"' in log
    assert "kept in the outbox" in log and code in text_log.getvalue() and email in text_log.getvalue()
    for secret in (email, name, surname, code, link.rsplit("/", 1)[1]):
        assert secret not in log, secret


async def test_metrics_add_up_every_worker_process(migrated, tmp_path):
    """Two uvicorn workers answer in turn; one scrape still counts every request (multiprocess mode)."""
    from tests.production.nodes import get, start_node

    node = start_node({"DATABASE_URL": migrated.database_url, "SECRET_KEY": migrated.secret_key,
                       "MAIL_WORKER": "0"}, tmp_path / "node")
    try:
        for _ in range(40):
            assert get(node.url + "/healthz")[0] == 200
        status, text = get(node.url + "/metrics")
    finally:
        node.stop()
    assert status == 200
    assert sample(text, "portal_http_requests_total", method="GET", route="/healthz", status="200") == 40
    assert len(list((tmp_path / "node" / "metrics").glob("counter_*.db"))) == 2  # one file per worker
