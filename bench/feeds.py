"""Calendar feeds in `make bench`: how long a hub's feed of 1,000 meetings takes to build, and how many
conditional requests a second the portal answers with 304 Not Modified.

Call `run_feeds()` while the portal serves the bench database (the demo catalogue at --scale already
loaded), as bench/run.py does with the booking rush:

    import feeds as feed_bench            # bench/ is on sys.path when bench/run.py runs
    result = feed_bench.run_feeds(base_url, database_url, duration=args.duration, connections=args.connections)
    print("\\n".join(result.text_lines()))      # and result.markdown() for latest.md

What it does, against that database and server:
- adds a hub `bench-poli-calendario` with one open activity of 1,000 meetings over a year (kept if
  it is already there), in this process through the app's tables;
- builds that hub's feed in this process, five times, timing the one query that reads the meetings
  and the building of the iCalendar file separately (medians);
- fetches the feed over HTTP: the first answer (a worker reads and builds it) and the fastest of a
  few repeated ones (from a worker's cache of built feeds; each worker builds its own once);
- loads with wrk, each for `duration` seconds after a short warm-up: conditional GETs
  (`If-None-Match` with the feed's ETag) of the hub's feed and of `/calendari/tutto.ics` (every
  meeting of the --scale catalogue), counting in wrk's Lua hooks how many answers were 304; and
  plain GETs of the hub's feed (a cached 450 KB body, uncompressed) for comparison.

Alone: `.venv/bin/python bench/feeds.py [--scale N] [--duration S] [--connections C]` makes a fresh
SQLite bench database (var/bench/feeds.sqlite3), loads the demo catalogue, serves it with 2 workers
and runs the same. It needs `wrk` (apt-get install wrk).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
VAR_DIR = ROOT / "var" / "bench"
HUB_SLUG = "bench-poli-calendario"
ACTIVITY_SLUG = "bench-calendario-un-anno"
MEETINGS = 1000
BUILD_RUNS = 5
WARMUP_SECONDS = 1
WORKERS = 2
TIME_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
COUNT_STATUSES = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) not_modified = 0; other = 0 end
function response(status, headers, body)
  if status == 304 then not_modified = not_modified + 1 else other = other + 1 end
end
function done(summary, latency, requests)
  local nm, ot = 0, 0
  for _, t in ipairs(threads) do nm = nm + t:get("not_modified"); ot = ot + t:get("other") end
  io.write(string.format("statuses: not_modified=%d other=%d\\n", nm, ot))
end
"""


class FeedBenchError(Exception):
    """The feed bench cannot run; the message says why."""


@dataclass
class Load:
    route: str
    path: str
    conditional: bool
    rps: float
    p50_ms: float
    p99_ms: float
    not_modified: int | None = None  # answers counted 304 (conditional loads only)
    other: int | None = None  # any other answer (conditional loads only)
    socket_errors: int = 0
    error_responses: int = 0  # answers of 400 and above (wrk's "Non-2xx or 3xx responses")

    @property
    def share_304(self) -> float | None:
        if self.not_modified is None:
            return None
        total = self.not_modified + (self.other or 0)
        return self.not_modified / total if total else 0.0


@dataclass
class FeedsResult:
    meetings: int
    feed_bytes: int
    query_ms: float  # median: reading the hub's meetings (one query)
    build_ms: float  # median: building the iCalendar file from them
    first_http_ms: float  # the first GET over HTTP (the worker reads and builds)
    cached_http_ms: float  # the fastest of a few repeated GETs (a worker's cache of built feeds)
    catalogue_events: int  # events in /calendari/tutto.ics
    loads: list[Load] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def text_lines(self) -> list[str]:
        lines = [
            (f"   feed build: hub of {self.meetings:,} meetings, {self.feed_bytes / 1024:,.0f} KB: "
             f"query {ms(self.query_ms)} + build {ms(self.build_ms)} (median of {BUILD_RUNS}); over HTTP first "
             f"{ms(self.first_http_ms)}, cached {ms(self.cached_http_ms)}"),
        ]
        for load in self.loads:
            share = f"  304: {load.share_304:.1%}" if load.share_304 is not None else ""
            lines.append(f"   {load.route:<28} {load.rps:>9,.0f} req/s  p50 {ms(load.p50_ms):>9}  "
                         f"p99 {ms(load.p99_ms):>9}{share}")
        lines += [f"   feed check failed: {failure}" for failure in self.failures]
        return lines

    def markdown(self) -> str:
        rows = [
            "### Calendar feeds", "",
            (f"Hub feed of {self.meetings:,} meetings ({self.feed_bytes / 1024:,.0f} KB): one query "
             f"{ms(self.query_ms)}, building {ms(self.build_ms)} (median of {BUILD_RUNS}, in the bench process); "
             f"first GET {ms(self.first_http_ms)}, repeated GET {ms(self.cached_http_ms)}. "
             f"`/calendari/tutto.ics` holds {self.catalogue_events:,} events."), "",
            "| load | URL | requests/s | p50 | p99 | answered 304 |",
            "|---|---|---:|---:|---:|---:|",
        ]
        for load in self.loads:
            share = f"{load.share_304:.1%}" if load.share_304 is not None else "—"
            rows.append(f"| {load.route} | `{load.path}` | {load.rps:,.0f} | {ms(load.p50_ms)} | {ms(load.p99_ms)} "
                        f"| {share} |")
        rows += [f"\nCheck failed: {failure}" for failure in self.failures]
        return "\n".join(rows) + "\n"

    @property
    def correct(self) -> bool:
        return not self.failures


