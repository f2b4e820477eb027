"""A family's profile, household and data.

Every function takes the family id of the signed-in family and touches only that family's rows:
another family's member is indistinguishable from a missing one (NotFound, a 404).
What is asked is the minimum (DESIGN §5): the referent's name and surname, optional phone, district and
language; for each member a first name, and for children the birth month and year.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from portal import db
from portal.db import NotFound
from portal.form_fields import FormErrors
from portal.households import download as household_download
from portal.i18n import LANGUAGES, N_, ROME, gettext
from portal.identity import codes as identity
from portal.tables import (
    AccessRequest,
    Booking,
    BookingEvent,
    BookingParticipant,
    Family,
    Hub,
    Member,
    SolidarityOffer,
)

NAME_LENGTH = 100  # Family.name, Family.surname
FIRST_NAME_LENGTH = 60  # Member.first_name
PHONE_LENGTH = 30
DISTRICT_LENGTH = 120
MAX_MEMBERS = 20
CHILD_MAX_YEARS = 25  # a "child" is someone's son or daughter, so young adults may still attend with parents
LIVE_BOOKING = ("pending", "confirmed", "waitlisted")
KINDS = ("adult", "child")
_PHONE = re.compile(r"^\+?[0-9 ()./-]+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Profile:
    id: int
    email: str
    name: str
    surname: str
    phone: str
    district: str
    language: str
    privacy_acknowledged_at: datetime | None
    created_at: datetime

    @property
    def complete(self) -> bool:
        return bool(self.name and self.surname and self.privacy_acknowledged_at)


@dataclass(frozen=True)
class HouseholdMember:
    id: int
    kind: str
    first_name: str
    birth_year: int | None
    birth_month: int | None


@dataclass
class _Form:
    values: Mapping[str, Any]
    errors: dict[str, str] = field(default_factory=dict)

    def text(self, name: str) -> str:
        value = self.values.get(name)
        return " ".join(str(value).split()) if value is not None else ""

    def error(self, name: str, message: str, **variables: object) -> None:
        self.errors.setdefault(name, gettext(message, **variables))

    def raise_if_any(self) -> None:
        if self.errors:
            raise FormErrors(self.errors)


def _name(form: _Form, name: str, max_length: int, missing: str) -> str:
    value = form.text(name)
    if not value:
        form.error(name, missing)
    elif len(value) > max_length:
        form.error(name, N_("Write at most %(max)s characters."), max=max_length)
    elif _CONTROL.search(value) or not any(character.isalpha() for character in value):
        form.error(name, N_("Write a name with letters."))
    return value


# -- profile -------------------------------------------------------------------------------


async def profile(family_id: int) -> Profile:
    row = await Family.select(
        Family.id, Family.email, Family.name, Family.surname, Family.phone, Family.district, Family.language,
        Family.privacy_acknowledged_at, Family.created_at,
    ).where((Family.id == family_id) & Family.erased_at.is_null()).first()
    if row is None:
        raise NotFound("family")
    return Profile(**row)


def parse_profile(values: Mapping[str, Any], acknowledged: bool) -> dict:
    """The profile's columns from a form, or FormErrors."""
    form = _Form(values)
    name = _name(form, "name", NAME_LENGTH, N_("Enter your name."))
    surname = _name(form, "surname", NAME_LENGTH, N_("Enter your surname."))
    phone = form.text("phone")
    digits = sum(character.isdigit() for character in phone)
    if phone and (len(phone) > PHONE_LENGTH or not _PHONE.match(phone) or not 6 <= digits <= 15):
        form.error("phone", N_("Enter a phone number with digits only, such as 333 123 4567 or +39 081 123 4567."))
    district = form.text("district")
    if len(district) > DISTRICT_LENGTH or _CONTROL.search(district):
        form.error("district", N_("Write at most %(max)s characters."), max=DISTRICT_LENGTH)
    language = form.text("language") or "it"
    if language not in LANGUAGES:
        form.error("language", N_("Choose a language from the list."))
    if not acknowledged and form.text("privacy") not in ("1", "on", "yes", "true"):
        form.error("privacy", N_("Confirm that you have read the privacy notice."))
    form.raise_if_any()
    return {"name": name, "surname": surname, "phone": phone, "district": district, "language": language}


