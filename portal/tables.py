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
    waiting = Integer(default=0)  # bookings on a course's waiting list (single: per meeting)
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
    seats_taken = Integer(default=0)  # seats of its live bookings: kept by portal.booking, never counted
    waiting = Integer(default=0)  # bookings on its waiting list
    status = Varchar(length=10, default="scheduled")  # scheduled | cancelled
    private = Boolean(default=False)  # belongs to one booking: in no public listing or feed
    private_booking = Integer(null=True, default=None)  # that booking's id
    sequence = Integer(default=0)  # bumped on every change of time, place or status (iCalendar)
    cancelled_at = Timestamptz(null=True, default=None)
    updated_at = Timestamptz()


class Revision(Table):
    """One row whose counter grows with every change to the catalogue or its seats: page caches key on it."""

    value = Integer(default=0)




class Family(Table):
    """A household, identified by a verified e-mail address. Erased families keep no personal data."""

    email = Varchar(length=254, null=True, default=None, unique=True)  # lower case; NULL once erased
    name = Varchar(length=100)
    surname = Varchar(length=100)
    phone = Varchar(length=30)
    district = Varchar(length=120)
    language = Varchar(length=10, default="it")
    privacy_acknowledged_at = Timestamptz(null=True, default=None)
    session_epoch = Integer(default=0)  # raised by "sign out everywhere": older sessions stop working
    created_at = Timestamptz()
    erased_at = Timestamptz(null=True, default=None)
    last_active_at = Timestamptz(null=True, default=None)  # the last sign-in (retention of inactive families)
    retention_warned_at = Timestamptz(null=True, default=None)  # warned that an inactive account will be erased


class Member(Table):
    family = ForeignKey(references=Family, null=False, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=6)  # adult | child
    first_name = Varchar(length=60)
    birth_year = SmallInt(null=True, default=None)  # children only
    birth_month = SmallInt(null=True, default=None)
    created_at = Timestamptz()


class SignInCode(Table):
    """A one-time code (and the equivalent link) mailed to prove an address; stored hashed."""

    email = Varchar(length=254, index=True)
    code_hash = Varchar(length=64)
    link_hash = Varchar(length=64, unique=True)
    purpose = Varchar(length=12, default="sign_in")  # sign_in | change_email
    family = ForeignKey(references=Family, null=True, default=None, on_delete=OnDelete.cascade)
    attempts = SmallInt(default=0)
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()


class Throttle(Table):
    """Hits per key and time window, shared by every worker (sign-in requests, attempts)."""

    key = Varchar(length=200)
    window_start = Timestamptz()
    hits = Integer(default=0)


class WebSession(Table):
    """Server-side web sessions, visible to every worker process."""

    key = Varchar(length=100, unique=True)
    value = Text()
    expires_at = Timestamptz(null=True, default=None, index=True)


class Booking(Table):
    code = Varchar(length=12, unique=True)
    family = ForeignKey(references=Family, null=False, on_delete=OnDelete.restrict, index=True)
    activity = ForeignKey(references=Activity, null=False, on_delete=OnDelete.restrict, index=True)
    meeting = ForeignKey(references=Meeting, null=True, default=None, on_delete=OnDelete.restrict, index=True)
    status = Varchar(length=10)  # pending | confirmed | waitlisted | declined | cancelled
    seats = SmallInt()
    joined_at = Timestamptz()  # the waiting list's order (to the microsecond, then id)
    created_at = Timestamptz()
    updated_at = Timestamptz()
    preliminary_meeting_at = Timestamptz(null=True, default=None)  # approval: staff met the family
    consent_recorded_at = Timestamptz(null=True, default=None)  # approval: both parents' consent acquired


class BookingParticipant(Table):
    booking = ForeignKey(references=Booking, null=False, on_delete=OnDelete.cascade, index=True)
    member = ForeignKey(references=Member, null=True, default=None, on_delete=OnDelete.set_null)


class BookingEvent(Table):
    """Every status change of a booking: who, when, from and to."""

    booking = ForeignKey(references=Booking, null=False, on_delete=OnDelete.cascade, index=True)
    from_status = Varchar(length=10, null=True, default=None)
    to_status = Varchar(length=10)
    actor = Varchar(length=60)  # family:ID | staff:ID | system
    note = Varchar(length=300)
    at = Timestamptz()


