"""Staff accounts for tests, signed in through the staff sign-in page."""

from __future__ import annotations

from datetime import datetime, timezone

import httpx

from portal.identity import staff_access
from portal.tables import StaffActivity

PASSWORD = "a long staff password"


async def staff_member(email: str, role: str = "admin", hub_ids: tuple[int, ...] = (),
                       activity_ids: tuple[int, ...] = ()) -> int:
    staff_id = await staff_access.create_staff(email, email.split("@")[0].title(), role, PASSWORD,
                                               datetime.now(timezone.utc), hub_ids)
    if activity_ids:
        await StaffActivity.insert(*(StaffActivity(staff=staff_id, activity=a) for a in activity_ids))
    return staff_id


async def staff_sign_in(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    await client.get("/staff/accedi")
    return await client.post("/staff/accedi", data={
        "email": email, "password": password, "_csrf_token": client.cookies["csrftoken"]})


async def loaded_staff(email: str, role: str = "admin", hubs: tuple[int, ...] = (),
                       activities: tuple[int, ...] = ()) -> staff_access.Staff:
    """A new staff member as the domain functions take them."""
    return await staff_access.load_staff(await staff_member(email, role, hubs, activities))


async def signed_in(client: httpx.AsyncClient, email: str) -> httpx.AsyncClient:
    """The client, signed in as this staff member and reading the pages in English."""
    response = await staff_sign_in(client, email)
    assert response.status_code == 303, response.text[:300]
    client.cookies.set("lang", "en")
    return client