async def update_profile(family_id: int, values: Mapping[str, Any], now: datetime) -> Profile:
    """Save the profile; the first time, the privacy notice's acknowledgement comes with it, and the
    referent joins the household as its first adult, ready to be chosen as a participant."""
    current = await profile(family_id)
    first_time = current.privacy_acknowledged_at is None
    columns = parse_profile(values, acknowledged=not first_time)
    if first_time:
        columns["privacy_acknowledged_at"] = now
    async with db.write_transaction():
        await Family.update({getattr(Family, name): value for name, value in columns.items()}).where(
            Family.id == family_id)
        if first_time and not await Member.exists().where((Member.family == family_id) & (Member.kind == "adult")):
            await Member.insert(Member(family=family_id, kind="adult", first_name=columns["name"], created_at=now))
    return await profile(family_id)


async def acknowledge_privacy(family_id: int, now: datetime) -> None:
    """Record that the family was shown the privacy notice (an acknowledgement, not a consent)."""
    async with db.write_transaction():
        await Family.update({Family.privacy_acknowledged_at: now}).where(
            (Family.id == family_id) & Family.privacy_acknowledged_at.is_null())


async def districts() -> list[str]:
    """The hubs' districts, offered as suggestions for the profile's district."""
    rows = await Hub.select(Hub.district).distinct().order_by(Hub.district)
    return [row["district"] for row in rows if row["district"]]


# -- household -----------------------------------------------------------------------------


def parse_member(values: Mapping[str, Any], today: date) -> dict:
    """A member's columns from a form, or FormErrors. Adults have a first name only."""
    form = _Form(values)
    kind = form.text("kind")
    if kind not in KINDS:
        form.error("kind", N_("Choose adult or child."))
    first_name = _name(form, "first_name", FIRST_NAME_LENGTH, N_("Enter the first name."))
    birth_year = birth_month = None
    if kind == "child":
        month, year = form.text("birth_month"), form.text("birth_year")
        if not (_digits(month) and 1 <= int(month) <= 12):
            form.error("birth_month", N_("Choose the month of birth."))
        else:
            birth_month = int(month)
        earliest = today.year - CHILD_MAX_YEARS
        if not (_digits(year) and len(year) == 4 and earliest <= int(year) <= today.year):
            form.error("birth_year", N_("Enter the year of birth, from %(first)s to %(last)s."),
                       first=earliest, last=today.year)
        else:
            birth_year = int(year)
        if birth_year == today.year and birth_month and birth_month > today.month:
            form.error("birth_month", N_("The date of birth cannot be in the future."))
    form.raise_if_any()
    return {"kind": kind, "first_name": first_name, "birth_year": birth_year, "birth_month": birth_month}


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _today(now: datetime) -> date:
    return now.astimezone(ROME).date()


async def members(family_id: int) -> list[HouseholdMember]:
    rows = await Member.select(
        Member.id, Member.kind, Member.first_name, Member.birth_year, Member.birth_month,
    ).where(Member.family == family_id).order_by(Member.kind).order_by(Member.id)
    return [HouseholdMember(**row) for row in rows]


async def member(family_id: int, member_id: int) -> HouseholdMember:
    row = await Member.select(
        Member.id, Member.kind, Member.first_name, Member.birth_year, Member.birth_month,
    ).where((Member.id == member_id) & (Member.family == family_id)).first()
    if row is None:
        raise NotFound("member")
    return HouseholdMember(**row)


async def add_member(family_id: int, values: Mapping[str, Any], now: datetime) -> int:
    columns = parse_member(values, _today(now))
    async with db.write_transaction():
        if await Member.count().where(Member.family == family_id) >= MAX_MEMBERS:
            raise FormErrors({"first_name": gettext("A household can have at most %(max)s members.",
                                                    max=MAX_MEMBERS)})
        rows = await Member.insert(Member(family=family_id, created_at=now, **columns)).returning(Member.id)
    return rows[0]["id"]


async def update_member(family_id: int, member_id: int, values: Mapping[str, Any], now: datetime) -> None:
    columns = parse_member(values, _today(now))
    async with db.write_transaction():
        rows = await Member.update({getattr(Member, name): value for name, value in columns.items()}).where(
            (Member.id == member_id) & (Member.family == family_id)).returning(Member.id)
    if not rows:
        raise NotFound("member")