class AccessRequest(Table):
    code = Varchar(length=12, unique=True)
    family = ForeignKey(references=Family, null=False, on_delete=OnDelete.restrict, index=True)
    activity = ForeignKey(references=Activity, null=False, on_delete=OnDelete.restrict, index=True)
    contact_by = Varchar(length=6)  # phone | email
    preferred_times = Varchar(length=200)
    note = Varchar(length=200)
    status = Varchar(length=10, default="new")  # new | contacted | accepted | closed
    created_at = Timestamptz()
    updated_at = Timestamptz()
    assigned_staff = Integer(null=True, default=None)  # a StaffUser id
    confidential_notes = Text()  # staff of the hub only


class Outbox(Table):
    """Mail written in the same transaction as its cause, sent by a worker."""

    to_address = Varchar(length=254)
    subject = Varchar(length=200)
    text_body = Text()
    html_body = Text()
    message_id = Varchar(length=200, unique=True)
    status = Varchar(length=8, default="pending", index=True)  # pending | sent | failed
    attempts = SmallInt(default=0)
    next_attempt_at = Timestamptz(index=True)
    claimed_until = Timestamptz(null=True, default=None)
    last_error = Varchar(length=300)
    created_at = Timestamptz()
    sent_at = Timestamptz(null=True, default=None)




class Reminder(Table):
    """A reminder mail queued for one booking and one meeting: at most once (unique index)."""

    booking = ForeignKey(references=Booking, null=False, on_delete=OnDelete.cascade)
    meeting = ForeignKey(references=Meeting, null=False, on_delete=OnDelete.cascade)
    queued_at = Timestamptz()



class StaffUser(Table):
    """Hub staff: local accounts with argon2id passwords (not citizens: DESIGN §2)."""

    email = Varchar(length=254, unique=True)
    name = Varchar(length=120)
    role = Varchar(length=12)  # admin | coordinator | operator
    password_hash = Varchar(length=200)
    active = Boolean(default=True)
    session_epoch = Integer(default=0)  # raised by "sign out everywhere" and password changes
    created_at = Timestamptz()
    last_login_at = Timestamptz(null=True, default=None)


class StaffHub(Table):
    """The hubs a coordinator (everything there) or an operator belongs to."""

    staff = ForeignKey(references=StaffUser, null=False, on_delete=OnDelete.cascade, index=True)
    hub = ForeignKey(references=Hub, null=False, on_delete=OnDelete.cascade)


class StaffActivity(Table):
    """The activities assigned to an operator (rosters, attendance, waiting lists), or to the staff
    who follow a referral-only service."""

    staff = ForeignKey(references=StaffUser, null=False, on_delete=OnDelete.cascade, index=True)
    activity = ForeignKey(references=Activity, null=False, on_delete=OnDelete.cascade)


class Attendance(Table):
    meeting = ForeignKey(references=Meeting, null=False, on_delete=OnDelete.cascade, index=True)
    participant = ForeignKey(references=BookingParticipant, null=False, on_delete=OnDelete.cascade)
    present = Boolean()
    marked_by = ForeignKey(references=StaffUser, null=True, default=None, on_delete=OnDelete.set_null)
    marked_at = Timestamptz()


class AuditEntry(Table):
    """Who did what to which record, when, why."""

    actor = Varchar(length=60)  # staff:ID | family:ID | system
    action = Varchar(length=60)
    record_type = Varchar(length=40)
    record_id = Integer(null=True, default=None)
    reason = Varchar(length=500)
    details = Text()  # JSON
    at = Timestamptz(index=True)


class FeedToken(Table):
    """A private calendar feed's secret (stored hashed): one live token per family or staff member."""

    kind = Varchar(length=6)  # family | staff
    owner = Integer()  # the family's or the staff member's id
    token_hash = Varchar(length=64, unique=True)
    created_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)
    last_fetched_at = Timestamptz(null=True, default=None)


class HelpKind(Table):
    """A kind of solidarity help (after-school hosting, accompanying, homework help...): a list staff maintain."""

    name = Varchar(length=100)
    active = Boolean(default=True)
    position = SmallInt(default=0)


class SolidarityOffer(Table):
    """What a volunteer family offers, when and where; one hub's staff review it (DESIGN §3).

    Lists are small comma-separated texts: weekdays "1,3,5" (ISO), time bands "morning,afternoon",
    districts "Municipalità 1|Municipalità 2" (a bar: names may hold commas), languages "it,en"."""

    family = ForeignKey(references=Family, null=False, on_delete=OnDelete.cascade, index=True)
    hub = ForeignKey(references=Hub, null=False, on_delete=OnDelete.restrict, index=True)
    status = Varchar(length=10, default="new")  # new | interview | active | paused | closed
    weekdays = Varchar(length=20)
    time_bands = Varchar(length=40)
    districts = Varchar(length=1000)
    languages = Varchar(length=60)
    hosts_children = Boolean(default=False)
    presentation = Varchar(length=500)
    other_help = Varchar(length=200)  # free text: no sensitive details (DESIGN §5)
    interview_at = Timestamptz(null=True, default=None)
    activated_at = Timestamptz(null=True, default=None)
    staff_notes = Text()  # confidential: the hub's staff only
    created_at = Timestamptz()
    updated_at = Timestamptz()


