"""The booking rush of `make bench`: N signed-in families book one 30-seat meeting at the same moment.

`bench/run.py` calls `run_rush()` while the portal is served (2 workers) on the bench database. In
this process, against that database, it adds an open 30-seat meeting a week ahead and N families of
one adult each, every one with a server-side session written through the app's own store
(`DatabaseStore`) in the format `sign_in()` writes. It then opens one connection per family, and
once all are open sends every `POST /attivita/{slug}/prenota` at once (raw HTTP/1.1 on asyncio, no
client library in the way), timing each request from its send to the last byte of its answer.
Afterwards it reads what the database holds and checks it: exactly 30 confirmed, the rest on the
waiting list, the meeting's seats taken = 30, one booking per family, and every answer pointing to
one of those bookings.
"""

from __future__ import annotations

import asyncio
import os
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

CAPACITY = 30
TARGETS = {"PostgreSQL": (3.0, 1000.0), "SQLite": (5.0, None)}  # all answered within (s), p99 under (ms)
SLUG = "bench-corsa-alle-prenotazioni"
SPREAD_MEETINGS = 50  # the second rush: the same families' number over this many meetings
CSRF_COOKIE = "csrftoken"  # Litestar's CSRFConfig.cookie_name, which the app leaves at its default
CSRF_FIELD = "_csrf_token"
REQUEST_TIMEOUT_S = 120.0
CONNECT_TIMEOUT_S = 30.0
INSERT_CHUNK = 200


class RushError(Exception):
    """The rush cannot be run (not: the rush ran and went badly); the message says why."""


@dataclass
class Answer:
    status: int | None  # None: no HTTP answer (connection error or timeout)
    latency_ms: float | None
    location: str = ""
    error: str = ""


@dataclass
class RushResult:
    engine: str
    families: int
    meetings: int
    capacity: int
    setup_s: float  # families, members, sessions and the meeting
    connect_s: float  # opening the N connections, before the rush starts
    wall_s: float  # from the first send until every family has its answer
    client_cpu_s: float  # CPU this process spent connecting, sending and reading (it shares the cores)
    p50_ms: float
    p99_ms: float
    max_ms: float
    outcomes: Counter  # what the families got: "303 booking page", "409 refused", "connection error: …"
    statuses: dict[str, int]  # booking status -> count, read from the database
    seats_taken: int
    load_average: float  # 1-minute load average just before the rush
    server_cpu_s: float | None = None  # CPU the portal's processes spent during the rush (from /proc)
    database_cpu_s: float | None = None  # CPU the local PostgreSQL server spent during the rush
    holds_ms: list[float] = field(default_factory=list)  # each booking's hold of its seats' lock, measured in the app
    failures: list[str] = field(default_factory=list)  # checks that did not hold

    @property
    def hold_median_ms(self) -> float:
        return percentile(self.holds_ms, 50)

    @property
    def hold_p99_ms(self) -> float:
        return percentile(self.holds_ms, 99)

    @property
    def per_second(self) -> float:
        """Bookings answered per second, all meetings together."""
        return self.families / self.wall_s if self.wall_s else float("nan")

    @property
    def machine_ms_per_booking(self) -> float | None:
        """CPU time the servers, the database and the client spent on each booking, all cores together."""
        if self.server_cpu_s is None:
            return None
        spent = self.server_cpu_s + (self.database_cpu_s or 0.0) + self.client_cpu_s
        return 1000 * spent / self.families

    def cpu_text(self) -> str:
        """Where the machine's time went, for the context line."""
        if self.server_cpu_s is None:
            return ""
        database = f", PostgreSQL {self.database_cpu_s:.1f} s" if self.database_cpu_s is not None else ""
        return (f"; CPU during the rush: the portal {self.server_cpu_s:.1f} s{database}, the client "
                f"{self.client_cpu_s:.1f} s, {self.machine_ms_per_booking:.1f} ms per booking")

    @property
    def lock_ceiling_per_second(self) -> float:
        """Bookings one meeting takes per second if nothing but its lock stood in the way."""
        return 1000 / self.hold_median_ms if self.holds_ms and self.hold_median_ms else float("nan")

    @property
    def errors(self) -> int:
        """5xx answers and requests without an answer."""
        return sum(n for outcome, n in self.outcomes.items()
                   if outcome.startswith(("5", "connection error", "timeout")))

    @property
    def expected_confirmed(self) -> int:
        per_meeting = [len(range(i, self.families, self.meetings)) for i in range(self.meetings)]
        return sum(min(n, self.capacity) for n in per_meeting)

    @property
    def correct(self) -> bool:
        return not self.failures and not self.errors

    def targets(self) -> dict[str, bool]:
        """Each target of the engine and whether it is met (the one-meeting rush only)."""
        wall, p99 = TARGETS[self.engine]
        met = {f"all answered within {wall:.0f} s": self.wall_s <= wall}
        if p99 is not None:
            met[f"p99 under {p99 / 1000:.0f} s"] = self.p99_ms < p99
        met[f"exactly {self.expected_confirmed} confirmed, {self.families - self.expected_confirmed} waiting"] = \
            self.correct
        return met

    def meets_target(self) -> bool:
        return all(self.targets().values())


