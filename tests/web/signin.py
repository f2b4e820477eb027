"""Sign a test client in the way a family does: e-mail, then the code read from the mail."""

from __future__ import annotations

import re

import httpx

from portal.tables import Outbox


async def sign_in(client: httpx.AsyncClient, email: str) -> None:
    await client.get("/accedi")
    token = client.cookies["csrftoken"]
    response = await client.post("/accedi", data={"email": email, "_csrf_token": token})
    assert response.status_code == 303, response.text[:500]
    mail = await Outbox.select(Outbox.text_body).where(Outbox.to_address == email).order_by(
        Outbox.id, ascending=False).first()
    code = re.search(r"\b(\d{6})\b", mail["text_body"]).group(1)
    response = await client.post("/accedi/codice", data={"code": code, "_csrf_token": token})
    assert response.status_code == 303, response.text[:500]


def csrf(client: httpx.AsyncClient) -> dict[str, str]:
    return {"_csrf_token": client.cookies["csrftoken"]}