class OfferHelpKind(Table):
    offer = ForeignKey(references=SolidarityOffer, null=False, on_delete=OnDelete.cascade, index=True)
    kind = ForeignKey(references=HelpKind, null=False, on_delete=OnDelete.restrict)


class Need(Table):
    """A family's need of help, recorded by staff: from its access request, or by hand with a contact."""

    hub = ForeignKey(references=Hub, null=False, on_delete=OnDelete.restrict, index=True)
    kind = ForeignKey(references=HelpKind, null=False, on_delete=OnDelete.restrict)
    weekdays = Varchar(length=20)
    time_bands = Varchar(length=40)
    district = Varchar(length=120)
    language = Varchar(length=10)
    access_request = ForeignKey(references=AccessRequest, null=True, default=None, on_delete=OnDelete.set_null)
    family = ForeignKey(references=Family, null=True, default=None, on_delete=OnDelete.set_null, index=True)
    contact_name = Varchar(length=100)  # by hand: a family the hub knows
    contact_phone = Varchar(length=30)
    contact_email = Varchar(length=254)
    status = Varchar(length=10, default="open")  # open | matched | closed
    staff_notes = Text()
    created_at = Timestamptz()
    updated_at = Timestamptz()


class Match(Table):
    """A volunteer's offer matched to a need; each side reads only what staff chose to share."""

    offer = ForeignKey(references=SolidarityOffer, null=False, on_delete=OnDelete.cascade, index=True)
    need = ForeignKey(references=Need, null=False, on_delete=OnDelete.cascade, index=True)
    start_date = Date(null=True, default=None)
    status = Varchar(length=10, default="proposed")  # proposed | accepted | ongoing | ended
    shared_with_volunteer = Varchar(length=600)
    shared_with_family = Varchar(length=600)
    follow_up_notes = Text()
    created_at = Timestamptz()
    updated_at = Timestamptz()
    ended_at = Timestamptz(null=True, default=None)


class PartnerService(Table):
    """A service of the territorial network that sends families to the hubs or receives them; the
    administrator keeps the list."""

    name = Varchar(length=200)
    kind = Varchar(length=24)  # social_services | family_counselling | school | child_neuropsychiatry | court_office
    contact = Varchar(length=200)
    active = Boolean(default=True)
    created_at = Timestamptz()


class HouseholdNote(Table):
    """The hub's diary of contacts with a household: read only by that hub's staff; never deleted (retention
    aside); edits within a day by its author, each kept as a HouseholdNoteEdit."""

    family = ForeignKey(references=Family, null=False, on_delete=OnDelete.cascade, index=True)
    hub = ForeignKey(references=Hub, null=False, on_delete=OnDelete.restrict)
    author = ForeignKey(references=StaffUser, null=True, default=None, on_delete=OnDelete.set_null)
    category = Varchar(length=12)  # call | interview | home_visit | meeting | other
    contact_on = Date()  # the day of the contact (Europe/Rome)
    body = Text()
    protects_third_party = Boolean(default=False)  # left out of the family's data download
    protection_reason = Varchar(length=300)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class HouseholdNoteEdit(Table):
    """A note as it was before an edit."""

    note = ForeignKey(references=HouseholdNote, null=False, on_delete=OnDelete.cascade, index=True)
    editor = ForeignKey(references=StaffUser, null=True, default=None, on_delete=OnDelete.set_null)
    category = Varchar(length=12)
    contact_on = Date()
    body = Text()
    protects_third_party = Boolean(default=False)
    protection_reason = Varchar(length=300)
    edited_at = Timestamptz()


class Referral(Table):
    """A household sent to the hub by a partner service (in) or by the hub to one (out)."""

    family = ForeignKey(references=Family, null=False, on_delete=OnDelete.cascade, index=True)
    hub = ForeignKey(references=Hub, null=False, on_delete=OnDelete.restrict)
    direction = Varchar(length=3)  # in | out
    partner = ForeignKey(references=PartnerService, null=False, on_delete=OnDelete.restrict)
    activity = ForeignKey(references=Activity, null=True, default=None, on_delete=OnDelete.set_null)
    referred_on = Date()
    reason = Varchar(length=24)
    consent = Boolean(default=False)  # the adults agreed to the referral
    consent_on = Date(null=True, default=None)
    recorded_by = ForeignKey(references=StaffUser, null=True, default=None, on_delete=OnDelete.set_null)
    created_at = Timestamptz()