@dataclass
class Plan:
    slug: str
    meeting_ids: list[int]
    families: list[tuple[int, int, str]]  # (family id, its adult's member id, session id)
    session_cookie: str
    setup_s: float

    def meeting_of(self, index: int) -> int:
        """Families take the meetings in turn."""
        return self.meeting_ids[index % len(self.meeting_ids)]


def run_rush(engine: str, base_url: str, database_url: str, env: dict[str, str], families: int,
             meetings: int = 1, server_pid: int | None = None) -> RushResult:
    """Prepare the meetings and the families, fire the rush at the server at base_url, check the outcome.
    The servers append each booking's lock hold time to env's PORTAL_LOCK_TIMINGS file, if set. With
    server_pid (the supervisor), the CPU its processes and a local PostgreSQL spend is measured too."""
    return asyncio.run(_rush(engine, base_url, database_url, env, families, meetings, server_pid))


async def _rush(engine_name: str, base_url: str, database_url: str, env: dict[str, str], families: int,
                meetings: int, server_pid: int | None = None) -> RushResult:
    from portal import db  # the bench's other parts run without the portal's imports

    engine = db.engine_from_url(database_url)
    db.bind(engine)
    await db.open_engine(engine)
    try:
        slug = SLUG if meetings == 1 else f"{SLUG}-{meetings}"
        plan = await prepare(env, families, slug, meetings)
        token = csrf_token(base_url)
        await preflight(base_url, plan, token)
        timings = env.get("PORTAL_LOCK_TIMINGS")
        if timings:
            open(timings, "w").close()
        load_average = os.getloadavg()[0]
        cpu = time.process_time()
        servers_before, database_before = _cpu_seconds(server_pid), _cpu_seconds(None)
        connect_s, wall_s, answers = await fire(base_url, plan, token)
        servers_after, database_after = _cpu_seconds(server_pid), _cpu_seconds(None)
        cpu = time.process_time() - cpu
        result = await verify(engine_name, plan, answers, connect_s, wall_s, cpu, load_average)
        if server_pid is not None:
            result.server_cpu_s = servers_after - servers_before
            if engine_name == "PostgreSQL" and database_after:
                result.database_cpu_s = database_after - database_before
        if timings:
            with open(timings) as lines:
                result.holds_ms = sorted(float(line) for line in lines if line.strip())
        return result
    finally:
        await db.close_engine(engine)


def processes() -> dict[int, tuple[str, int, int]]:
    """Every process now: pid -> (name, parent pid, user and system CPU in clock ticks), from /proc."""
    found = {}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{entry}/stat") as stat:
                name, rest = stat.read().rsplit(")", 1)
        except (OSError, ValueError):
            continue
        fields = rest.split()
        found[int(entry)] = (name.split("(", 1)[1], int(fields[1]), int(fields[11]) + int(fields[12]))
    return found


