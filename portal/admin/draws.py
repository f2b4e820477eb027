"""Allocation by draw from the staff area: set up an activity's draw (request window, the draw's day,
the announced seed source, the published priorities) and run it with the seed typed on the day.
The draw itself is portal.booking.draw; every change here is written to the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from typing import Any, Mapping

from portal import audit, db
from portal.booking import draw
from portal.booking.rules import BookingRefused
from portal.form_fields import Form, FormErrors
from portal.i18n import N_, ROME, gettext
from portal.identity import staff_access
from portal.identity.staff_access import Staff
from portal.links import Links
from portal.tables import Booking, Draw, Meeting

SOURCE_LENGTH = 300


@dataclass(frozen=True)
class DrawPage:
    activity: dict
    state: draw.DrawState | None
    meetings: list[dict]  # a single activity's upcoming dates, one of which the draw is for
    requests: int


async def page(staff: Staff, activity_id: int, now: datetime) -> DrawPage:
    activity = await staff_access.activity_in_scope(staff, activity_id)
    staff_access.authorize(staff, "edit_activity")
    state = await draw.of_activity(activity_id)
    meetings = [] if activity["format"] == "course" else await Meeting.select(Meeting.id, Meeting.starts_at).where(
        (Meeting.activity == activity_id) & (Meeting.status == "scheduled") & (Meeting.private == False)  # noqa: E712
        & (Meeting.starts_at > now)).order_by(Meeting.starts_at)
    requests = await Booking.count().where((Booking.activity == activity_id) & (Booking.status == "requested"))
    return DrawPage(activity, state, meetings, requests)


def form_values(current: DrawPage) -> dict[str, Any]:
    state = current.state
    if state is None:
        return {}
    values: dict[str, Any] = {"seed_source": state.seed_source, "district_first": state.district_first,
                              "first_time": state.first_time, "meeting": str(state.meeting_id or "")}
    for prefix, moment in (("opens", state.opens_at), ("closes", state.closes_at), ("draw", state.draw_at)):
        local = moment.astimezone(ROME)
        values[f"{prefix}_date"], values[f"{prefix}_time"] = local.date().isoformat(), local.strftime("%H:%M")
    return values


async def configure(staff: Staff, activity_id: int, values: Mapping[str, Any], now: datetime) -> None:
    """Set up (or change, until it has run) the activity's draw."""
    current = await page(staff, activity_id, now)
    if current.state and current.state.drawn:
        raise FormErrors({"seed_source": gettext("The draw has already been run.")}, 409)
    form = Form(values)
    opens, closes, moment = (_moment(form, prefix) for prefix in ("opens", "closes", "draw"))
    source = form.text("seed_source", SOURCE_LENGTH, N_("Say where the seed comes from, announced beforehand."))
    meeting = None
    if current.activity["format"] == "single":
        meeting = form.integer("meeting", 1, 2**31 - 1, N_("Choose the date the draw is for."))
        if meeting is not None and meeting not in {m["id"] for m in current.meetings}:
            form.error("meeting", N_("Choose the date the draw is for."))
    if opens and closes and closes <= opens:
        form.error("closes_date", N_("Requests must close after they open."))
    if closes and moment and moment < closes:
        form.error("draw_date", N_("The draw takes place after the requests close."))
    form.raise_if_any()
    columns = {"meeting": meeting, "requests_open_at": opens, "requests_close_at": closes, "draw_at": moment,
               "seed_source": source, "district_first": form.flag("district_first"),
               "first_time": form.flag("first_time"), "updated_at": now}
    async with db.write_transaction():
        if current.state is None:
            await Draw.insert(Draw(activity=activity_id, status="open", seed="", drawn_by="", outcome="", **columns))
        else:
            await Draw.update(columns).where((Draw.id == current.state.id) & (Draw.status == "open"))
        await audit.record(staff, "draw.configure", "activity", activity_id, "", columns, now)
        await db.bump_revision()


async def run(staff: Staff, activity_id: int, values: Mapping[str, Any], now: datetime, links: Links
              ) -> draw.DrawState:
    await page(staff, activity_id, now)  # in scope (404) and allowed (403)
    try:
        return await draw.run(activity_id, str(values.get("seed", "")), staff.actor, now, links)
    except BookingRefused as refusal:
        raise FormErrors({"seed": gettext(refusal.reason)}, 409) from None


def _moment(form: Form, prefix: str) -> datetime | None:
    day = form.day(f"{prefix}_date", N_("Enter the date."))
    clock = form.clock(f"{prefix}_time")
    return datetime.combine(day, clock or time(0, 0), tzinfo=ROME) if day else None
