"""The crash step of `make bench` (and of tests/concurrency/test_crash.py): a server process is killed
with SIGKILL in the middle of a booking rush, and nothing a family was told may be lost.

While the portal is served by a supervisor with several workers (`portal serve --workers 2`, which
starts a new worker when one dies), N signed-in families book one 30-seat meeting at once; as soon as
a share of them have their answer, one worker is killed with SIGKILL. The families left without an
answer press "book" again once the portal answers. Then the database must hold:

- every booking a family was sent to, live (confirmed or waiting), one per family;
- exactly min(N, 30) confirmed and the rest waiting, the counters equal to the live bookings;
- nothing half-written: each booking with its participant, its first history row and exactly one mail
  in the outbox (so each family's mail goes out once, or again with the same Message-ID after a
  sender died mid-delivery: the outbox keeps one Message-ID per message).
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field

import rush

KILL_AFTER_SHARE = 0.2  # the worker dies once this share of the families has an answer
READY_TIMEOUT_S = 60.0


@dataclass
class CrashResult:
    families: int
    killed_pid: int
    answered_before: int  # families with an answer before the kill
    unanswered: int  # families whose request died with the worker (asked again afterwards)
    retry_outcomes: Counter
    statuses: dict[str, int]
    failures: list[str] = field(default_factory=list)

    @property
    def correct(self) -> bool:
        return not self.failures


def run_crash(base_url: str, database_url: str, env: dict[str, str], families: int, supervisor: int) -> CrashResult:
    """For the bench: its own engine on the bench database; `supervisor` is the server's main process."""
    async def run() -> CrashResult:
        from portal import db

        engine = db.engine_from_url(database_url)
        db.bind(engine)
        await db.open_engine(engine)
        try:
            return await crash(base_url, env, families, supervisor)
        finally:
            await db.close_engine(engine)

    return asyncio.run(run())


async def crash(base_url: str, env: dict[str, str], families: int, supervisor: int) -> CrashResult:
    """The rush, the kill of one worker of `supervisor`, the second press of the families left without an
    answer, and the checks; the portal's tables must be bound to the served database."""
    plan = await rush.prepare(env, families, slug=f"{rush.SLUG}-crash")
    token = rush.csrf_token(base_url)
    await rush.preflight(base_url, plan, token)
    victim = workers(supervisor)[0]
    answers = await _rush_and_kill(base_url, plan, token, victim)
    await asyncio.to_thread(wait_ready, base_url)
    missing = [index for index, answer in enumerate(answers) if answer.status is None]
    retried = await asyncio.gather(*(_book(base_url, plan, token, index) for index in missing))
    for index, answer in zip(missing, retried):
        answers[index] = answer
    result = CrashResult(
        families=families, killed_pid=victim, answered_before=families - len(missing), unanswered=len(missing),
        retry_outcomes=Counter(rush._outcome(answer) for answer in retried), statuses={},
    )
    await check(plan, answers, result)
    return result


def workers(supervisor: int) -> list[int]:
    """The serving processes uvicorn's supervisor started (multiprocessing children, not its resource tracker)."""
    found = []
    for pid, (_, parent, _) in rush.processes().items():
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                command = cmdline.read()
        except OSError:
            continue
        if parent == supervisor and b"spawn_main" in command:
            found.append(pid)
    if not found:
        raise rush.RushError(f"no worker process of {supervisor} to kill")
    return sorted(found)


async def _rush_and_kill(base_url: str, plan: rush.Plan, token: str, victim: int) -> list[rush.Answer]:
    connections = await asyncio.gather(*(rush._connect(base_url) for _ in plan.families))
    go = asyncio.Event()
    answered = 0

    async def one(index: int, connection) -> rush.Answer:
        nonlocal answered
        await go.wait()
        _, member_id, session_id = plan.families[index]
        answer = await rush._exchange(*connection, rush._booking_request(
            base_url, plan, token, member_id, session_id, plan.meeting_of(index)))
        answered += 1
        return answer

    tasks = [asyncio.create_task(one(index, connection)) for index, connection in enumerate(connections)]
    await asyncio.sleep(0)
    go.set()
    while answered < KILL_AFTER_SHARE * len(tasks) and not all(task.done() for task in tasks):
        await asyncio.sleep(0.001)
    os.kill(victim, signal.SIGKILL)
    return list(await asyncio.gather(*tasks))