def _cpu_seconds(root: int | None) -> float:
    """User and system CPU of a process and its descendants (root None: every `postgres` process)."""
    running = processes()
    if root is None:
        chosen = {pid for pid, (name, _, _) in running.items() if name == "postgres"}
    else:
        chosen, grew = {root}, True
        while grew:
            found = {pid for pid, (_, parent, _) in running.items() if parent in chosen} - chosen
            chosen |= found
            grew = bool(found)
    return sum(running[pid][2] for pid in chosen) / os.sysconf("SC_CLK_TCK")


# -- the data ------------------------------------------------------------------------------------


async def prepare(env: dict[str, str], count: int, slug: str = SLUG, meetings: int = 1) -> Plan:
    """The meetings, `count` families with one adult and a complete profile, and a session for each."""
    from portal import db
    from portal.tables import Activity, Family, Hub, Member, Service

    started = time.monotonic()
    email_domain = f"{slug}.bench.invalid"
    if await Activity.exists().where(Activity.slug == slug):
        raise RushError(f"the database already holds the rush activity {slug!r}: the bench needs a fresh database")
    service = await Service.select(Service.id).order_by(Service.id).first()
    hub = await Hub.select(Hub.id).order_by(Hub.id).first()
    if service is None or hub is None:
        raise RushError("the database holds no service or hub: load the demo catalogue first")
    now = datetime.now(UTC)
    meeting_ids = await _meetings(service["id"], hub["id"], now, slug, meetings)

    for first in range(0, count, INSERT_CHUNK):
        await Family.insert(*(
            Family(email=f"famiglia-{n}@{email_domain}", name="Famiglia", surname=f"Corsa {n}", phone="",
                   district="", language="it", privacy_acknowledged_at=now, created_at=now)
            for n in range(first, min(first + INSERT_CHUNK, count))
        ))
    rows = await Family.select(Family.id, Family.session_epoch).where(
        Family.email.like(f"%@{email_domain}")).order_by(Family.id)
    epochs = {row["id"]: row["session_epoch"] for row in rows}
    ids = list(epochs)
    for first in range(0, len(ids), INSERT_CHUNK):
        await Member.insert(*(Member(family=family_id, kind="adult", first_name="Genitore", created_at=now)
                              for family_id in ids[first:first + INSERT_CHUNK]))
    members = {row["family"]: row["id"] for row in await Member.select(Member.id, Member.family).where(
        Member.family._.email.like(f"%@{email_domain}"))}
    if len(ids) != count or len(members) != count:
        raise RushError(f"created {len(ids)} families and {len(members)} members instead of {count}")

    cookie, sessions = await _sessions(env, epochs)
    await db.bump_revision()
    families = [(family_id, members[family_id], sessions[family_id]) for family_id in ids]
    return Plan(slug, meeting_ids, families, cookie, time.monotonic() - started)


async def _meetings(service_id: int, hub_id: int, now: datetime, slug: str, count: int) -> list[int]:
    """An open, single-date activity for families, 30 seats per participant, a waiting list, bookable
    until the start; `count` meetings from a week ahead, a day apart, at 17:00 in Rome."""
    from portal import db
    from portal.catalogue.browse import local_day
    from portal.i18n import ROME
    from portal.tables import Activity, Meeting

    rows = await Activity.insert(Activity(
        slug=slug, title="Festa d'inverno (corsa del bench)", service=service_id, hub=hub_id,
        summary="L'incontro che il bench prenota con mille famiglie insieme.", description="Bench.",
        requirements="Nulla.", outcome="Un posto, o la lista d'attesa.", access="open", format="single",
        seat_unit="participant", audience="families", age_min_months=None, age_max_months=None,
        capacity=CAPACITY, seats_taken=0, waiting_list=True, booking_opens_at=None, booking_closes_hours=0,
        published=True, updated_at=now,
    )).returning(Activity.id)
    activity_id = rows[0]["id"]
    meeting_ids = []
    for day in range(count):
        week_ahead = (now + timedelta(days=7 + day)).astimezone(ROME)
        starts_at = week_ahead.replace(hour=17, minute=0, second=0, microsecond=0)
        local_date, weekday = local_day(starts_at)
        rows = await Meeting.insert(Meeting(
            activity=activity_id, starts_at=starts_at, ends_at=starts_at + timedelta(minutes=90),
            local_date=local_date, local_weekday=weekday, place="Sala grande", updated_at=now,
        )).returning(Meeting.id)
        meeting_ids.append(rows[0]["id"])
    await db.bump_revision()
    return meeting_ids


