"""`make bench`: load-test the portal's pages against a no-work Litestar route, then the calendar feeds
(building a 1,000-meeting hub feed, conditional GETs answered 304), then run a booking rush (N signed-in
families book one 30-seat meeting at once), on SQLite and PostgreSQL."""

from __future__ import annotations

import argparse
import math
import os
import platform
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:
    from crash import CrashResult
    from feeds import FeedsResult
    from rush import RushResult

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
VAR_DIR = ROOT / "var" / "bench"
RESULTS = ROOT / "bench" / "results" / "latest.md"
WORKERS = 2
WARMUP_SECONDS = 2
TARGET_RPS = 1000
TARGET_P99_MS = 100
POSTGRES_BENCH_DB = os.environ.get("BENCH_DATABASE", "portal_bench")  # the throw-away database
FILTERED_PAGE = "/?area=genitorialita&age=4&available=1"
TIME_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


class BenchError(Exception):
    """The run cannot go on; the message says why."""


@dataclass
class Measure:
    route: str
    url_path: str
    rps: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int

    @property
    def errors(self) -> int:
        return self.non_2xx + self.socket_errors

    def meets_target(self) -> bool:
        return self.rps >= TARGET_RPS and self.p99_ms < TARGET_P99_MS and self.errors == 0


@dataclass
class EngineResult:
    engine: str
    measures: list[Measure] = field(default_factory=list)
    error: str | None = None
    feeds: FeedsResult | None = None
    feeds_error: str | None = None  # the feed bench could not run
    rushes: list[RushResult] = field(default_factory=list)  # one meeting, then spread over many
    rush_error: str | None = None  # a rush could not run
    crash: CrashResult | None = None
    crash_error: str | None = None  # the crash step could not run


def main() -> None:
    args = parse_args()
    if args.nodes > 1:  # the same pages and rush through a load balancer: bench/nodes.py
        import nodes

        sys.exit(nodes.main(args))
    ensure_wrk()
    if not args.skip_rush:
        ensure_open_files(args.families)
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    load_average = os.getloadavg()[0]
    if load_average > 0.5 * (os.cpu_count() or 1):
        print(f"bench: warning: the machine is busy (load average {load_average:.1f}); figures will be low and noisy")
    print(f"== ceiling: bare Litestar route, {WORKERS} workers")
    ceiling = measure_ceiling(args)
    results = [] if args.skip_sqlite else [run_engine("SQLite", sqlite_url(), args, ceiling)]
    postgres = os.environ.get("DATABASE_URL", "")
    if urlsplit(postgres).scheme in ("postgres", "postgresql") and not args.skip_postgres:
        results.append(run_engine("PostgreSQL", postgres, args, ceiling, throwaway_postgres=True))
    for result in results:
        print()
        print(text_table(result, ceiling))
    write_markdown(results, ceiling, args, load_average)
    print(f"\nwritten to {RESULTS.relative_to(ROOT)}")
    sys.exit(exit_status(results))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=20, help="demo catalogue scale, 1-50 (default 20)")
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per route (default 10)")
    parser.add_argument("--connections", type=int, default=50, help="concurrent connections (default 50)")
    parser.add_argument("--skip-sqlite", action="store_true", help="only PostgreSQL (DATABASE_URL)")
    parser.add_argument("--skip-postgres", action="store_true", help="only SQLite, even if DATABASE_URL is PostgreSQL")
    parser.add_argument("--skip-feeds", action="store_true", help="no calendar feed bench after the page loads")
    parser.add_argument("--skip-rush", action="store_true", help="no booking rush after the page loads")
    parser.add_argument("--skip-pages", action="store_true", help="no page loads (with --skip-feeds: the rushes only)")
    parser.add_argument("--families", type=int, default=1000,
                        help="families in the booking rush, one connection each (default 1000)")
    parser.add_argument("--nodes", type=int, choices=(1, 2), default=1,
                        help="2: two nodes behind HAProxy sharing PostgreSQL and Redis (bench/nodes.py)")
    args = parser.parse_args()
    if not 1 <= args.scale <= 50:
        parser.error("--scale must be between 1 and 50")
    if args.duration < 1 or args.connections < 1 or args.families < 1:
        parser.error("--duration, --connections and --families must be positive")
    return args


def ensure_open_files(families: int) -> None:
    """The rush holds one socket per family here and in the servers (children inherit the limit)."""
    needed = 2 * families + 1024
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        raised = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (raised, hard))
        if raised < needed:
            print(f"bench: warning: at most {raised} open files; {families} families may meet connection errors")


