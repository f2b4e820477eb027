"""Sign-in by e-mail code against the real database: code lifecycle, throttling, sessions store."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from portal.identity import codes as identity
from portal.identity import sessions
from portal.mail import outbox
from portal.mail.messages import using_language
from portal.tables import Family, Outbox, SignInCode, Throttle, WebSession

pytestmark = pytest.mark.anyio

NOW = datetime(2031, 3, 3, 8, 0, 30, tzinfo=timezone.utc)
SECRET = "test-secret-key-test-secret-key-0123456789"
BASE = "https://poli.example.it"


async def ask(email: str, now: datetime = NOW, ip: str = "10.0.0.1", purpose: str = "sign_in",
              family_id: int | None = None) -> str:
    return await identity.request_code(email, purpose, "it", ip, now, base_url=BASE, secret_key=SECRET,
                                       family_id=family_id)


async def mailed(email: str) -> tuple[str, str]:
    """The code and the link token of the last mail to `email`."""
    row = await Outbox.select(Outbox.text_body).where(Outbox.to_address == email).order_by(
        Outbox.id, ascending=False).first()
    code = re.search(r"\b(\d{6})\b", row["text_body"]).group(1)
    token = re.search(r"/(?:accedi|famiglia/email)/link/([A-Za-z0-9_-]+)", row["text_body"]).group(1)
    return code, token


async def verify(email: str, code: str, now: datetime = NOW, ip: str = "10.0.0.1") -> int:
    return await identity.verify_code(email, code, now, secret_key=SECRET, client_ip=ip)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


# -- the code ------------------------------------------------------------------------------


async def test_code_and_link_are_mailed_and_only_their_hashes_stored(empty_db):
    email = await ask("  Anna.Rossi@Example.IT ")
    assert email == "anna.rossi@example.it"
    code, token = await mailed(email)
    mail = await Outbox.select().first()
    assert mail["to_address"] == email and f"{BASE}/accedi/link/{token}" in mail["text_body"]
    row = await SignInCode.select().first()
    assert row["email"] == email and row["purpose"] == "sign_in" and row["attempts"] == 0
    assert row["expires_at"] == NOW + timedelta(minutes=10)
    assert re.fullmatch(r"[0-9a-f]{64}", row["code_hash"]) and re.fullmatch(r"[0-9a-f]{64}", row["link_hash"])
    stored = " ".join(str(value) for value in row.values())
    assert code not in stored and token not in stored
    assert await Family.count() == 0  # asking for a code creates nothing


async def test_first_sign_in_creates_the_family_and_later_ones_find_it(empty_db):
    await ask("anna@example.it")
    code, _ = await mailed("anna@example.it")
    family_id = await verify("ANNA@example.it ", code)
    family = await Family.select().where(Family.id == family_id).first()
    assert family["email"] == "anna@example.it" and family["name"] == "" and family["language"] == "it"
    await ask("anna@example.it", NOW + timedelta(minutes=1))
    code, _ = await mailed("anna@example.it")
    assert await verify("anna@example.it", code, NOW + timedelta(minutes=1)) == family_id
    assert await Family.count() == 1


@pytest.mark.parametrize("raw", ["", "anna", "anna@", "@example.it", "anna@example", "an na@example.it",
                                 "anna@exa_mple.it", "<anna@example.it>", "a@b.it\r\nBcc: x@y.it",
                                 "x" * 65 + "@example.it", "anna@" + "d" * 250 + ".it"])
async def test_bad_addresses_are_refused_and_nothing_is_written(empty_db, raw):
    with pytest.raises(identity.InvalidEmail) as refused:
        await ask(raw)
    assert refused.value.field == "email" and refused.value.status_code == 422
    assert await Outbox.count() == 0 and await SignInCode.count() == 0


async def test_a_code_works_once(empty_db):
    await ask("anna@example.it")
    code, _ = await mailed("anna@example.it")
    await verify("anna@example.it", code)
    with pytest.raises(identity.CodeRejected):
        await verify("anna@example.it", code)


async def test_a_code_expires_after_ten_minutes(empty_db):
    await ask("anna@example.it")
    code, _ = await mailed("anna@example.it")
    with using_language("en"), pytest.raises(identity.CodeRejected, match="expired"):
        await verify("anna@example.it", code, NOW + timedelta(minutes=10))
    await ask("anna@example.it", NOW + timedelta(minutes=20))
    code, _ = await mailed("anna@example.it")
    assert await verify("anna@example.it", code, NOW + timedelta(minutes=29, seconds=59))


async def test_five_attempts_then_even_the_right_code_is_refused(empty_db):
    await ask("anna@example.it")
    code, _ = await mailed("anna@example.it")
    for left in (4, 3, 2, 1):
        with pytest.raises(identity.CodeRejected, match=f"{left}"):
            await verify("anna@example.it", wrong(code))
    with pytest.raises(identity.CodeRejected):
        await verify("anna@example.it", wrong(code))
    with pytest.raises(identity.CodeRejected):
        await verify("anna@example.it", code)
    assert (await SignInCode.select(SignInCode.attempts).first())["attempts"] == 5
    assert await Family.count() == 0


async def test_four_wrong_attempts_leave_the_fifth_for_the_right_code(empty_db):
    await ask("anna@example.it")
    code, _ = await mailed("anna@example.it")
    for _ in range(4):
        with pytest.raises(identity.CodeRejected):
            await verify("anna@example.it", wrong(code))
    assert await verify("anna@example.it", code)


async def test_concurrent_guesses_never_exceed_five_attempts(empty_db):
    await ask("anna@example.it")
    code, _ = await mailed("anna@example.it")
    results = await asyncio.gather(*(verify("anna@example.it", wrong(code)) for _ in range(8)),
                                   return_exceptions=True)
    assert all(isinstance(result, identity.CodeRejected) for result in results)
    assert (await SignInCode.select(SignInCode.attempts).first())["attempts"] == 5


async def test_malformed_codes_are_refused_without_using_an_attempt(empty_db):
    await ask("anna@example.it")
    for code in ("", "12345", "1234567", "abcdef", "١٢٣٤٥٦"):
        with pytest.raises(identity.CodeRejected, match="6"):
            await verify("anna@example.it", code)
    assert (await SignInCode.select(SignInCode.attempts).first())["attempts"] == 0


async def test_spaces_in_a_typed_code_are_ignored(empty_db):
    await ask("anna@example.it")
    code, _ = await mailed("anna@example.it")
    assert await verify("anna@example.it", f" {code[:3]} {code[3:]} ")


async def test_a_new_code_replaces_the_earlier_one(empty_db):
    await ask("anna@example.it")
    first, first_token = await mailed("anna@example.it")
    await ask("anna@example.it", NOW + timedelta(minutes=1))
    second, _ = await mailed("anna@example.it")
    if first != second:
        with pytest.raises(identity.CodeRejected):
            await verify("anna@example.it", first, NOW + timedelta(minutes=2))
    assert not await identity.link_is_valid(first_token, NOW, secret_key=SECRET)
    assert await verify("anna@example.it", second, NOW + timedelta(minutes=2))


async def test_a_code_is_bound_to_its_address(empty_db):
    await ask("anna@example.it")
    await ask("bruno@example.it")
    code, _ = await mailed("anna@example.it")
    with pytest.raises(identity.CodeRejected):
        await verify("bruno@example.it", code)


async def test_the_link_signs_in_once_and_reading_it_uses_nothing(empty_db):
    await ask("anna@example.it")
    code, token = await mailed("anna@example.it")
    for _ in range(3):  # a mail scanner, then the family
        assert await identity.link_is_valid(token, NOW, secret_key=SECRET)
    assert (await SignInCode.select(SignInCode.attempts, SignInCode.used_at).first()) == {
        "attempts": 0, "used_at": None}
    family_id = await identity.verify_link(token, NOW, secret_key=SECRET, client_ip="10.0.0.1")
    assert family_id == (await Family.select(Family.id).first())["id"]
    assert not await identity.link_is_valid(token, NOW, secret_key=SECRET)
    with pytest.raises(identity.CodeRejected):
        await identity.verify_link(token, NOW, secret_key=SECRET)
    with pytest.raises(identity.CodeRejected):  # the code of the same mail is used up too
        await verify("anna@example.it", code)


async def test_links_expire_and_unknown_tokens_fail(empty_db):
    await ask("anna@example.it")
    _, token = await mailed("anna@example.it")
    later = NOW + timedelta(minutes=10, seconds=1)
    assert not await identity.link_is_valid(token, later, secret_key=SECRET)
    for bad in (token[:-1] + ("A" if token[-1] != "A" else "B"), "", "x" * 500):
        with pytest.raises(identity.CodeRejected):
            await identity.verify_link(bad, NOW, secret_key=SECRET)
    with pytest.raises(identity.CodeRejected):
        await identity.verify_link(token, later, secret_key=SECRET)


async def test_a_sign_in_link_does_not_change_an_e_mail_and_back(empty_db):
    await ask("anna@example.it")
    _, token = await mailed("anna@example.it")
    with pytest.raises(identity.CodeRejected):
        await identity.verify_change_link(token, NOW, secret_key=SECRET)
    assert await identity.link_is_valid(token, NOW, secret_key=SECRET)


async def test_the_answer_is_the_same_for_known_and_unknown_addresses(empty_db):
    await ask("known@example.it")
    await verify("known@example.it", (await mailed("known@example.it"))[0])
    known = await ask("known@example.it", NOW + timedelta(minutes=1))
    unknown = await ask("unknown@example.it", NOW + timedelta(minutes=1))
    assert (known, unknown) == ("known@example.it", "unknown@example.it")
    mails = await Outbox.select(Outbox.to_address, Outbox.subject).where(Outbox.created_at > NOW)
    assert sorted(mail["to_address"] for mail in mails) == ["known@example.it", "unknown@example.it"]
    assert len({mail["subject"] for mail in mails}) == 1


async def test_the_mail_reaches_a_real_smtp_server(empty_db, smtp_server):
    await ask("anna@example.it")
    code, token = await mailed("anna@example.it")
    assert await outbox.deliver_due(replace(empty_db, smtp_url=smtp_server.url), NOW + timedelta(seconds=1)) == 1
    [message] = smtp_server.messages
    assert message["To"] == "anna@example.it"
    body = message.get_body(("plain",)).get_content()
    assert code in body and f"/accedi/link/{token}" in body


# -- throttling ----------------------------------------------------------------------------


async def test_codes_are_limited_per_address(empty_db):
    limit, _ = identity.CODES_PER_EMAIL
    for minute in range(limit):
        await ask("anna@example.it", NOW + timedelta(minutes=minute), ip=f"10.0.0.{minute}")
    with pytest.raises(identity.TooManyRequests) as refused:
        await ask("Anna@example.it", NOW + timedelta(minutes=limit), ip="10.9.9.9")
    assert refused.value.status_code == 429 and 0 < refused.value.retry_after <= 3600
    assert "minut" in refused.value.message
    assert await Outbox.count() == limit
    await ask("bruno@example.it", NOW + timedelta(minutes=limit))  # other addresses are not affected
    await ask("anna@example.it", NOW + timedelta(hours=1))  # the next window


async def test_codes_are_limited_per_client_address(empty_db, monkeypatch):
    for name in ("CODES_PER_CLIENT", "ATTEMPTS_PER_CLIENT"):  # put back after the test
        monkeypatch.setattr(identity, name, getattr(identity, name))
    identity.limit_clients(4)  # SIGN_IN_PER_CLIENT_HOUR=4
    limit, _ = identity.CODES_PER_CLIENT
    assert limit == 4 and identity.ATTEMPTS_PER_CLIENT == (8, 3600)
    for number in range(limit):
        await ask(f"famiglia{number}@example.it", ip="192.0.2.7")
    with pytest.raises(identity.TooManyRequests):
        await ask("another@example.it", ip="192.0.2.7")
    await ask("another@example.it", ip="192.0.2.8")
    assert await Outbox.count() == limit + 1


async def test_throttle_keys_hold_no_address_in_clear(empty_db):
    await ask("anna@example.it", ip="192.0.2.55")
    keys = " ".join(row["key"] for row in await Throttle.select(Throttle.key))
    assert "anna" not in keys and "192.0.2.55" not in keys


async def test_the_mail_is_in_the_familys_language(empty_db, monkeypatch):
    languages = []
    real = identity.mail.sign_in_code
    monkeypatch.setattr(identity.mail, "sign_in_code", lambda language, *args: languages.append(language) or real(
        language, *args))
    await ask("anna@example.it")
    await Family.update({Family.language: "en"}).where(Family.id == await verify(
        "anna@example.it", (await mailed("anna@example.it"))[0]))
    await ask("anna@example.it", NOW + timedelta(minutes=1))
    await ask("new@example.it", NOW + timedelta(minutes=1))
    assert languages == ["it", "en", "it"]


async def test_throttle_counts_concurrent_hits_exactly(empty_db):
    results = await asyncio.gather(*(identity.hit("k", (25, 60), NOW) for _ in range(40)))
    assert sum(result is None for result in results) == 25
    assert (await Throttle.select(Throttle.hits).where(Throttle.key == "k").first())["hits"] == 40


async def test_verification_attempts_are_limited_per_client_address(empty_db, monkeypatch):
    monkeypatch.setattr(identity, "ATTEMPTS_PER_CLIENT", (3, 3600))
    await ask("anna@example.it")
    code, _ = await mailed("anna@example.it")
    for _ in range(3):
        with pytest.raises(identity.CodeRejected):
            await verify("anna@example.it", wrong(code), ip="198.51.100.1")
    with pytest.raises(identity.TooManyRequests):
        await verify("anna@example.it", code, ip="198.51.100.1")
    assert await verify("anna@example.it", code, ip="198.51.100.2")


async def test_old_codes_and_windows_are_purged(empty_db):
    await ask("anna@example.it")
    await ask("bruno@example.it", NOW + timedelta(days=2))
    assert [row["email"] for row in await SignInCode.select(SignInCode.email)] == ["bruno@example.it"]
    assert all(row["window_start"] > NOW for row in await Throttle.select(Throttle.window_start))


# -- sessions --------------------------------------------------------------------------------


async def test_sign_out_everywhere_raises_the_epoch(empty_db):
    await ask("anna@example.it")
    family_id = await verify("anna@example.it", (await mailed("anna@example.it"))[0])
    await identity.sign_out_everywhere(family_id)
    await identity.sign_out_everywhere(family_id)
    assert (await Family.select(Family.session_epoch).first())["session_epoch"] == 2


async def test_the_session_store_keeps_bytes_with_an_expiry(empty_db):
    store = sessions.DatabaseStore()
    value = bytes(range(256))
    await store.set("one", value, expires_in=60)
    await store.set("forever", "text")
    assert await store.get("one") == value and await store.get("forever") == b"text"
    assert 58 <= await store.expires_in("one") <= 60 and await store.expires_in("forever") is None
    assert await store.exists("one") and not await store.exists("missing")
    await store.set("one", b"again", expires_in=timedelta(seconds=120))
    assert await store.get("one") == b"again" and await store.expires_in("one") > 60
    assert await WebSession.count() == 2
    await store.delete("one")
    await store.delete("missing")
    assert await store.get("one") is None
    await store.delete_all()
    assert await WebSession.count() == 0


async def test_expired_sessions_are_not_returned_and_are_purged(empty_db):
    store = sessions.DatabaseStore()
    await store.set("old", b"x", expires_in=60)
    await WebSession.update({WebSession.expires_at: datetime.now(timezone.utc) - timedelta(seconds=1)}).where(
        WebSession.key == "old")
    assert await store.get("old") is None and not await store.exists("old")
    await store.set("new", b"y", expires_in=60)
    await identity.purge_expired(datetime.now(timezone.utc))
    assert [row["key"] for row in await WebSession.select(WebSession.key)] == ["new"]
