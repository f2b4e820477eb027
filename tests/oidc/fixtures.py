"""A real OpenID Connect provider for the suite: `oidc-provider` from npm, run with Node on a free
port (tests/oidc/provider.mjs), and a test client of the portal in the same event loop that talks
to the portal through ASGI and to the provider over the network.

tests/conftest.py imports the fixtures, so every test can ask for them.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc.jwk import RSAKey

from portal.settings import OidcSettings
from tests.external import missing

SCRIPT = Path(__file__).with_name("provider.mjs")
NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules"
SECRET = "portal-test-secret-0123456789"
PORTAL = "http://testserver"
CALLBACK = "/accedi/oidc/ritorno"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class TestProvider:
    issuer: str
    private_key_pem: str  # the key of the client that authenticates by private_key_jwt

    def set_mode(self, mode: str) -> None:
        """normal | wrong_key | expired | down | token_down (see provider.mjs)."""
        request = urllib.request.Request(self.issuer + "/__test/mode", data=mode.encode(), method="POST")
        urllib.request.urlopen(request, timeout=5).read()

    def settings(self, **changes) -> OidcSettings:
        base = OidcSettings(issuer=self.issuer, client_id="portal", client_secret=SECRET,
                            scopes="openid profile email fiscal", subject_claim="fiscal_number")
        return replace(base, **changes)

    def key_settings(self) -> OidcSettings:
        return self.settings(client_id="portal-jwt", client_secret=None, private_key=self.private_key_pem)


@pytest.fixture(scope="session")
def oidc_portal_port() -> int:
    """The port of the live portal the browser tests use, registered with the provider in advance."""
    return free_port()


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory, oidc_portal_port) -> TestProvider:
    node = shutil.which("node")
    if node is None or not (NODE_MODULES / "oidc-provider").is_dir():
        missing("node and the npm packages (make install) are needed for the OpenID Connect tests")
    folder = tmp_path_factory.mktemp("oidc")
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = RSAKey.import_key(pem).as_dict(private=False)
    (folder / "client-jwks.json").write_text(json.dumps({"keys": [public]}))
    port = free_port()
    portals = [PORTAL, f"http://127.0.0.1:{oidc_portal_port}"]
    env = {**os.environ, "PORT": str(port), "CLIENT_SECRET": SECRET,
           "CLIENT_JWKS_FILE": str(folder / "client-jwks.json"),
           "REDIRECT_URIS": ",".join(portal + CALLBACK for portal in portals),
           "POST_LOGOUT_REDIRECT_URIS": ",".join(portal + "/accedi?esito=uscita" for portal in portals)}
    process = subprocess.Popen([node, str(SCRIPT)], env=env, cwd=SCRIPT.parents[2],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    issuer = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(issuer + "/.well-known/openid-configuration", timeout=1)
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"the OpenID Connect provider did not start: {process.stderr.read().decode()[-2000:]}")
            time.sleep(0.2)
    yield TestProvider(issuer, pem)
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def provider(oidc_provider):
    """The provider, back to normal behaviour after the test."""
    oidc_provider.set_mode("normal")
    yield oidc_provider
    oidc_provider.set_mode("normal")


@pytest.fixture
async def portal_with_oidc(migrated, provider):
    """A client of the portal (configured with the provider) that also reaches the provider."""
    async with portal_client(replace(migrated, oidc=provider.settings())) as http:
        yield http


class portal_client:  # noqa: N801  (used like a function)
    """`async with portal_client(settings) as http`: the app in this loop, the provider on the network."""

    def __init__(self, settings) -> None:
        from portal.app import create_app

        self.app = create_app(settings)

    async def __aenter__(self) -> httpx.AsyncClient:
        self._lifespan = self.app.lifespan()
        await self._lifespan.__aenter__()
        self._http = httpx.AsyncClient(mounts={PORTAL: httpx.ASGITransport(app=self.app)}, base_url=PORTAL)
        return await self._http.__aenter__()

    async def __aexit__(self, *exc) -> None:
        await self._http.__aexit__(*exc)
        await self._lifespan.__aexit__(*exc)


async def to_provider_and_back(http: httpx.AsyncClient, start: httpx.Response, citizen: str | None) -> str:
    """From the portal's redirect to the provider: sign in there as `citizen` (None cancels) and
    return the address the provider sends the browser back to (not yet followed)."""
    assert start.status_code == 303, start.text[:500]
    url = start.headers["location"]
    while True:
        response = await http.get(url)
        if response.status_code in (302, 303):
            url = urljoin(url, response.headers["location"])
            if url.startswith(PORTAL):
                return url
            continue
        assert response.status_code == 200 and "/interaction/" in url, (response.status_code, response.text[:300])
        response = await http.post(url, data={"citizen": citizen or ""})
        url = urljoin(url, response.headers["location"])
