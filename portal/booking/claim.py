"""A family's booking in one short write: decide, claim the seats, store the booking and queue its mail.

The target's row (the meeting, or a course's activity) holds two counters, kept equal to its bookings:
`seats_taken` (pending and confirmed seats) and `waiting` (bookings on its list). A booking locks that
row, decides against the counters (rules.decide: it fits whole, or waits whole at the end of the list,
whose length is its position), moves the counters, and inserts the booking, its participants, its first
history row, its mail (rendered beforehand in both versions) and the catalogue's new revision.

On PostgreSQL all of it is one statement: the row lock lasts for the statement's own work and its
commit, not for a round trip to the app. On SQLite it is one call to the process's writer thread:
BEGIN IMMEDIATE … COMMIT with no await in between. Ids and joining times are taken under the lock,
so the waiting list's order (joined_at, id) is the order in which bookings took the lock.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from portal import db
from portal.booking.rules import NO_PLACES, BookingRefused, decide
from portal.mail.messages import MailMessage
from portal.tables import Booking

POSITION_MARK = "[[position]]"  # where a waiting-list mail, rendered before the lock, shows the position


@dataclass(frozen=True)
class Mail:
    to_address: str
    message_id: str
    holding: MailMessage  # confirmed, or pending for an `approval` activity
    waiting: MailMessage  # says POSITION_MARK where the position goes


@dataclass(frozen=True)
class Claim:
    code: str
    family_id: int
    activity_id: int
    meeting_id: int | None  # None: a course's seats, on the activity's row
    access: str
    has_waiting_list: bool
    seats: int
    member_ids: list[int]
    actor: str
    now: datetime
    mail: Mail | None  # None: the family is erased, no mail


@dataclass(frozen=True)
class Claimed:
    booking_id: int
    status: str
    position: int | None


class AlreadyBooked(Exception):
    """The family already holds a live booking on this target (the unique index said so)."""


async def claim(request: Claim) -> Claimed:
    """Book whole or wait whole, in one write. Raises BookingRefused when it neither fits nor may wait,
    AlreadyBooked when the family already has a live booking here."""
    if db.is_postgres():
        claimed = await _claim_postgres(request)
    else:
        async with db.sqlite_write_lock():
            claimed = await db.engine().writer().call(lambda connection: _claim_sqlite(connection, request))
    if claimed.status != "waitlisted":  # the statement bumped the revision: page caches elsewhere must see it
        await db.revision_bumped_outside()
    return claimed


def _target(request: Claim) -> tuple[str, str, str, int]:
    """The counters' table, the capacity and FROM … WHERE of its row (placeholder: the id), the id.
    PostgreSQL locks the meeting and share-locks its activity (whose capacity a meeting may inherit)."""
    if request.meeting_id is None:
        return "activity", "t.capacity", "FROM activity t WHERE t.id = {}", request.activity_id
    return ("meeting", "COALESCE(t.capacity, a.capacity)",
            "FROM meeting t JOIN activity a ON a.id = t.activity WHERE t.id = {}", request.meeting_id)


# -- PostgreSQL: one statement ------------------------------------------------------------------

_POSTGRES = """
WITH locked AS (
  SELECT t.id, {capacity} AS capacity, t.seats_taken, t.waiting {where} {lock}
), decision AS (
  SELECT id, clock_timestamp() AS locked_at, waiting + 1 AS position,
    CASE WHEN seats_taken + {{}}::integer <= capacity THEN {{}}::varchar WHEN {{}}::boolean THEN 'waitlisted' END
      AS status
  FROM locked
), counted AS (
  UPDATE {table} SET
    seats_taken = {table}.seats_taken + CASE WHEN d.status = 'waitlisted' THEN 0 ELSE {{}}::integer END,
    waiting = {table}.waiting + CASE WHEN d.status = 'waitlisted' THEN 1 ELSE 0 END
  FROM decision d WHERE {table}.id = d.id AND d.status IS NOT NULL RETURNING 1
), inserted AS (
  INSERT INTO booking (code, family, activity, meeting, status, seats, joined_at, created_at, updated_at)
  SELECT {{}}::varchar, {{}}::integer, {{}}::integer, {{}}::integer, d.status, {{}}::integer, clock_timestamp(),
    {{}}::timestamptz, {{}}::timestamptz FROM decision d
  WHERE d.status IS NOT NULL RETURNING id, status
), participants AS (
  INSERT INTO booking_participant (booking, member) SELECT i.id, unnest({{}}::integer[]) FROM inserted i RETURNING 1
), history AS (
  INSERT INTO booking_event (booking, from_status, to_status, actor, note, at)
  SELECT i.id, NULL, i.status, {{}}::varchar, '', {{}}::timestamptz FROM inserted i RETURNING 1
), mail AS (
  INSERT INTO outbox (to_address, subject, text_body, html_body, message_id, status, attempts, next_attempt_at,
                      last_error, created_at)
  SELECT {{}}::varchar,
    CASE WHEN i.status = 'waitlisted' THEN replace({{}}::text, {{}}::text, d.position::text) ELSE {{}}::text END,
    CASE WHEN i.status = 'waitlisted' THEN replace({{}}::text, {{}}::text, d.position::text) ELSE {{}}::text END,
    CASE WHEN i.status = 'waitlisted' THEN replace({{}}::text, {{}}::text, d.position::text) ELSE {{}}::text END,
    {{}}::varchar, 'pending', 0, {{}}::timestamptz, '', {{}}::timestamptz
  FROM inserted i, decision d WHERE {{}}::text IS NOT NULL RETURNING 1
), revision AS (
  UPDATE revision SET value = value + 1 WHERE EXISTS (SELECT 1 FROM inserted WHERE status <> 'waitlisted')
  RETURNING 1
)
SELECT i.id, i.status, d.position,
  (SELECT COUNT(*) FROM counted) + (SELECT COUNT(*) FROM participants) + (SELECT COUNT(*) FROM history)
  + (SELECT COUNT(*) FROM mail) + (SELECT COUNT(*) FROM revision) AS written,
  EXTRACT(EPOCH FROM clock_timestamp() - d.locked_at) AS held