async def _book(base_url: str, plan: rush.Plan, token: str, index: int) -> rush.Answer:
    _, member_id, session_id = plan.families[index]
    connection = await rush._connect(base_url)
    return await rush._exchange(*connection, rush._booking_request(
        base_url, plan, token, member_id, session_id, plan.meeting_of(index)))


def wait_ready(base_url: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base_url + "/healthz", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise rush.RushError(f"the portal did not answer within {READY_TIMEOUT_S:.0f} s after the kill")


async def check(plan: rush.Plan, answers: list[rush.Answer], result: CrashResult) -> None:
    from portal.tables import Booking, BookingEvent, BookingParticipant, Meeting, Outbox

    failures = result.failures
    meeting_id = plan.meeting_ids[0]
    bookings = await Booking.select(Booking.id, Booking.code, Booking.family, Booking.status, Booking.seats).where(
        Booking.meeting == meeting_id)
    result.statuses = dict(Counter(row["status"] for row in bookings))
    sent_to = [answer.location.rsplit("/", 1)[-1] for answer in answers
               if answer.location.startswith("/famiglia/prenotazioni/")]
    if len(sent_to) != len(plan.families):
        failures.append(f"{len(plan.families) - len(sent_to)} families got no booking even when they asked again")
    live = {row["code"]: row for row in bookings if row["status"] in ("confirmed", "waitlisted")}
    if missing := [code for code in sent_to if code not in live]:
        failures.append(f"{len(missing)} families were sent to a booking that is not stored live")
    if len(bookings) != len(plan.families) or len({row["family"] for row in bookings}) != len(bookings):
        failures.append(f"{len(bookings)} bookings for {len(plan.families)} families")
    confirmed = min(len(plan.families), rush.CAPACITY)
    if result.statuses.get("confirmed", 0) != confirmed:
        failures.append(f"{result.statuses.get('confirmed', 0)} confirmed, not {confirmed}")
    meeting = await Meeting.select(Meeting.seats_taken, Meeting.waiting).where(Meeting.id == meeting_id).first()
    held = sum(row["seats"] for row in bookings if row["status"] == "confirmed")
    waiting = sum(1 for row in bookings if row["status"] == "waitlisted")
    if (meeting["seats_taken"], meeting["waiting"]) != (held, waiting):
        failures.append(f"counters {meeting['seats_taken']} taken, {meeting['waiting']} waiting; "
                        f"bookings {held} and {waiting}")
    ids = [row["id"] for row in bookings] or [0]
    participants = Counter(row["booking"] for row in await BookingParticipant.select(
        BookingParticipant.booking).where(BookingParticipant.booking.is_in(ids)))
    first_events = Counter(row["booking"] for row in await BookingEvent.select(BookingEvent.booking).where(
        BookingEvent.booking.is_in(ids) & BookingEvent.from_status.is_null()))
    if any(participants[i] != 1 or first_events[i] != 1 for i in ids if i):
        failures.append("a booking without its participant or its first history row")
    mails = await Outbox.select(Outbox.text_body, Outbox.message_id).where(Outbox.to_address.like(
        f"%@{plan.slug}.bench.invalid"))
    per_code = Counter(code for mail in mails for code in live if code in mail["text_body"])
    if any(per_code[code] != 1 for code in live):
        failures.append(f"{sum(1 for code in live if per_code[code] != 1)} bookings without exactly one mail queued")
    if len({mail["message_id"] for mail in mails}) != len(mails):
        failures.append("two queued mails share a Message-ID")
