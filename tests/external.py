"""A tool a test needs from outside Python (Chromium, Node packages, Redis, HAProxy, poppler…) is missing."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def missing(message: str) -> NoReturn:
    """Skip, saying how to install it; in CI (REQUIRE_EXTERNAL_TOOLS=1), which installs it, fail instead:
    a skip there would hide a gap."""
    if os.environ.get("REQUIRE_EXTERNAL_TOOLS"):
        pytest.fail(message)
    pytest.skip(message)