async def _sessions(env: dict[str, str], epochs: dict[int, int]) -> tuple[str, dict[int, str]]:
    """One signed-in session per family, as `sign_in()` leaves it: a new id from the app's backend,
    {FAMILY: id, EPOCH: the family's session_epoch} serialised by that backend, written through
    DatabaseStore for the session lifetime. Returns the cookie name and the session id per family."""
    from portal.identity.sessions import EPOCH, FAMILY, DatabaseStore, session_config
    from portal.settings import load_settings

    config = session_config(load_settings(env))
    backend = config.middleware.kwargs["backend"]  # the backend the app's session middleware gets
    store = DatabaseStore()
    sessions = {family_id: backend.generate_session_id() for family_id in epochs}
    gate = asyncio.Semaphore(8)

    async def write(family_id: int) -> None:
        async with gate:
            data = backend.serialize_data({FAMILY: family_id, EPOCH: epochs[family_id]})
            await store.set(sessions[family_id], data, expires_in=config.max_age)

    await asyncio.gather(*(write(family_id) for family_id in epochs))
    return config.key, sessions


# -- the requests ----------------------------------------------------------------------------------


def csrf_token(base_url: str) -> str:
    """The CSRF cookie the app hands out on any GET. It is signed with the app's secret but bound to
    no session, so one token serves every family (the preflight proves it)."""
    try:
        with urllib.request.urlopen(base_url + "/", timeout=30) as response:
            cookies = SimpleCookie()
            for header in response.headers.get_all("set-cookie") or []:
                cookies.load(header)
    except OSError as error:
        raise RushError(f"GET / for a CSRF token failed: {error}") from None
    if CSRF_COOKIE not in cookies:
        raise RushError(f"GET / set no {CSRF_COOKIE} cookie")
    return cookies[CSRF_COOKIE].value


def _request(base_url: str, path: str, body: dict[str, str | int], cookies: dict[str, str]) -> bytes:
    parts = urlsplit(base_url)
    payload = urlencode(body).encode("ascii")
    head = (
        f"POST {path} HTTP/1.1\r\n"
        f"Host: {parts.netloc}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(payload)}\r\n"
        f"Cookie: {'; '.join(f'{name}={value}' for name, value in cookies.items())}\r\n"
        "Connection: close\r\n"
        "\r\n"
    )
    return head.encode("ascii") + payload


def _booking_request(base_url: str, plan: Plan, token: str, member_id: int, session_id: str,
                     meeting_id: int, slug: str | None = None) -> bytes:
    return _request(
        base_url, f"/attivita/{slug or plan.slug}/prenota",
        {"incontro": meeting_id, "partecipante": member_id, CSRF_FIELD: token},
        {plan.session_cookie: session_id, CSRF_COOKIE: token},
    )