class KeyWorker(Table):
    """The staff member who follows a household at a hub (its referente): one per household and hub."""

    family = ForeignKey(references=Family, null=False, on_delete=OnDelete.cascade, index=True)
    hub = ForeignKey(references=Hub, null=False, on_delete=OnDelete.cascade)
    staff = ForeignKey(references=StaffUser, null=False, on_delete=OnDelete.cascade)
    assigned_at = Timestamptz()
class FamilyIdentity(Table):
    """A SPID or CIE identity that signs a family in: only a keyed hash of its subject or fiscal number."""

    family = ForeignKey(references=Family, null=False, on_delete=OnDelete.cascade, index=True)
    subject_hash = Varchar(length=64, unique=True)
    method = Varchar(length=8)  # spid | cie: the button first used
    created_at = Timestamptz()
    last_used_at = Timestamptz()


class StaffSecondFactor(Table):
    """A staff member's TOTP authenticator (RFC 6238): confirmed once a first code matched."""

    staff = ForeignKey(references=StaffUser, null=False, on_delete=OnDelete.cascade, unique=True)
    secret = Varchar(length=64)  # base32
    confirmed_at = Timestamptz(null=True, default=None)
    last_counter = Integer(default=0)  # the time step of the last accepted code: each code works once
    created_at = Timestamptz()


class StaffRecoveryCode(Table):
    """Single-use recovery codes for a lost authenticator, kept as keyed hashes."""

    staff = ForeignKey(references=StaffUser, null=False, on_delete=OnDelete.cascade, index=True)
    code_hash = Varchar(length=64)
    used_at = Timestamptz(null=True, default=None)
class RetainedCount(Table):
    """What the reports still need of a past meeting (or a course) once retention has deleted its bookings
    and attendance: anonymous counts only."""

    activity = ForeignKey(references=Activity, null=False, on_delete=OnDelete.cascade, index=True)
    meeting = ForeignKey(references=Meeting, null=True, default=None, on_delete=OnDelete.cascade, index=True)
    marked = Integer(default=0)  # attendance marks
    present = Integer(default=0)
    private_seats = Integer(default=0)  # a private meeting's confirmed seats
    waiting = Integer(default=0)  # bookings still waiting when deleted
    archived_at = Timestamptz()


class Draw(Table):
    """Allocation by draw (sorteggio) instead of first come: families send requests during a window,
    then staff type the announced seed and the order follows from it and each request's code."""

    activity = ForeignKey(references=Activity, null=False, on_delete=OnDelete.cascade, unique=True)
    meeting = ForeignKey(references=Meeting, null=True, default=None, on_delete=OnDelete.cascade)  # single: the date
    requests_open_at = Timestamptz()
    requests_close_at = Timestamptz()
    draw_at = Timestamptz()  # announced: when the draw takes place
    seed_source = Varchar(length=300)  # announced: where the seed comes from (a public lottery draw…)
    district_first = Boolean(default=False)  # priority: families of the hub's district
    first_time = Boolean(default=False)  # priority: no place in the same service this year
    status = Varchar(length=8, default="open")  # open | drawn
    seed = Varchar(length=200)
    drawn_at = Timestamptz(null=True, default=None)
    drawn_by = Varchar(length=60)
    outcome = Text()  # JSON, in draw order: [[code, priority group, status], ...]
    updated_at = Timestamptz()


class ActivityTranslation(Table):
    """An activity's title, summary and description in a language other than Italian, written by staff.
    One per activity and language (a unique index in the migration); an empty field falls back to Italian."""

    activity = ForeignKey(references=Activity, null=False, on_delete=OnDelete.cascade, index=True)
    language = Varchar(length=10)
    title = Varchar(length=200)
    summary = Varchar(length=400)
    description = Text()
    updated_at = Timestamptz()


TABLES = [
    Area, Service, Hub, Activity, Meeting, Revision, Family, Member, SignInCode, Throttle, WebSession,
    Booking, BookingParticipant, BookingEvent, AccessRequest, Outbox, Reminder, StaffUser, StaffHub,
    StaffActivity, Attendance, AuditEntry, FeedToken, HelpKind, SolidarityOffer, OfferHelpKind, Need, Match,
    PartnerService, HouseholdNote, HouseholdNoteEdit, Referral, KeyWorker,
    FamilyIdentity, StaffSecondFactor, StaffRecoveryCode,
    RetainedCount,
    Draw,
    ActivityTranslation,
]
