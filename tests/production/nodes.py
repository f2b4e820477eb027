"""Real `portal serve` processes (and HAProxy in front of them) for tests of several processes and nodes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tests.mail_server import free_port

PORTAL = Path(sys.executable).parent / "portal"


@dataclass
class Node:
    url: str
    process: subprocess.Popen
    log: Path

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def wait_until_ready(url: str, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url + "/readyz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            raise RuntimeError(f"{url} did not become ready:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.2)


def start_node(env: dict[str, str], var_dir: Path, workers: int = 2) -> Node:
    """`portal serve --workers N` on a free port, with its own var directory (metrics, secret)."""
    port = free_port()
    var_dir.mkdir(parents=True, exist_ok=True)
    log = var_dir / "serve.log"
    process = subprocess.Popen(
        [str(PORTAL), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
        env={**os.environ, "PORTAL_VAR_DIR": str(var_dir), "PROMETHEUS_MULTIPROC_DIR": "", **env},
        stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    wait_until_ready(url, process, log)
    return Node(url, process, log)


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


HAPROXY_CONFIG = """
global
    maxconn 4096
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout check 10s
    retries 3
    option redispatch
    option forwardfor
frontend portal
    bind 127.0.0.1:{port}
    default_backend nodes
backend nodes
    balance roundrobin
    option httpchk GET /readyz
    http-check expect status 200
    default-server inter 1s fall 3 rise 2
{servers}
"""


def start_haproxy(node_urls: list[str], directory: Path) -> Node:
    """A real HAProxy (Debian's package), round robin, no sticky sessions, as this process's child."""
    port = free_port()
    servers = "\n".join(f"    server node{i} {url.removeprefix('http://')} check" for i, url in enumerate(node_urls))
    config = directory / "haproxy.cfg"
    config.write_text(HAPROXY_CONFIG.format(port=port, servers=servers))
    log = directory / "haproxy.log"
    process = subprocess.Popen(["haproxy", "-db", "-f", str(config)], stdout=log.open("w"), stderr=subprocess.STDOUT,
                               start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    wait_until_ready(url, process, log)
    return Node(url, process, log)