async def preflight(base_url: str, plan: Plan, token: str) -> None:
    """One booking POST for an activity that does not exist, with the first family's session and
    the shared token: 404 means the CSRF check and the session both passed (403: the token was
    refused; 303 to /accedi: the session was not recognised). Nothing is written."""
    _, member_id, session_id = plan.families[0]
    reader, writer = await _connect(base_url)
    answer = await _exchange(reader, writer, _booking_request(base_url, plan, token, member_id, session_id,
                                                              plan.meeting_ids[0], slug="bench-nessuna-attivita"))
    if answer.status != 404:
        detail = answer.error or f"{answer.status} {answer.location}".strip()
        raise RushError(f"the preflight booking POST answered {detail}, not 404: "
                        "the bench's sessions or CSRF token do not work")


async def fire(base_url: str, plan: Plan, token: str) -> tuple[float, float, list[Answer]]:
    """Open one connection per family, then send every booking at once. Returns the time to connect,
    the wall time from the first send to the last answer, and each family's answer."""
    requests = [_booking_request(base_url, plan, token, member_id, session_id, plan.meeting_of(index))
                for index, (_, member_id, session_id) in enumerate(plan.families)]
    started = time.perf_counter()
    connections = await asyncio.gather(*(_connect(base_url) for _ in requests), return_exceptions=True)
    connect_s = time.perf_counter() - started
    go = asyncio.Event()

    async def one(connection, request: bytes) -> Answer:
        if isinstance(connection, BaseException):
            return Answer(None, None, error=f"connection error: {_describe(connection)}")
        await go.wait()
        return await _exchange(*connection, request)

    tasks = [asyncio.create_task(one(connection, request)) for connection, request in zip(connections, requests)]
    await asyncio.sleep(0)  # every task is now waiting for the start
    started = time.perf_counter()
    go.set()
    answers = await asyncio.gather(*tasks)
    return connect_s, time.perf_counter() - started, answers


async def _connect(base_url: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    parts = urlsplit(base_url)
    return await asyncio.wait_for(asyncio.open_connection(parts.hostname, parts.port), CONNECT_TIMEOUT_S)


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> Answer:
    """Send one request and read its whole answer; the latency runs from the send to the last byte."""
    sent = time.perf_counter()
    try:
        writer.write(request)
        status, location = await asyncio.wait_for(_read_response(reader), REQUEST_TIMEOUT_S)
        return Answer(status, (time.perf_counter() - sent) * 1000, location)
    except TimeoutError:
        return Answer(None, None, error=f"timeout after {REQUEST_TIMEOUT_S:.0f} s")
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as error:
        return Answer(None, None, error=f"connection error: {_describe(error)}")
    finally:
        writer.close()


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, str]:
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
    status_line, *header_lines = head.split("\r\n")
    status = int(status_line.split(" ", 2)[1])
    headers = {}
    for line in header_lines:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    else:  # chunked or unsized: the server closes the connection after it (we sent Connection: close)
        await reader.read()
    return status, headers.get("location", "")


def _describe(error: BaseException) -> str:
    return type(error).__name__ + (f" ({error})" if str(error) else "")


# -- the outcome -----------------------------------------------------------------------------------


