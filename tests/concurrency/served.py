"""The portal served as in production for the concurrency tests: `portal serve --workers 2` on the test
database, the web processes sending mail to the test SMTP server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from portal.settings import Settings
from tests.mail_server import ReceivedMail, free_port

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
import crash  # noqa: E402  (the bench's wait for a served portal)


@contextmanager
def two_workers(settings: Settings, smtp_server: ReceivedMail, var_dir: Path) -> Iterator[tuple[str, dict, int]]:
    """Until the block ends: the base URL, the servers' environment and the supervisor's pid."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": settings.database_url, "SECRET_KEY": settings.secret_key,
           "BASE_URL": f"http://127.0.0.1:{port}", "PORTAL_VAR_DIR": str(var_dir), "SMTP_URL": smtp_server.url,
           "MAIL_WORKER": "1"}
    server = subprocess.Popen([str(ROOT / ".venv" / "bin" / "portal"), "serve", "--port", str(port), "--workers", "2"],
                              env=env, stdout=subprocess.DEVNULL, stderr=open(var_dir / "server.log", "wb"))
    try:
        crash.wait_ready(f"http://127.0.0.1:{port}")
        yield f"http://127.0.0.1:{port}", env, server.pid
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
