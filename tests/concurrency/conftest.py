"""Every concurrency test ends by recomputing the seat and waiting counters from the bookings."""

import pytest

from tests.counters import assert_counters_match_bookings


@pytest.fixture(autouse=True)
async def counters_match_bookings(request):
    yield
    if "migrated" in request.fixturenames or "empty_db" in request.fixturenames:
        await assert_counters_match_bookings()