def ms(value: float) -> str:
    if value >= 1000:
        return f"{value / 1000:.2f} s"
    return f"{value:.2f} ms" if value < 10 else f"{value:.1f} ms"


# -- the part bench/run.py calls ---------------------------------------------------------------


def run_feeds(base_url: str, database_url: str, duration: int = 10, connections: int = 50) -> FeedsResult:
    """Set up the 1,000-meeting hub in the bench database, time its build, then load the server."""
    if not shutil.which("wrk"):
        raise FeedBenchError("wrk is missing: apt-get install wrk")
    meetings, feed_bytes, query_ms, build_ms = asyncio.run(_prepare_and_build(database_url, base_url))
    hub_path = f"/calendari/poli/{HUB_SLUG}.ics"
    started = time.perf_counter()
    first = _get(base_url + hub_path)
    first_ms = (time.perf_counter() - started) * 1000
    repeated = []
    for _ in range(2 * WORKERS + 1):  # every worker builds it once; the fastest answer is from a cache
        started = time.perf_counter()
        _get(base_url + hub_path)
        repeated.append((time.perf_counter() - started) * 1000)
    cached_ms = min(repeated)
    everything = _get(base_url + "/calendari/tutto.ics")
    result = FeedsResult(
        meetings=meetings, feed_bytes=feed_bytes, query_ms=query_ms, build_ms=build_ms, first_http_ms=first_ms,
        cached_http_ms=cached_ms, catalogue_events=everything.body.count(b"BEGIN:VEVENT"),
    )
    if first.body.count(b"BEGIN:VEVENT") != MEETINGS:
        result.failures.append(f"the hub feed holds {first.body.count(b'BEGIN:VEVENT')} events, not {MEETINGS}")
    for route, path, answer in (("hub feed, If-None-Match", hub_path, first),
                                ("tutto.ics, If-None-Match", "/calendari/tutto.ics", everything)):
        etag = answer.headers.get("etag")
        if not etag:
            result.failures.append(f"{path} sent no ETag")
            continue
        load = _wrk(route, base_url, path, duration, connections, {"If-None-Match": etag})
        result.loads.append(load)
        if load.not_modified is None or load.other is None:
            result.failures.append(f"{path}: wrk reported no count of the 304 answers")
        elif not load.not_modified + load.other:
            result.failures.append(f"{path}: no conditional request was answered")
        elif load.other:
            result.failures.append(f"{path}: {load.other:,} of {load.not_modified + load.other:,} conditional "
                                   "requests were not answered 304")
    result.loads.append(_wrk("hub feed, plain GET", base_url, hub_path, duration, connections, {}))
    for load in result.loads:
        if load.error_responses:
            result.failures.append(f"{load.route}: {load.error_responses:,} error responses (4xx/5xx)")
        if load.socket_errors:
            result.failures.append(f"{load.route}: {load.socket_errors:,} socket errors")
    return result


async def _prepare_and_build(database_url: str, base_url: str) -> tuple[int, int, float, float]:
    from portal.calendars.feeds import public_calendar

    from portal import db
    from portal.feeds import selection as portal_feeds
    from portal.i18n import set_language

    engine = db.engine_from_url(database_url)
    db.bind(engine)
    await db.open_engine(engine)
    try:
        await _ensure_hub()
        set_language("it")
        now = datetime.now(timezone.utc)
        query_times, build_times, size, count = [], [], 0, 0
        for _ in range(BUILD_RUNS):
            started = time.perf_counter()
            scope = await portal_feeds.public_scope("hub", HUB_SLUG)
            meetings = await portal_feeds.public_meetings(scope, now)
            read = time.perf_counter()
            content = public_calendar(scope, meetings, base_url)
            query_times.append((read - started) * 1000)
            build_times.append((time.perf_counter() - read) * 1000)
            size, count = len(content), len(meetings)
        return count, size, statistics.median(query_times), statistics.median(build_times)
    finally:
        await db.close_engine(engine)