FROM decision d LEFT JOIN inserted i ON TRUE
"""


async def _claim_postgres(request: Claim) -> Claimed:
    table, capacity, where, row_id = _target(request)
    hold = "pending" if request.access == "approval" else "confirmed"
    mail = request.mail
    texts = []
    for part in ("subject", "text", "html"):
        waiting, holding = (getattr(mail.waiting, part), getattr(mail.holding, part)) if mail else ("", "")
        texts += [waiting, POSITION_MARK, holding]
    lock = "FOR UPDATE" if request.meeting_id is None else "FOR UPDATE OF t FOR SHARE OF a"
    sql = _POSTGRES.format(table=table, capacity=capacity, where=where, lock=lock)
    try:
        rows = await Booking.raw(
            sql, row_id, request.seats, hold, request.has_waiting_list, request.seats,
            request.code, request.family_id, request.activity_id, request.meeting_id, request.seats,
            request.now, request.now,
            request.member_ids,
            request.actor, request.now,
            mail.to_address if mail else None, *texts, mail.message_id if mail else "", request.now, request.now,
            mail.to_address if mail else None,
        )
    except Exception as error:  # asyncpg's UniqueViolationError: a live booking of this family exists
        if getattr(error, "sqlstate", None) == "23505":
            raise AlreadyBooked() from None
        raise
    row = rows[0]
    db.lock_timings.record(float(row["held"]))
    if row["id"] is None:
        raise BookingRefused(NO_PLACES)
    return Claimed(row["id"], row["status"], row["position"] if row["status"] == "waitlisted" else None)


# -- SQLite: one call of the writer thread --------------------------------------------------------

def _claim_sqlite(connection: sqlite3.Connection, request: Claim) -> Claimed:
    table, capacity, where, row_id = _target(request)
    connection.execute("BEGIN IMMEDIATE")
    locked_at = time.perf_counter()
    try:
        row = connection.execute(
            f"SELECT {capacity} AS capacity, t.seats_taken, t.waiting {where.replace('{}', '?')}",
            (row_id,)).fetchone()
        status = decide(request.access, row["capacity"] - row["seats_taken"], request.seats,
                        request.has_waiting_list)
        waiting = status == "waitlisted"
        connection.execute(
            f"UPDATE {table} SET seats_taken = seats_taken + ?, waiting = waiting + ? WHERE id = ?",
            (0 if waiting else request.seats, 1 if waiting else 0, row_id))
        booking_id = _insert(connection, request, status)
        position = row["waiting"] + 1 if waiting else None
        if request.mail:
            _enqueue(connection, request, request.mail.waiting if waiting else request.mail.holding, position)
        if not waiting:
            connection.execute("UPDATE revision SET value = value + 1")
        connection.execute("COMMIT")
    except sqlite3.IntegrityError:
        connection.execute("ROLLBACK")
        raise AlreadyBooked() from None
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    db.lock_timings.record(time.perf_counter() - locked_at)
    return Claimed(booking_id, status, position)


def _insert(connection: sqlite3.Connection, request: Claim, status: str) -> int:
    joined_at = max(request.now, datetime.now(timezone.utc))  # under the lock: the list's order is the lock's
    booking_id = connection.execute(
        "INSERT INTO booking (code, family, activity, meeting, status, seats, joined_at, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (request.code, request.family_id, request.activity_id, request.meeting_id, status, request.seats,
         joined_at, request.now, request.now)).fetchone()["id"]
    connection.executemany("INSERT INTO booking_participant (booking, member) VALUES (?, ?)",
                           [(booking_id, member_id) for member_id in request.member_ids])
    connection.execute(
        "INSERT INTO booking_event (booking, from_status, to_status, actor, note, at) VALUES (?, NULL, ?, ?, '', ?)",
        (booking_id, status, request.actor, request.now))
    return booking_id


def _enqueue(connection: sqlite3.Connection, request: Claim, message: MailMessage, position: int | None) -> None:
    def filled(text: str) -> str:
        return text.replace(POSITION_MARK, str(position)) if position is not None else text

    connection.execute(
        "INSERT INTO outbox (to_address, subject, text_body, html_body, message_id, status, attempts,"
        " next_attempt_at, last_error, created_at) VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, '', ?)",
        (request.mail.to_address, filled(message.subject), filled(message.text), filled(message.html),
         request.mail.message_id, request.now, request.now))
