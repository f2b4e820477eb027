"""Absolute links the portal mails out, and the signed one-click links that need no sign-in."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass


@dataclass(frozen=True)
class Links:
    base_url: str
    secret: str

    def url(self, path: str) -> str:
        return self.base_url + path

    def _signature(self, purpose: str, subject: str) -> str:
        message = f"{purpose}:{subject}".encode()
        return hmac.new(self.secret.encode(), message, hashlib.sha256).hexdigest()[:32]

    def cancel_booking(self, code: str) -> str:
        """One click to cancel a booking or leave a waiting list: signed, good for this purpose only."""
        return self.url(f"/prenotazioni/{code}/annulla/{self._signature('cancel', code)}")

    def verify_cancel(self, code: str, signature: str) -> bool:
        return hmac.compare_digest(self._signature("cancel", code), signature)