async def _ensure_hub() -> None:
    """A hub with one open, single-date activity and 1,000 meetings over the coming year."""
    from portal import db
    from portal.demo.loader import ensure_taxonomy
    from portal.i18n import ROME
    from portal.tables import Activity, Hub, Meeting

    if await Hub.exists().where(Hub.slug == HUB_SLUG):
        return
    services = await ensure_taxonomy()
    now = datetime.now(timezone.utc)
    async with db.write_transaction():
        hub = (await Hub.insert(Hub(
            slug=HUB_SLUG, name="Polo del calendario (bench)", district="Municipalità 1", neighbourhoods="Bench",
            address="Via del Calendario 1", postcode="80100", city="Napoli", phone="081 000 0000",
            email="calendario@bench.invalid", opening_hours="Lun–Ven 9–18", description="Bench.",
            latitude=40.85, longitude=14.25,
        )).returning(Hub.id))[0]["id"]
        activity = (await Activity.insert(Activity(
            slug=ACTIVITY_SLUG, title="Laboratorio del calendario", service=services["attivita-culturali"], hub=hub,
            summary="Un anno di incontri, per misurare i calendari.", description="", requirements="", outcome="",
            access="open", format="single", seat_unit="participant", audience="families", capacity=20,
            updated_at=now,
        )).returning(Activity.id))[0]["id"]
        first_day = now.astimezone(ROME).date() + timedelta(days=1)
        rows = []
        for number in range(MEETINGS):
            day = first_day + timedelta(days=number * 365 // MEETINGS)
            starts = datetime(day.year, day.month, day.day, 9 + 3 * (number % 3), tzinfo=ROME)
            rows.append(Meeting(
                activity=activity, starts_at=starts, ends_at=starts + timedelta(minutes=90), local_date=day,
                local_weekday=day.isoweekday(), place="Sala grande", seats_taken=0, status="scheduled",
                private=False, sequence=0, updated_at=now,
            ))
        for start in range(0, len(rows), 200):
            await Meeting.insert(*rows[start:start + 200])
        await db.bump_revision()


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def _get(url: str) -> Answer:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return Answer(response.status, {k.lower(): v for k, v in response.headers.items()}, response.read())
    except OSError as error:
        raise FeedBenchError(f"GET {url} failed: {error}") from None


def _wrk(route: str, base_url: str, path: str, seconds: int, connections: int, headers: dict[str, str]) -> Load:
    conditional = bool(headers)
    header_args = [argument for name, value in headers.items() for argument in ("-H", f"{name}: {value}")]
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(COUNT_STATUSES)
        script.flush()
        for duration in (WARMUP_SECONDS, seconds):
            command = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{duration}s", "--latency",
                       *header_args, *(["-s", script.name] if conditional else []), base_url + path]
            done = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60, check=False)
            if done.returncode != 0:
                raise FeedBenchError(f"wrk failed on {path}:\n{done.stdout}{done.stderr}")
    output = done.stdout
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    p50 = re.search(r"^\s+50%\s+([\d.]+)(us|ms|s|m)\b", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s|m)\b", output, re.MULTILINE)
    if not (rps and p50 and p99):
        raise FeedBenchError(f"cannot read the wrk output for {path}:\n{output}")
    statuses = re.search(r"statuses: not_modified=(\d+) other=(\d+)", output)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    error_responses = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return Load(
        route=route, path=path, conditional=conditional, rps=float(rps.group(1)),
        p50_ms=float(p50.group(1)) * TIME_UNITS_MS[p50.group(2)],
        p99_ms=float(p99.group(1)) * TIME_UNITS_MS[p99.group(2)],
        not_modified=int(statuses.group(1)) if statuses else None, other=int(statuses.group(2)) if statuses else None,
        socket_errors=sum(int(n) for n in sockets.groups()) if sockets else 0,
        error_responses=int(error_responses.group(1)) if error_responses else 0,
    )


# -- alone ---------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description="Calendar feeds: build time and 304 rate")
    parser.add_argument("--scale", type=int, default=20, help="demo catalogue scale, 1-50 (default 20)")
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per URL (default 10)")
    parser.add_argument("--connections", type=int, default=50, help="concurrent connections (default 50)")
    args = parser.parse_args()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    database = VAR_DIR / "feeds.sqlite3"
    for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        path.unlink(missing_ok=True)
    database_url = f"sqlite:///{database}"
    env = {**os.environ, "DATABASE_URL": database_url, "PORTAL_VAR_DIR": str(VAR_DIR), "MAIL_WORKER": "0"}
    for command in (["migrate"], ["demo", "--scale", str(args.scale)]):
        done = subprocess.run([str(BIN / "portal"), *command], cwd=ROOT, env=env, capture_output=True, text=True,
                              check=False)
        if done.returncode != 0:
            sys.exit(f"bench: `portal {' '.join(command)}` failed:\n{done.stdout}{done.stderr}")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base_url = f"http://127.0.0.1:{port}"
    with open(VAR_DIR / "feeds.log", "w") as log:
        server = subprocess.Popen(
            [str(BIN / "portal"), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(WORKERS)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_ready(base_url + "/healthz", server)
        print(f"== calendar feeds, SQLite, demo catalogue at scale {args.scale}")
        result = run_feeds(base_url, database_url, args.duration, args.connections)
    except FeedBenchError as error:
        sys.exit(f"bench: {error}")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=15)
    print("\n".join(result.text_lines()))
    sys.exit(0 if result.correct else 1)


def _wait_ready(url: str, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise FeedBenchError(f"the server exited with status {server.returncode}; see {VAR_DIR / 'feeds.log'}")
        try:
            if _get(url).status == 200:
                return
        except FeedBenchError:
            time.sleep(0.2)
    raise FeedBenchError(f"{url} did not answer within {timeout:.0f} s")


if __name__ == "__main__":
    main()