# -- load generator ------------------------------------------------------------------------


def ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    if os.geteuid() != 0:
        sys.exit("bench: the load generator wrk is missing; install it with `sudo apt-get install wrk`")
    print("== installing wrk")
    if run_quietly(["apt-get", "install", "-y", "wrk"]).returncode != 0:
        run_quietly(["apt-get", "update"])
        if run_quietly(["apt-get", "install", "-y", "wrk"]).returncode != 0:
            sys.exit("bench: `apt-get install -y wrk` failed; install wrk and run again")


def wrk(url: str, seconds: int, connections: int) -> str:
    threads = min(2, connections)
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode != 0:
        raise BenchError(f"wrk failed on {url}:\n{done.stdout}{done.stderr}")
    return done.stdout


def load(route: str, base_url: str, path: str, args: argparse.Namespace) -> Measure:
    url = base_url + path
    wrk(url, WARMUP_SECONDS, args.connections)
    output = wrk(url, args.duration, args.connections)
    measure = parse_wrk(route, path, output)
    print(f"   {route:<18} {measure.rps:>9,.0f} req/s  p50 {ms(measure.p50_ms):>9}  p99 {ms(measure.p99_ms):>9}")
    return measure


def parse_wrk(route: str, path: str, output: str) -> Measure:
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    p50 = re.search(r"^\s+50%\s+([\d.]+)(us|ms|s|m|h)\b", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s|m|h)\b", output, re.MULTILINE)
    if not (rps and p50 and p99):
        raise BenchError(f"cannot read the wrk output for {path}:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return Measure(
        route=route,
        url_path=path,
        rps=float(rps.group(1)),
        p50_ms=to_ms(p50),
        p99_ms=to_ms(p99),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(n) for n in sockets.groups()) if sockets else 0,
    )


def to_ms(match: re.Match) -> float:
    return float(match.group(1)) * TIME_UNITS_MS[match.group(2)]


