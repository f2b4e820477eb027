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
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from tests.mail_server import ReceivedMail, _Collector

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
PHONE = {"width": 390, "height": 844}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not shutil.which(CHROMIUM):
        message = f"{CHROMIUM} is missing: install it with `apt-get install -y chromium`"
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
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
    port = _free_port()
    env = {
        **os.environ, "DATABASE_URL": migrated.database_url, "SECRET_KEY": migrated.secret_key,
        "PORTAL_VAR_DIR": str(tmp_path_factory.mktemp("server-var")), "BASE_URL": f"http://127.0.0.1:{port}",
        "SMTP_URL": mailbox.url,
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
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
async def phone(chromium_path):
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_FLAGS)
        context = await browser.new_context(viewport=PHONE, locale="it-IT")
        page = await context.new_page()
        yield page
        await browser.close()


async def mailed_code(mailbox, email: str) -> str:
    """The sign-in code the portal mailed to `email`, read from the test SMTP server."""
    for _ in range(100):
        for message in reversed(mailbox.messages):
            if message["To"] == email:
                found = re.search(r"\b(\d{6})\b", message.get_body(("plain",)).get_content())
                if found:
                    return found.group(1)
        await asyncio.sleep(0.2)
    raise AssertionError("no sign-in code arrived")