async def remove_member(family_id: int, member_id: int) -> None:
    """Remove a member, unless they take part in a live booking (cancel it first)."""
    async with db.write_transaction():
        await member(family_id, member_id)
        taking_part = await BookingParticipant.count().where(
            (BookingParticipant.member == member_id) & BookingParticipant.booking.status.is_in(list(LIVE_BOOKING)))
        if taking_part:
            raise FormErrors({"member": gettext(
                "This person takes part in a booking or is on a waiting list: cancel it first.")}, 409)
        await Member.delete().where((Member.id == member_id) & (Member.family == family_id))


# -- e-mail address ------------------------------------------------------------------------


class EmailInUse(identity.SignInError):
    status_code = 409

    def __init__(self) -> None:
        super().__init__(gettext("This address belongs to another family's account, so it cannot be used here. "
                                 "Sign in with it, or choose another address."), "code")


async def request_email_change(family_id: int, new_email: str, language: str, client_ip: str | None,
                               now: datetime, *, base_url: str, secret_key: str) -> str:
    """Mail a code to the new address; whether another family uses it is told only once it is proved."""
    current = await profile(family_id)
    email = identity.normalise_email(new_email)
    if email == current.email:
        raise FormErrors({"email": gettext("This is already your address.")})
    return await identity.request_code(email, "change_email", language, client_ip, now, base_url=base_url,
                                       secret_key=secret_key, family_id=family_id)


async def change_email(family_id: int, new_email: str, code: str, now: datetime, *, secret_key: str,
                       client_ip: str | None = None) -> None:
    """Switch to the new address once the code mailed to it is right."""
    await identity.verify_code(new_email, code, now, secret_key=secret_key, client_ip=client_ip,
                               purpose="change_email", family_id=family_id)
    await _set_email(family_id, identity.normalise_email(new_email))


async def change_email_by_link(token: str, now: datetime, *, secret_key: str, client_ip: str | None = None) -> int:
    """The same through the mailed link; returns the family whose address changed."""
    family_id, email = await identity.verify_change_link(token, now, secret_key=secret_key, client_ip=client_ip)
    await _set_email(family_id, email)
    return family_id


async def _set_email(family_id: int, email: str) -> None:
    try:
        async with db.write_transaction():
            taken = await Family.exists().where((Family.email == email) & (Family.id != family_id))
            if not taken:
                await Family.update({Family.email: email}).where(Family.id == family_id)
    except Exception as error:  # the unique index caught a concurrent change to the same address
        if "unique" not in str(error).lower():
            raise
        taken = True
    if taken:
        raise EmailInUse()


# -- data ----------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


async def export(family_id: int, now: datetime | None = None) -> dict:
    """Everything the portal holds about the family, for download (never e-mailed)."""
    family = await Family.select().where((Family.id == family_id) & Family.erased_at.is_null()).first()
    if family is None:
        raise NotFound("family")
    household = await Member.select().where(Member.family == family_id).order_by(Member.id)
    bookings = await Booking.select(
        *Booking.all_columns(), Booking.activity.title.as_alias("activity_title"),
    ).where(Booking.family == family_id).order_by(Booking.id)
    booking_ids = [row["id"] for row in bookings] or [0]
    participants = await BookingParticipant.select().where(BookingParticipant.booking.is_in(booking_ids))
    events = await BookingEvent.select().where(BookingEvent.booking.is_in(booking_ids)).order_by(BookingEvent.id)
    for booking in bookings:
        booking["participants"] = [row["member"] for row in participants if row["booking"] == booking["id"]]
        booking["history"] = [{key: value for key, value in row.items() if key != "booking"}
                              for row in events if row["booking"] == booking["id"]]
    staff_only = ("confidential_notes", "assigned_staff", "staff_notes")  # the hub's working notes stay there
    requests = await AccessRequest.select(
        *AccessRequest.all_columns(exclude=[AccessRequest.confidential_notes, AccessRequest.assigned_staff]),
        AccessRequest.activity.title.as_alias("activity_title"),
    ).where(AccessRequest.family == family_id).order_by(AccessRequest.id)
    offers = await SolidarityOffer.select(*SolidarityOffer.all_columns(exclude=[SolidarityOffer.staff_notes])).where(
        SolidarityOffer.family == family_id).order_by(SolidarityOffer.id)
    assert not any(key in row for row in requests + offers for key in staff_only)
    return _plain({
        "exported_at": now or datetime.now(timezone.utc),
        "family": {key: value for key, value in family.items() if key != "session_epoch"},
        "members": household,
        "bookings": bookings,
        "access_requests": requests,
        "solidarity_offers": offers,
        "household_file": await household_download.household_file(family_id),
    })