# -- servers ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(command: list[str], env: dict[str, str], log_name: str) -> subprocess.Popen:
    with open(VAR_DIR / log_name, "w") as log:
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop_server(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_ready(process: subprocess.Popen, url: str, log_name: str, timeout: float = 60, workers: int = 0) -> None:
    """Until url answers 200 and every worker has started: one worker answers while the other may still
    be importing, and a rush fired then would measure a start-up, not a registration day."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"the server exited with status {process.returncode}:\n{log_tail(log_name)}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200 and started_workers(log_name) >= workers:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise BenchError(f"{url} did not answer 200 within {timeout:.0f} s:\n{log_tail(log_name)}")


def started_workers(log_name: str) -> int:
    path = VAR_DIR / log_name
    return path.read_text(errors="replace").count("Application startup complete") if path.exists() else 0


def log_tail(log_name: str, lines: int = 30) -> str:
    path = VAR_DIR / log_name
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


def fetch(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.read().decode("utf-8", errors="replace")
    except urllib.error.HTTPError as error:
        raise BenchError(f"GET {url} answered {error.code}") from None
    except (urllib.error.URLError, OSError) as error:
        raise BenchError(f"GET {url} failed: {error}") from None


# -- ceiling -------------------------------------------------------------------------------


def measure_ceiling(args: argparse.Namespace) -> Measure:
    port = free_port()
    command = [
        str(BIN / "uvicorn"), "ceiling:app", "--app-dir", "bench", "--host", "127.0.0.1", "--port", str(port),
        "--workers", str(WORKERS), "--no-access-log", "--log-level", "warning",
    ]
    base_url = f"http://127.0.0.1:{port}"
    process = start_server(command, dict(os.environ), "ceiling.log")
    try:
        wait_ready(process, base_url + "/", "ceiling.log")
        return load("ceiling (no work)", base_url, "/", args)
    except BenchError as error:
        sys.exit(f"bench: the ceiling app failed: {error}")
    finally:
        stop_server(process)


# -- one engine --------------------------------------------------------------------------------


def sqlite_url() -> str:
    database = VAR_DIR / "bench.sqlite3"
    for path in (database, database.with_name(database.name + "-wal"), database.with_name(database.name + "-shm")):
        path.unlink(missing_ok=True)
    return f"sqlite:///{database}"


def run_engine(
    engine: str, database_url: str, args: argparse.Namespace, ceiling: Measure, throwaway_postgres: bool = False
) -> EngineResult:
    print(f"\n== {engine}")
    result = EngineResult(engine)
    try:
        if throwaway_postgres:
            database_url = create_postgres_database(database_url)
        try:
            serve_and_load(result, database_url, args)
        finally:
            if throwaway_postgres:
                drop_postgres_database(database_url)
    except BenchError as error:
        print(f"bench: {engine} run failed: {error}", file=sys.stderr)
        result.error = str(error).splitlines()[0]
    return result


def serve_and_load(result: EngineResult, database_url: str, args: argparse.Namespace) -> None:
    engine = result.engine
    env = portal_env(database_url)
    portal_command(["migrate"], env)
    print(f"   loading the demo catalogue at scale {args.scale}")
    started = time.monotonic()
    summary = portal_command(["demo", "--scale", str(args.scale)], env)
    print(f"   {summary.splitlines()[-1] if summary else 'demo loaded'} ({time.monotonic() - started:.0f} s)")
    if urlsplit(database_url).scheme.startswith("postgres"):  # as after any bulk load: no autovacuum mid-bench
        postgres_tool("vacuumdb", database_url, ["--analyze", "--quiet", urlsplit(database_url).path.strip("/")])
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_name = f"{engine.lower()}.log"
    command = [str(BIN / "portal"), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(WORKERS)]
    process = start_server(command, env, log_name)
    try:
        wait_ready(process, base_url + "/healthz", log_name, workers=WORKERS)
        if not args.skip_pages:
            result.measures = [load(route, base_url, path, args) for route, path in pick_pages(base_url)]
        if not args.skip_feeds:  # before the rush, which changes the data
            calendar_feeds(result, base_url, database_url, args)
        if not args.skip_rush:
            booking_rushes(result, base_url, database_url, env, args.families, process.pid)
            crash_step(result, base_url, database_url, env, args.families, process.pid)
    finally:
        stop_server(process)


def calendar_feeds(result: EngineResult, base_url: str, database_url: str, args: argparse.Namespace) -> None:
    """bench/feeds.py against the running server; a feed bench that cannot run leaves the other figures standing."""
    import feeds as feed_bench

    print(f"   calendar feeds: a hub of {feed_bench.MEETINGS:,} meetings, conditional and plain GETs")
    try:
        outcome = feed_bench.run_feeds(base_url, database_url, duration=args.duration, connections=args.connections)
    except Exception as error:  # noqa: BLE001 - whatever stops the feed bench is its result
        message = f"{type(error).__name__}: {error}" if not isinstance(error, feed_bench.FeedBenchError) else str(error)
        print(f"bench: {result.engine} calendar feeds failed: {message}", file=sys.stderr)
        result.feeds_error = message.splitlines()[0] if message else type(error).__name__
        return
    result.feeds = outcome
    print("\n".join(outcome.text_lines()))


def booking_rushes(result: EngineResult, base_url: str, database_url: str, env: dict[str, str],
                   families: int, server_pid: int) -> None:
    """bench/rush.py against the running server: every family on one meeting, then the same number spread
    over many; a rush that cannot run leaves the other figures standing."""
    import rush

    for meetings in (1, rush.SPREAD_MEETINGS):
        print(f"   booking rush: {families:,} signed-in families, {meetings} meeting(s) of {rush.CAPACITY} seats")
        try:
            outcome = rush.run_rush(result.engine, base_url, database_url, env, families, meetings, server_pid)
        except Exception as error:  # noqa: BLE001 - whatever stops the rush is its result
            message = f"{type(error).__name__}: {error}" if not isinstance(error, rush.RushError) else str(error)
            print(f"bench: {result.engine} booking rush failed: {message}", file=sys.stderr)
            result.rush_error = message.splitlines()[0] if message else type(error).__name__
            return
        result.rushes.append(outcome)
        print(f"   {'booking rush':<18} all answered in {outcome.wall_s:.2f} s  p50 {ms(outcome.p50_ms):>9}  "
              f"p99 {ms(outcome.p99_ms):>9}  lock held {ms(outcome.hold_median_ms)} median, "
              f"{ms(outcome.hold_p99_ms)} p99  {statuses_cell(outcome)}  (setup {outcome.setup_s:.1f} s, "
              f"connect {outcome.connect_s:.2f} s, client CPU {outcome.client_cpu_s:.1f} s, "
              f"load average {outcome.load_average:.1f}{outcome.cpu_text()})")
        for failure in outcome.failures:
            print(f"   rush check failed: {failure}")


def crash_step(result: EngineResult, base_url: str, database_url: str, env: dict[str, str], families: int,
               supervisor: int) -> None:
    """bench/crash.py: one worker killed with SIGKILL in the middle of a rush; nothing told may be lost."""
    import crash
    import rush

    print(f"   crash: {families:,} families on one meeting, a worker killed with SIGKILL mid-rush")
    try:
        outcome = crash.run_crash(base_url, database_url, env, families, supervisor)
    except Exception as error:  # noqa: BLE001 - whatever stops the step is its result
        message = f"{type(error).__name__}: {error}" if not isinstance(error, rush.RushError) else str(error)
        print(f"bench: {result.engine} crash step failed: {message}", file=sys.stderr)
        result.crash_error = message.splitlines()[0] if message else type(error).__name__
        return
    result.crash = outcome
    print(f"   {crash_line(outcome)}")


def crash_line(outcome: CrashResult) -> str:
    retried = ", ".join(f"{n:,} × {kind}" for kind, n in outcome.retry_outcomes.most_common()) or "none"
    statuses = ", ".join(f"{n:,} {status}" for status, n in sorted(outcome.statuses.items()))
    checks = "ok" if outcome.correct else "FAILED: " + "; ".join(outcome.failures)
    return (f"crash: worker {outcome.killed_pid} killed after {outcome.answered_before:,} of {outcome.families:,} "
            f"answers; {outcome.unanswered:,} families asked again: {retried}; bookings {statuses}; "
            f"checks (every answer stored live, counters, one mail per booking): {checks}")


def portal_env(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    timings = VAR_DIR / f"lock-timings-{urlsplit(database_url).scheme}.txt"
    env.update(DATABASE_URL=database_url, PORTAL_VAR_DIR=str(VAR_DIR), PORTAL_LOCK_TIMINGS=str(timings))
    return env


def portal_command(arguments: list[str], env: dict[str, str]) -> str:
    done = subprocess.run([str(BIN / "portal"), *arguments], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BenchError(f"`portal {' '.join(arguments)}` failed:\n{(done.stdout + done.stderr).strip()}")
    return done.stdout.strip()


def pick_pages(base_url: str) -> list[tuple[str, str]]:
    home = fetch(base_url + "/")
    activity = re.search(r'href="(/attivita/[^"?#]+)"', home)
    if not activity:
        raise BenchError("the home page links to no activity: is the demo catalogue empty?")
    pages = [("home", "/"), ("filtered catalogue", FILTERED_PAGE), ("activity", activity.group(1))]
    for _, path in pages[1:]:
        fetch(base_url + path)
    return pages


# -- throw-away PostgreSQL database ---------------------------------------------------------------


def create_postgres_database(url: str) -> str:
    parts = urlsplit(url)
    if parts.path.strip("/") == POSTGRES_BENCH_DB:
        raise BenchError(f"DATABASE_URL names {POSTGRES_BENCH_DB}, the database the bench drops; point it elsewhere")
    postgres_tool("dropdb", url, ["--if-exists", POSTGRES_BENCH_DB])
    postgres_tool("createdb", url, [POSTGRES_BENCH_DB])
    return urlunsplit(parts._replace(path="/" + POSTGRES_BENCH_DB))


def drop_postgres_database(url: str) -> None:
    try:
        postgres_tool("dropdb", url, ["--if-exists", POSTGRES_BENCH_DB])
    except BenchError as error:
        print(f"bench: could not drop {POSTGRES_BENCH_DB}: {error}", file=sys.stderr)


def postgres_tool(tool: str, url: str, arguments: list[str]) -> None:
    if not shutil.which(tool):
        raise BenchError(f"{tool} is missing; install the PostgreSQL client (apt-get install postgresql-client)")
    parts = urlsplit(url)
    command = [tool, "-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432)]
    if parts.username:
        command += ["-U", parts.username]
    env = dict(os.environ)
    if parts.password:
        env["PGPASSWORD"] = parts.password
    done = subprocess.run([*command, *arguments], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BenchError(f"`{' '.join(command + arguments)}` failed: {done.stderr.strip()}")


# -- reports ---------------------------------------------------------------------------------------


def ms(value: float) -> str:
    if math.isnan(value):  # nothing was measured
        return "—"
    if value >= 1000:
        return f"{value / 1000:.2f} s"
    return f"{value:.2f} ms" if value < 10 else f"{value:.1f} ms"


def rows(result: EngineResult, ceiling: Measure) -> list[list[str]]:
    table = [[ceiling.route, "/", f"{ceiling.rps:,.0f}", ms(ceiling.p50_ms), ms(ceiling.p99_ms), "100%",
              str(ceiling.errors), "—"]]
    for measure in result.measures:
        table.append([
            measure.route, measure.url_path, f"{measure.rps:,.0f}", ms(measure.p50_ms), ms(measure.p99_ms),
            f"{measure.rps / ceiling.rps:.1%}", errors_cell(measure), "yes" if measure.meets_target() else "NO",
        ])
    return table


def errors_cell(measure: Measure) -> str:
    if not measure.errors:
        return "0"
    details = [f"{measure.non_2xx} non-2xx/3xx"] if measure.non_2xx else []
    details += [f"{measure.socket_errors} socket"] if measure.socket_errors else []
    return ", ".join(details)


HEADERS = ["route", "path", "req/s", "p50", "p99", "of ceiling", "errors", "target met"]


def text_table(result: EngineResult, ceiling: Measure) -> str:
    title = f"{result.engine}: target ≥{TARGET_RPS:,} req/s and p99 < {TARGET_P99_MS} ms per page"
    if result.error:
        return f"{title}\n  run failed: {result.error}"
    return page_text_table(result, ceiling, title) + feeds_text(result) + rush_text(result)


def page_text_table(result: EngineResult, ceiling: Measure, title: str) -> str:
    return "\n".join([title, *text_grid([HEADERS] + rows(result, ceiling), right={2, 3, 4, 5})])


def text_grid(table: list[list[str]], right: set[int], indent: str = "") -> list[str]:
    """Aligned columns, the first row a header underlined with dashes."""
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    lines = [
        (indent + "  ".join(cell.rjust(width) if i in right else cell.ljust(width)
                            for i, (cell, width) in enumerate(zip(row, widths)))).rstrip()
        for row in table
    ]
    lines.insert(1, indent + "  ".join("-" * width for width in widths))
    return lines


def markdown_table(result: EngineResult, ceiling: Measure) -> str:
    if result.error:
        return f"Run failed: {result.error}"
    return page_markdown_table(result, ceiling) + feeds_markdown(result) + rush_markdown(result)


def page_markdown_table(result: EngineResult, ceiling: Measure) -> str:
    header = "| Route | Path | Requests/s | p50 | p99 | Share of ceiling | Errors | Target met |"
    align = "|---|---|---:|---:|---:|---:|---:|---|"
    body = [
        "| " + " | ".join([row[0], f"`{row[1]}`", *row[2:]]) + " |"
        for row in rows(result, ceiling)
    ]
    return "\n".join([header, align, *body])


# -- the calendar feeds in the reports ---------------------------------------------------------------

FEED_HEADERS = ["load", "path", "req/s", "p50", "p99", "answered 304"]


def feeds_title() -> str:
    import feeds as feed_bench

    return (f"calendar feeds: building a hub feed of {feed_bench.MEETINGS:,} meetings; conditional GETs "
            "(If-None-Match) against plain GETs")


def feeds_text(result: EngineResult) -> str:
    if result.feeds_error:
        return f"\n\n{feeds_title()}\n  feed bench failed: {result.feeds_error}"
    if result.feeds is None:
        return ""
    import feeds as feed_bench

    outcome = result.feeds
    lines = [
        (f"  {'hub feed build:':<17} {outcome.meetings:,} meetings, {outcome.feed_bytes / 1024:,.0f} KB: query "
         f"{ms(outcome.query_ms)} + iCalendar {ms(outcome.build_ms)} in the bench process (median of "
         f"{feed_bench.BUILD_RUNS})"),
        (f"  {'over HTTP:':<17} first GET {ms(outcome.first_http_ms)} (a worker reads and builds), repeated GET "
         f"{ms(outcome.cached_http_ms)} (built feed cached); tutto.ics holds {outcome.catalogue_events:,} events"),
        "",
    ]
    table = [FEED_HEADERS] + [
        [load.route, load.path, f"{load.rps:,.0f}", ms(load.p50_ms), ms(load.p99_ms),
         f"{load.share_304:.1%}" if load.share_304 is not None else "—"]
        for load in outcome.loads
    ]
    lines += text_grid(table, right={2, 3, 4, 5}, indent="  ")
    lines.append(f"  {'checks:':<17} " + ("ok" if outcome.correct else "FAILED: " + "; ".join(outcome.failures)))
    return "\n\n" + "\n".join([feeds_title(), *lines])


def feeds_markdown(result: EngineResult) -> str:
    if result.feeds_error:
        return f"\n\n### Calendar feeds\n\nRun failed: {result.feeds_error}"
    if result.feeds is None:
        return ""
    checks = "\n\nChecks: ok." if result.feeds.correct else ""  # markdown() lists the failed ones
    return "\n\n" + result.feeds.markdown().rstrip("\n") + checks


# -- the booking rush in the reports ---------------------------------------------------------------

RUSH_HEADERS = ["meetings", "families", "all answered in", "bookings/s", "p50", "p99", "max", "lock held (median)",
                "lock held (p99)", "one meeting's lock allows", "answers", "errors", "bookings", "seats taken",
                "checks"]


def rush_title() -> str:
    import rush

    targets = "; ".join(f"{engine}: all answered within {wall:.0f} s" + (f", p99 < {p99 / 1000:.0f} s" if p99 else "")
                        for engine, (wall, p99) in rush.TARGETS.items())
    return f"booking rushes (targets for one {rush.CAPACITY}-seat meeting: {targets})"


def statuses_cell(outcome: RushResult) -> str:
    order = ["confirmed", "waitlisted"] + sorted(set(outcome.statuses) - {"confirmed", "waitlisted"})
    return ", ".join(f"{outcome.statuses.get(status, 0):,} {status}" for status in order)


def rush_row(outcome: RushResult) -> list[str]:
    answers = ", ".join(f"{n:,} × {kind}" for kind, n in outcome.outcomes.most_common())
    return [
        str(outcome.meetings), f"{outcome.families:,}", f"{outcome.wall_s:.2f} s", f"{outcome.per_second:,.0f}",
        ms(outcome.p50_ms), ms(outcome.p99_ms), ms(outcome.max_ms), ms(outcome.hold_median_ms),
        ms(outcome.hold_p99_ms), f"{outcome.lock_ceiling_per_second:,.0f} bookings/s", answers, str(outcome.errors),
        statuses_cell(outcome), f"{outcome.seats_taken} of {outcome.capacity * outcome.meetings}",
        "ok" if not outcome.failures else "FAILED: " + "; ".join(outcome.failures),
    ]


def targets_line(outcome: RushResult) -> str:
    return ", ".join(f"{name}: {'yes' if met else 'NO'}" for name, met in outcome.targets().items())


def rush_text(result: EngineResult) -> str:
    lines = [rush_title()]
    for outcome in result.rushes:
        lines += [f"  {name + ':':<26} {value}" for name, value in zip(RUSH_HEADERS, rush_row(outcome))]
        if outcome.meetings == 1:
            lines.append(f"  {'targets met:':<26} {targets_line(outcome)}")
        lines.append(f"  {'context:':<26} setup {outcome.setup_s:.1f} s, {outcome.connect_s:.2f} s to open the "
                     f"connections, the client used {outcome.client_cpu_s:.1f} s of CPU, load average "
                     f"{outcome.load_average:.1f} just before{outcome.cpu_text()}")
    if result.rush_error:
        lines.append(f"  rush failed: {result.rush_error}")
    if result.crash or result.crash_error:
        lines.append(f"  {crash_line(result.crash) if result.crash else 'crash step failed: ' + result.crash_error}")
    return "" if len(lines) == 1 else "\n\n" + "\n".join(lines)


def rush_markdown(result: EngineResult) -> str:
    if not result.rushes and not result.rush_error and not result.crash and not result.crash_error:
        return ""
    lines = ["", "", "### Booking rushes", "", "| " + " | ".join(h.capitalize() for h in RUSH_HEADERS) + " |",
             "|" + "---|" * len(RUSH_HEADERS)]
    lines += ["| " + " | ".join(rush_row(outcome)) + " |" for outcome in result.rushes]
    for outcome in result.rushes:
        if outcome.meetings == 1:
            lines += ["", f"Targets (one meeting): {targets_line(outcome)}."]
        lines += ["", (f"{outcome.meetings} meeting(s): setup {outcome.setup_s:.1f} s; the {outcome.families:,} "
                       f"connections were opened in {outcome.connect_s:.2f} s before the start; the client used "
                       f"{outcome.client_cpu_s:.1f} s of CPU on the same cores; load average "
                       f"{outcome.load_average:.1f} just before the rush{outcome.cpu_text()}.")]
    if result.rush_error:
        lines += ["", f"Run failed: {result.rush_error}"]
    if result.crash or result.crash_error:
        lines += ["", crash_line(result.crash) + "." if result.crash else f"Crash step failed: {result.crash_error}"]
    return "\n".join(lines)


def write_markdown(
    results: list[EngineResult], ceiling: Measure, args: argparse.Namespace, load_average: float
) -> None:
    lines = [
        "# Benchmark results",
        "",
        f"{datetime.now():%Y-%m-%d %H:%M}, commit {git_commit()}: demo catalogue at scale {args.scale}, "
        f"{WORKERS} uvicorn workers, `wrk` with {min(2, args.connections)} threads and {args.connections} "
        f"connections, {args.duration} s per route after a {WARMUP_SECONDS} s warm-up, on "
        f"{os.cpu_count()} CPUs ({platform.system()} {platform.machine()}, Python {platform.python_version()}), "
        f"load average {load_average:.1f} at the start.",
        "",
        f"Target for each page: at least {TARGET_RPS:,} requests/s with p99 under {TARGET_P99_MS} ms. "
        "The ceiling is a bare Litestar route returning `ok`, served the same way.",
    ]
    if not args.skip_feeds:
        import feeds as feed_bench

        lines += [
            "",
            (f"Calendar feeds: a hub with one activity of {feed_bench.MEETINGS:,} meetings over a year is added to "
             f"the bench database after the page loads; its feed is built {feed_bench.BUILD_RUNS} times in the bench "
             "process (the query and the iCalendar file timed apart, medians), then fetched over HTTP. `wrk` then "
             "sends conditional GETs (`If-None-Match` with the feed's ETag) of the hub's feed and of "
             "`/calendari/tutto.ics`, counting the 304 answers, and plain GETs of the hub's feed for comparison, "
             f"with the same threads, connections and duration (after a {feed_bench.WARMUP_SECONDS} s warm-up). "
             "Every conditional request must be answered 304."),
        ]
    if not args.skip_rush:
        import rush

        lines += [
            "",
            (f"Booking rush: {args.families:,} signed-in families (one adult each) post their booking of one "
             f"{rush.CAPACITY}-seat meeting (with a waiting list) at the same moment, one connection each, "
             f"against the same {WORKERS} workers after the page loads"
             f"{'' if args.skip_feeds else ' and the calendar feeds'}. Latency runs from a request's send to the "
             f"last byte of its answer; the lock's hold time is each booking's, recorded by the servers "
             f"(PORTAL_LOCK_TIMINGS). Then the same number of families over {rush.SPREAD_MEETINGS} meetings "
             f"(the aggregate rate). Targets: {rush_title().split('(targets for one 30-seat meeting: ')[-1][:-1]}; "
             f"exactly {rush.CAPACITY} confirmed and the rest waitlisted."),
        ]
    for result in results:
        lines += ["", f"## {result.engine}", "", markdown_table(result, ceiling)]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines) + "\n")


def git_commit() -> str:
    done = run_quietly(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    return done.stdout.strip() if done.returncode == 0 else "unknown"


def run_quietly(command: list[str]) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(command, capture_output=True, text=True)
    except OSError as error:
        return subprocess.CompletedProcess(command, 127, "", str(error))


def exit_status(results: list[EngineResult]) -> int:
    failed = [r.engine for r in results if r.error or any(m.errors for m in r.measures)]
    failed += [f"{r.engine} calendar feeds" for r in results
               if r.feeds_error or (r.feeds is not None and not r.feeds.correct)]
    failed += [f"{r.engine} booking rush" for r in results
               if r.rush_error or any(not outcome.correct for outcome in r.rushes)]
    failed += [f"{r.engine} crash step" for r in results if r.crash_error or (r.crash and not r.crash.correct)]
    missed = [f"{r.engine} {m.route}" for r in results for m in r.measures if not m.meets_target()]
    missed += [f"{r.engine} booking rush" for r in results for outcome in r.rushes
               if outcome.meetings == 1 and not outcome.meets_target()]
    if missed:
        print("targets missed: " + ", ".join(missed))
    if failed:
        print("runs with failures or error responses: " + ", ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    main()
