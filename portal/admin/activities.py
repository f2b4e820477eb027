"""Activities in the staff area: coordinators create and edit those of their hubs (administrators,
of every hub); operators only see the ones assigned to them. Ages are entered in years or months
and kept in months; a change of capacity goes through portal.admin.capacity (promotions, the audit log)."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any, Mapping

from portal import audit, db, taxonomy
from portal.admin import capacity
from portal.booking.rules import BookingRefused
from portal.form_fields import Form, FormErrors, refuse
from portal.i18n import N_, ROME, gettext
from portal.identity import staff_access
from portal.identity.staff_access import Staff
from portal.tables import Activity, Booking, Hub, Service
from portal.taxonomy import SERVICES

ACCESS = ("open", "approval", "request", "referral")
FORMATS = ("single", "course")
SEAT_UNITS = ("participant", "family")
AUDIENCES = ("children", "adults", "families")
AGE_UNITS = ("years", "months")
MAX_AGE_YEARS = 18
MAX_CAPACITY = 1000
MAX_HOURS = 24 * 60  # booking and cancellation limits: at most 60 days before the start
TEXT_FIELDS = {  # name: (max length, message when missing or None, several lines)
    "title": (200, N_("Enter the title."), False),
    "summary": (400, N_("Enter a short summary."), False),
    "description": (10000, None, True),
    "requirements": (5000, None, True),
    "outcome": (5000, None, True),
}
SLUG_LENGTH = 120
REASON_LENGTH = 300
DEFAULTS = {"access": "open", "format": "single", "seat_unit": "participant", "audience": "families",
            "capacity": "10", "waiting_list": True, "booking_closes_hours": "24", "cancellation_hours": "24",
            "published": False, "age_min_unit": "years", "age_max_unit": "years"}


async def activity(staff: Staff, activity_id: int) -> dict:
    """An activity in scope (404 otherwise)."""
    return await staff_access.activity_in_scope(staff, activity_id)


async def editable_activity(staff: Staff, activity_id: int) -> dict:
    """In scope (else 404), and a role that edits activities (else 403)."""
    found = await staff_access.activity_in_scope(staff, activity_id)
    staff_access.authorize(staff, "edit_activity")
    return found


async def hub_for_new_activity(staff: Staff, hub_id: int) -> dict:
    found = await staff_access.hub_in_scope(staff, hub_id)
    staff_access.authorize(staff, "create_activity")
    return found


async def hub_choices(staff: Staff) -> list[dict]:
    """The hubs an activity may belong to, for this staff member."""
    visible = await staff_access.visible_hub_ids(staff)
    query = Hub.select(Hub.id, Hub.name).order_by(Hub.name)
    if visible is not None:
        query = query.where(Hub.id.is_in(list(visible) or [0]))
    return await query


async def service_slug(service_id: int) -> str:
    row = await Service.select(Service.slug).where(Service.id == service_id).first()
    return row["slug"] if row else ""


def new_form_values(hub_id: int) -> dict[str, Any]:
    return {**DEFAULTS, "hub": str(hub_id)}


async def form_values(found: Mapping[str, Any]) -> dict[str, Any]:
    """An activity's columns as its form shows them: ages back in years where they read so."""
    values: dict[str, Any] = {name: found.get(name) or "" for name in TEXT_FIELDS}
    values.update(slug=found["slug"], service=await service_slug(found["service"]), hub=str(found["hub"]),
                  access=found["access"], format=found["format"], seat_unit=found["seat_unit"],
                  audience=found["audience"], capacity=str(found["capacity"]), waiting_list=found["waiting_list"],
                  booking_closes_hours=str(found["booking_closes_hours"]),
                  cancellation_hours=str(found["cancellation_hours"]),
                  both_parents_consent=found["both_parents_consent"], published=found["published"])
    values["age_min"], values["age_min_unit"] = _age_shown(found["age_min_months"], upper=False)
    values["age_max"], values["age_max_unit"] = _age_shown(found["age_max_months"], upper=True)
    opens = found["booking_opens_at"]
    if opens:
        local = db.instant(opens).astimezone(ROME)
        values["opens_date"], values["opens_time"] = local.date().isoformat(), local.strftime("%H:%M")
    return values


async def parse_activity(values: Mapping[str, Any], hubs: list[dict]) -> dict[str, Any]:
    """The activity's columns from a form (capacity included), or FormErrors."""
    form = Form(values)
    columns: dict[str, Any] = {}
    for name, (max_length, missing, multiline) in TEXT_FIELDS.items():
        columns[name] = form.text(name, max_length, missing, multiline)
    columns["slug"] = form.slug("slug", columns["title"], SLUG_LENGTH)
    service = form.choice("service", [s.slug for s in SERVICES], N_("Choose a service from the list."))
    hub = form.choice("hub", [str(h["id"]) for h in hubs], N_("Choose one of your hubs."))
    columns["access"] = form.choice("access", ACCESS, N_("Choose how families get in."))
    columns["format"] = form.choice("format", FORMATS, N_("Choose single dates or a whole cycle."))
    columns["seat_unit"] = form.choice("seat_unit", SEAT_UNITS, N_("Choose what takes a place."))
    columns["audience"] = form.choice("audience", AUDIENCES, N_("Choose who takes part."))
    columns["age_min_months"] = _age(form, "age_min", upper=False)
    columns["age_max_months"] = _age(form, "age_max", upper=True)
    low, high = columns["age_min_months"], columns["age_max_months"]
    if low is not None and high is not None and low > high:
        form.error("age_max", N_("The maximum age cannot be lower than the minimum age."))
    columns["capacity"] = form.integer("capacity", 1, MAX_CAPACITY, N_("Enter the number of places."))
    columns["waiting_list"] = form.flag("waiting_list")
    columns["booking_opens_at"] = _opening(form)
    columns["booking_closes_hours"] = form.integer("booking_closes_hours", 0, MAX_HOURS,
                                                   N_("Enter how many hours before the start bookings close."))
    columns["cancellation_hours"] = form.integer("cancellation_hours", 0, MAX_HOURS,
                                                 N_("Enter how many hours before the start families may cancel."))
    columns["both_parents_consent"] = form.flag("both_parents_consent")
    columns["published"] = form.flag("published")
    reason = form.text("reason", REASON_LENGTH)
    form.raise_if_any()
    row = await Service.select(Service.id).where(Service.slug == service).first()
    if row is None:
        raise refuse("service", N_("Choose a service from the list."))
    columns["service"], columns["hub"] = row["id"], int(hub)
    return {"columns": columns, "reason": reason}


