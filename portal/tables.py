"""The database tables. Times are stored as instants (UTC); local dates are derived in Europe/Rome."""

from __future__ import annotations

from piccolo.columns import (
    Boolean,
    Date,
    DoublePrecision,
    ForeignKey,
    Integer,
    OnDelete,
    SmallInt,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table


class Area(Table):
    slug = Varchar(length=60, unique=True)
    position = SmallInt()


class Service(Table):
    slug = Varchar(length=60, unique=True)
    area = ForeignKey(references=Area, null=False, on_delete=OnDelete.restrict)
    position = SmallInt()


class Hub(Table):
    slug = Varchar(length=80, unique=True)
    name = Varchar(length=200)
    district = Varchar(length=120)
    neighbourhoods = Varchar(length=300)
    address = Varchar(length=200)
    postcode = Varchar(length=10)
    city = Varchar(length=80)
    phone = Varchar(length=40)
    email = Varchar(length=120)
    opening_hours = Text()
    description = Text()
    latitude = DoublePrecision(null=True, default=None)
    longitude = DoublePrecision(null=True, default=None)


class Activity(Table):
    slug = Varchar(length=120, unique=True)
    title = Varchar(length=200)
    service = ForeignKey(references=Service, null=False, on_delete=OnDelete.restrict)
    hub = ForeignKey(references=Hub, null=False, on_delete=OnDelete.restrict)
    summary = Varchar(length=400)
    description = Text()
    requirements = Text()  # "Cosa serve"
    outcome = Text()  # "Cosa si ottiene"
    access = Varchar(length=12)  # open | approval | request | referral
    format = Varchar(length=8)  # single | course
    seat_unit = Varchar(length=12)  # participant | family
    audience = Varchar(length=10)  # children | adults | families
    age_min_months = Integer(null=True, default=None)
    age_max_months = Integer(null=True, default=None)
    capacity = Integer()
    seats_taken = Integer(default=0)  # a course's seats; single activities count per meeting
    waiting_list = Boolean(default=True)
    booking_opens_at = Timestamptz(null=True, default=None)
    booking_closes_hours = Integer(default=24)  # booking closes this long before the start
    cancellation_hours = Integer(default=24)  # families cancel until this long before the start
    both_parents_consent = Boolean(default=False)
    published = Boolean(default=True, index=True)
    updated_at = Timestamptz()


class Meeting(Table):
    activity = ForeignKey(references=Activity, null=False, on_delete=OnDelete.cascade, index=True)
    starts_at = Timestamptz(index=True)
    ends_at = Timestamptz()
    local_date = Date(index=True)  # Europe/Rome date of starts_at, for date filters on every engine
    local_weekday = SmallInt()  # ISO weekday 1-7 of local_date
    place = Varchar(length=200)
    capacity = Integer(null=True, default=None)  # overrides the activity's, for single activities
    seats_taken = Integer(default=0)
    status = Varchar(length=10, default="scheduled")  # scheduled | cancelled
    private = Boolean(default=False)  # belongs to one booking: in no public listing or feed
    sequence = Integer(default=0)  # bumped on every change of time, place or status (iCalendar)
    cancelled_at = Timestamptz(null=True, default=None)
    updated_at = Timestamptz()


class Revision(Table):
    """One row whose counter grows with every change to the catalogue or its seats: page caches key on it."""

    value = Integer(default=0)


TABLES = [Area, Service, Hub, Activity, Meeting, Revision]
