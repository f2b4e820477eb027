"""A real server process and Debian's Chromium, driven by Playwright."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime, timezone
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from portal.mail import outbox
from portal.settings import Settings
from tests.external import missing
from tests.mail_server import ReceivedMail, _Collector

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1024, "height": 768}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not shutil.which(CHROMIUM):
        missing(f"{CHROMIUM} is missing: install it with `apt-get install -y chromium`")
    return CHROMIUM


@pytest.fixture(scope="session")
def mailbox():
    """The SMTP server the portal under test sends its mail to."""
    handler = _Collector()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield ReceivedMail(handler=handler, url=f"smtp://127.0.0.1:{port}", port=port)
    controller.stop()


@pytest.fixture(scope="session")
def server(migrated, chromium_path, mailbox, tmp_path_factory) -> str:
    """`portal serve` on a free port, on the test database, sending mail to the test SMTP server."""
    with serve_portal(migrated, tmp_path_factory.mktemp("server-var"), SMTP_URL=mailbox.url,
                      STAFF_TWO_FACTOR="off") as url:
        yield url


@contextmanager
def serve_portal(migrated, var_dir: Path, port: int | None = None, **environment: str) -> Iterator[str]:
    """`portal serve` on `port` (a free one unless given) and the test database, until the block ends; yields
    its URL. Mail is sent by mailed_code(): a server left running must not take later tests' mail."""
    port = port or _free_port()
    env = {
        **os.environ, "DATABASE_URL": migrated.database_url, "SECRET_KEY": migrated.secret_key,
        "PORTAL_VAR_DIR": str(var_dir), "BASE_URL": f"http://127.0.0.1:{port}", "MAIL_WORKER": "0", **environment,
    }
    portal = Path(sys.executable).parent / "portal"
    process = subprocess.Popen([str(portal), "serve", "--port", str(port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(url + "/healthz", timeout=1)
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"the server did not start: {process.stderr.read().decode()[-2000:]}")
            time.sleep(0.2)
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@asynccontextmanager
async def open_page(chromium_path: str, viewport: dict, **context_options):
    """A page in a fresh Chromium, Italian unless told otherwise."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_FLAGS)
        context = await browser.new_context(viewport=viewport, **{"locale": "it-IT", **context_options})
        yield await context.new_page()
        await browser.close()


@pytest.fixture
async def phone(chromium_path):
    async with open_page(chromium_path, PHONE) as page:
        yield page


@pytest.fixture
async def desk(chromium_path):
    async with open_page(chromium_path, DESK) as page:
        yield page


async def sign_in_with_code(page, mailbox, email: str) -> None:
    """From the sign-in page a family was sent to: the e-mail, then the code read from the mail."""
    await page.wait_for_url("**/accedi?next=**")
    await page.fill("#sign-in-email", email)
    await page.click("form[action='/accedi'] button[type=submit]")
    await page.wait_for_url("**/accedi/codice")
    await page.fill("#sign-in-code", await mailed_code(mailbox, email))
    await page.click("form[action='/accedi/codice'] button[type=submit]")


async def first_sign_in(page, mailbox, email: str, name: str, surname: str) -> None:
    """A new family: signing in, then the first-time profile."""
    await sign_in_with_code(page, mailbox, email)
    await page.wait_for_url("**/famiglia/profilo**")
    await page.fill("#profile-name", name)
    await page.fill("#profile-surname", surname)
    await page.click("label[for=profile-privacy]")  # the styled box sits under its label
    await page.click("form[action='/famiglia/profilo'] button[type=submit]")


async def mailed_code(mailbox, email: str) -> str:
    """The sign-in code the portal mailed to `email`, read from the test SMTP server."""
    sender = Settings(database_url="sqlite:///unused", secret_key="", base_url="http://127.0.0.1", var_dir=Path("."),
                      smtp_url=mailbox.url)
    for _ in range(100):
        await outbox.deliver_due(sender, datetime.now(timezone.utc))
        for message in reversed(mailbox.messages):
            if message["To"] == email:
                found = re.search(r"\b(\d{6})\b", message.get_body(("plain",)).get_content())
                if found:
                    return found.group(1)
        await asyncio.sleep(0.2)
    raise AssertionError("no sign-in code arrived")
