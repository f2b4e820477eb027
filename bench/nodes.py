"""`make bench BENCH_ARGS="--nodes 2"`: the same pages and booking rush, through HAProxy in front of two
`portal serve` nodes (2 workers each) sharing one PostgreSQL database and one Redis.

Needs DATABASE_URL to name a PostgreSQL server (a throw-away database is made on it, as for the
one-node run), Redis (REDIS_URL, default redis://127.0.0.1:6379/0; the keys go under a prefix of this
run, deleted afterwards) and HAProxy (`apt-get install haproxy`). Every process shares this machine's
cores, so two nodes here measure the cost of the load balancer and of shared state, not a gain in speed.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import sys
import uuid
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import run
from run import BIN, ROOT, VAR_DIR, WORKERS, BenchError, EngineResult

NODES = 2
RESULTS = ROOT / "bench" / "results" / "nodes.md"
HAPROXY_CONFIG = """global
    maxconn 8192
defaults
    mode http
    timeout connect 2s
    timeout client 120s
    timeout server 120s
    timeout check 10s
    retries 3
    option redispatch
    option forwardfor
    option http-keep-alive
frontend portal
    bind 127.0.0.1:{port}
    default_backend nodes
backend nodes
    balance roundrobin
    option httpchk GET /readyz
    http-check expect status 200
    default-server inter 2s fall 3 rise 2
{servers}
"""


def main(args: argparse.Namespace) -> int:
    database_url = os.environ.get("DATABASE_URL", "")
    if urlsplit(database_url).scheme not in ("postgres", "postgresql"):
        sys.exit("bench: --nodes 2 needs DATABASE_URL to name a PostgreSQL server (nodes cannot share SQLite)")
    if not shutil.which("haproxy") and not Path("/usr/sbin/haproxy").exists():
        sys.exit("bench: --nodes 2 needs HAProxy: apt-get install -y haproxy")
    run.ensure_wrk()
    if not args.skip_rush:
        run.ensure_open_files(args.families)
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    load_average = os.getloadavg()[0]
    print(f"== ceiling: bare Litestar route, {WORKERS} workers")
    ceiling = run.measure_ceiling(args)
    result = EngineResult(f"PostgreSQL + Redis, {NODES} nodes behind HAProxy")
    redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    prefix = f"portal-bench-{uuid.uuid4().hex[:8]}:"
    print(f"\n== {result.engine}")
    try:
        url = run.create_postgres_database(database_url)
        try:
            serve_and_load(result, url, redis_url, prefix, args)
        finally:
            run.drop_postgres_database(url)
            forget_keys(redis_url, prefix)
    except BenchError as error:
        print(f"bench: the run failed: {error}", file=sys.stderr)
        result.error = str(error).splitlines()[0]
    print()
    print(run.text_table(result, ceiling))
    write_markdown(result, ceiling, args, load_average)
    print(f"\nwritten to {RESULTS.relative_to(ROOT)}")
    return run.exit_status([result])


def serve_and_load(result: EngineResult, database_url: str, redis_url: str, prefix: str,
                   args: argparse.Namespace) -> None:
    env = run.portal_env(database_url)
    env.update(REDIS_URL=redis_url, REDIS_PREFIX=prefix, SECRET_KEY=secrets.token_urlsafe(48))  # one for all nodes
    run.portal_command(["migrate"], env)
    print(f"   loading the demo catalogue at scale {args.scale}")
    run.portal_command(["demo", "--scale", str(args.scale)], env)
    processes = []
    try:
        ports = []
        for number in range(NODES):
            port = run.free_port()
            node_env = {**env, "PORTAL_VAR_DIR": str(VAR_DIR / f"node{number}"), "PROMETHEUS_MULTIPROC_DIR": ""}
            command = [str(BIN / "portal"), "serve", "--host", "127.0.0.1", "--port", str(port),
                       "--workers", str(WORKERS)]
            processes.append(run.start_server(command, node_env, f"node{number}.log"))
            run.wait_ready(processes[-1], f"http://127.0.0.1:{port}/readyz", f"node{number}.log")
            ports.append(port)
        balancer_port = run.free_port()
        config = VAR_DIR / "haproxy.cfg"
        config.write_text(HAPROXY_CONFIG.format(port=balancer_port, servers="\n".join(
            f"    server node{n} 127.0.0.1:{port} check" for n, port in enumerate(ports))))
        processes.append(run.start_server(["haproxy", "-db", "-f", str(config)], env, "haproxy.log"))
        base_url = f"http://127.0.0.1:{balancer_port}"
        run.wait_ready(processes[-1], base_url + "/readyz", "haproxy.log")
        result.measures = [run.load(route, base_url, path, args) for route, path in run.pick_pages(base_url)]
        if not args.skip_rush:
            sessions_in_redis(redis_url, prefix)
            run.booking_rush(result, base_url, database_url, env, args.families)
    finally:
        for process in reversed(processes):
            run.stop_server(process)


def sessions_in_redis(redis_url: str, prefix: str) -> None:
    """The rush writes each family's session through the app's session store: with Redis, that is Redis's."""
    from portal import shared
    from portal.identity import sessions

    sessions.DatabaseStore = lambda: shared.connect(redis_url, prefix).session_store()


def forget_keys(redis_url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=prefix + "*"))
    if keys:
        client.delete(*keys)
    client.close()


def write_markdown(result: EngineResult, ceiling: run.Measure, args: argparse.Namespace, load_average: float) -> None:
    lines = [
        f"# Benchmark results: {NODES} nodes",
        "",
        f"{datetime.now():%Y-%m-%d %H:%M}, commit {run.git_commit()}: demo catalogue at scale {args.scale}, "
        f"{NODES} nodes of {WORKERS} uvicorn workers behind HAProxy (round robin), PostgreSQL and Redis shared, "
        f"`wrk` with {args.connections} connections for {args.duration} s per route, {os.cpu_count()} CPUs "
        f"shared by every process, load average {load_average:.1f} at the start.",
        "",
        "## " + result.engine,
        "",
        run.markdown_table(result, ceiling),
    ]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines) + "\n")