async def create_activity(staff: Staff, hub_id: int, values: Mapping[str, Any], now: datetime) -> int:
    await hub_for_new_activity(staff, hub_id)
    parsed = await parse_activity(values, await hub_choices(staff))
    columns = parsed["columns"]
    async with db.write_transaction():
        await _slug_is_free(columns["slug"], None)
        rows = await Activity.insert(Activity(**columns, seats_taken=0, updated_at=now)).returning(Activity.id)
        activity_id = rows[0]["id"]
        await db.bump_revision()
        await audit.record(staff, "activity.create", "activity", activity_id, parsed["reason"],
                           {"slug": columns["slug"], "hub": columns["hub"], "capacity": columns["capacity"]}, now)
    return activity_id


async def update_activity(staff: Staff, activity_id: int, values: Mapping[str, Any], now: datetime,
                          links: Any) -> list[int]:
    """Save every field; a new capacity is applied as on the capacity page (raising it promotes the
    waiting list, lowering it below the places taken is refused). Returns the promoted bookings."""
    current = await editable_activity(staff, activity_id)
    parsed = await parse_activity(values, await hub_choices(staff))
    columns, reason = parsed["columns"], parsed["reason"]
    new_capacity = columns.pop("capacity")
    changed = sorted(name for name, value in columns.items() if current.get(name) != value)
    async with db.write_transaction():
        await _slug_is_free(columns["slug"], activity_id)
        await _check_structure(current, columns)
        await Activity.update({**{getattr(Activity, name): value for name, value in columns.items()},
                               Activity.updated_at: now}).where(Activity.id == activity_id)
        promoted: list[int] = []
        if new_capacity != current["capacity"]:
            try:
                outcome = await capacity.apply(staff, {**current, **columns}, None, new_capacity, {}, reason, "",
                                               now, links)
            except BookingRefused as refusal:
                raise FormErrors({"capacity": capacity.refusal_message(refusal)}) from None
            promoted = outcome.promoted
        await db.bump_revision()
        if changed:
            await audit.record(staff, "activity.update", "activity", activity_id, reason, {"changed": changed}, now)
    return promoted


# -- the parts ----------------------------------------------------------------------------------


async def _check_structure(current: Mapping[str, Any], columns: Mapping[str, Any]) -> None:
    """What cannot change under existing bookings: the format, and a waiting list people are on."""
    if columns["format"] != current["format"] and await Booking.exists().where(Booking.activity == current["id"]):
        raise refuse("format", N_("The activity already has bookings: its format cannot change."))
    if current["waiting_list"] and not columns["waiting_list"] and await Booking.exists().where(
            (Booking.activity == current["id"]) & (Booking.status == "waitlisted")):
        raise refuse("waiting_list", N_("Families are on the waiting list: it cannot be turned off."))


def _age(form: Form, name: str, upper: bool) -> int | None:
    unit = form.choice(f"{name}_unit", AGE_UNITS, N_("Choose years or months."))
    limit = MAX_AGE_YEARS if unit == "years" else MAX_AGE_YEARS * 12
    value = form.integer(name, 0, limit)
    if value is None or unit not in AGE_UNITS:
        return None
    if unit == "months":
        return value
    return value * 12 + 11 if upper else value * 12  # "up to 11 years" includes 11 years and 11 months


def _age_shown(months: int | None, upper: bool) -> tuple[str, str]:
    if months is None:
        return "", "years"
    if upper and (months + 1) % 12 == 0 and months >= 23:
        return str((months + 1) // 12 - 1), "years"
    if not upper and months % 12 == 0 and months >= 12:
        return str(months // 12), "years"
    return str(months), "months"


def _opening(form: Form) -> datetime | None:
    day = form.day("opens_date")
    clock = form.clock("opens_time")
    if day is None:
        if clock is not None and "opens_date" not in form.errors:
            form.error("opens_date", N_("Enter the date bookings open, or leave the time empty too."))
        return None
    return datetime.combine(day, clock or time(0, 0), tzinfo=ROME)


async def _slug_is_free(slug: str, activity_id: int | None) -> None:
    query = Activity.exists().where(Activity.slug == slug)
    if activity_id is not None:
        query = query.where(Activity.id != activity_id)
    if await query:
        raise refuse("slug", N_("Another activity already uses this web address name."))


def option_label(kind: str, value: str) -> str:
    """The label of an access mode, format, seat unit or audience, in the user's language."""
    labels = {"access": taxonomy.ACCESS_LABELS, "format": taxonomy.FORMAT_LABELS,
              "audience": taxonomy.AUDIENCE_LABELS, "seat_unit": SEAT_UNIT_LABELS}[kind]
    return gettext(labels[value])


SEAT_UNIT_LABELS = {"participant": N_("Each participant takes a place"),
                    "family": N_("Each booking takes one place, whoever comes")}
