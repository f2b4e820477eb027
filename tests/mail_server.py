"""A real SMTP server for tests (aiosmtpd, in its own thread), and what it received.

Every test can ask for the `smtp_server` fixture (tests/conftest.py imports it).
Recipients whose address starts with "refused" are refused with a permanent 550.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller


@dataclass
class _Collector:
    messages: list[EmailMessage] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address: str, rcpt_options) -> str:
        if address.startswith("refused"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        message = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"


@dataclass
class ReceivedMail:
    handler: _Collector
    url: str
    port: int

    @property
    def messages(self) -> list[EmailMessage]:
        with self.handler.lock:
            return list(self.handler.messages)

    def message_ids(self) -> list[str]:
        return [message["Message-ID"] for message in self.messages]


def free_port() -> int:
    """A port nothing listens on (also what a test uses for a server that is down)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server() -> Iterator[ReceivedMail]:
    handler = _Collector()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield ReceivedMail(handler=handler, url=f"smtp://127.0.0.1:{port}", port=port)
    finally:
        controller.stop()