def _outcome(answer: Answer) -> str:
    if answer.status is None:
        return answer.error.split(" (")[0]
    if answer.status == 303:
        return "303 booking page" if answer.location.startswith("/famiglia/prenotazioni/") else \
            f"303 to {urlsplit(answer.location).path or '?'}"
    return {409: "409 refused", 403: "403 forbidden"}.get(answer.status, str(answer.status))


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile of sorted values."""
    if not values:
        return float("nan")
    rank = max(1, -(-len(values) * share // 100))
    return values[int(rank) - 1]


async def verify(engine: str, plan: Plan, answers: list[Answer], connect_s: float, wall_s: float,
                 client_cpu_s: float, load_average: float) -> RushResult:
    """Read the bookings of the meetings and check what the rush must leave behind."""
    from portal.tables import Booking, Meeting

    latencies = sorted(a.latency_ms for a in answers if a.latency_ms is not None)
    outcomes = Counter(_outcome(answer) for answer in answers)
    bookings = await Booking.select(Booking.code, Booking.family, Booking.meeting, Booking.status,
                                    Booking.joined_at, Booking.seats).where(Booking.meeting.is_in(plan.meeting_ids))
    statuses = dict(Counter(row["status"] for row in bookings))
    meetings = await Meeting.select(Meeting.id, Meeting.seats_taken, Meeting.waiting).where(
        Meeting.id.is_in(plan.meeting_ids))
    result = RushResult(
        engine=engine, families=len(plan.families), meetings=len(plan.meeting_ids), capacity=CAPACITY,
        setup_s=plan.setup_s, connect_s=connect_s,
        wall_s=wall_s, client_cpu_s=client_cpu_s, p50_ms=percentile(latencies, 50), p99_ms=percentile(latencies, 99),
        max_ms=latencies[-1] if latencies else float("nan"), outcomes=outcomes, statuses=statuses,
        seats_taken=sum(row["seats_taken"] for row in meetings), load_average=load_average,
    )
    result.failures = _checks(result, answers, bookings) + _counter_checks(meetings, bookings)
    return result


def _counter_checks(meetings: list[dict], bookings: list[dict]) -> list[str]:
    """Each meeting's counters equal its bookings; within a meeting, the confirmed joined first."""
    failures = []
    for meeting in meetings:
        own = [row for row in bookings if row["meeting"] == meeting["id"]]
        held = sum(row["seats"] for row in own if row["status"] in ("pending", "confirmed"))
        waiting = sum(1 for row in own if row["status"] == "waitlisted")
        if (meeting["seats_taken"], meeting["waiting"]) != (held, waiting):
            failures.append(f"meeting {meeting['id']} counts {meeting['seats_taken']} taken and {meeting['waiting']}"
                            f" waiting, its bookings {held} and {waiting}")
        if meeting["seats_taken"] > CAPACITY:
            failures.append(f"meeting {meeting['id']} has {meeting['seats_taken']} seats taken of {CAPACITY}")
        joined = {status: [_instant(row["joined_at"]) for row in own if row["status"] == status]
                  for status in ("confirmed", "waitlisted")}
        if joined["confirmed"] and joined["waitlisted"] and max(joined["confirmed"]) > min(joined["waitlisted"]):
            failures.append(f"meeting {meeting['id']}: a waitlisted booking joined before a confirmed one")
    return failures


def _checks(result: RushResult, answers: list[Answer], bookings: list[dict]) -> list[str]:
    failures = []
    confirmed, waitlisted = result.expected_confirmed, result.families - result.expected_confirmed
    booked = result.outcomes.get("303 booking page", 0)
    if booked != result.families:
        failures.append(f"{booked} of {result.families} families were sent to a booking")
    if result.statuses.get("confirmed", 0) != confirmed:
        failures.append(f"{result.statuses.get('confirmed', 0)} confirmed, not {confirmed}")
    if result.statuses.get("waitlisted", 0) != waitlisted:
        failures.append(f"{result.statuses.get('waitlisted', 0)} waitlisted, not {waitlisted}")
    others = {status: n for status, n in result.statuses.items() if status not in ("confirmed", "waitlisted")}
    if others:
        failures.append("unexpected statuses " + ", ".join(f"{n} {status}" for status, n in sorted(others.items())))
    if result.seats_taken != confirmed:
        failures.append(f"seats_taken is {result.seats_taken}, not {confirmed}")
    per_family = Counter(row["family"] for row in bookings)
    doubled = sum(1 for n in per_family.values() if n > 1)
    if doubled:
        failures.append(f"{doubled} families hold more than one booking")
    answered = {a.location.rsplit("/", 1)[-1] for a in answers if a.location.startswith("/famiglia/prenotazioni/")}
    stored = {row["code"] for row in bookings}
    if answered - stored:
        failures.append(f"{len(answered - stored)} answers point to a booking the meetings do not hold")
    return failures


def _instant(value: datetime | str) -> datetime:
    from portal.db import instant

    return instant(value)
