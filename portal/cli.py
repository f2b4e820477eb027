"""The `portal` command: serve, migrate, demo."""

from __future__ import annotations

import argparse
import asyncio
import sys
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import AsyncIterator

from portal.settings import ConfigError, Settings, load_settings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="portal", description="Poli per le Famiglie booking portal")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the portal over HTTP")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)

    commands.add_parser("migrate", help="apply the database migrations")
    staff = commands.add_parser("create-staff", help="create a staff account (the first administrator)")
    staff.add_argument("--email", required=True)
    staff.add_argument("--name", required=True)
    staff.add_argument("--role", choices=("admin", "coordinator", "operator"), default="admin")
    staff.add_argument("--hub", action="append", default=[], help="a hub's slug (coordinators, operators)")

    backup = commands.add_parser("backup", help="copy the database to a file while the portal runs")
    backup.add_argument("path", type=Path)
    restore = commands.add_parser("restore", help="restore a backup into a new, empty database")
    restore.add_argument("path", type=Path)

    retention = commands.add_parser("retention", help="apply the retention policy now (the worker does it daily)")
    retention.add_argument("--dry-run", action="store_true", help="only say what would be removed")

    commands.add_parser("worker", help="send mail and queue reminders (then set MAIL_WORKER=0 for the web)")

    demo = commands.add_parser("demo", help="load the demo catalogue")
    demo.add_argument("--if-empty", action="store_true", help="do nothing when the database holds data")
    demo.add_argument("--scale", type=int, default=1, help="generate a catalogue N times larger (1-50)")

    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        if args.command == "serve":
            serve_http(settings, args.host, args.port, args.workers)
        elif args.command == "migrate":
            asyncio.run(migrate(settings))
        elif args.command == "create-staff":
            asyncio.run(create_staff(settings, args.email, args.name, args.role, args.hub))
        elif args.command == "backup":
            run_backup(settings, args.path)
        elif args.command == "restore":
            asyncio.run(run_restore(settings, args.path))
        elif args.command == "retention":
            asyncio.run(run_retention(settings, args.dry_run))
        elif args.command == "worker":
            asyncio.run(run_mail_worker(settings))
        elif args.command == "demo":
            if not 1 <= args.scale <= 50:
                raise ConfigError("--scale must be between 1 and 50")
            asyncio.run(load_demo(settings, args.scale, args.if_empty))
    except ConfigError as error:
        print(f"portal: configuration error: {error}", file=sys.stderr)
        sys.exit(2)
    except OSError as error:
        print(f"portal: cannot reach the database: {error}", file=sys.stderr)
        sys.exit(1)


def serve_http(settings: Settings, host: str, port: int, workers: int) -> None:
    import os

    import uvicorn

    from portal import observability
    from portal.observability import logs

    # Before any worker starts (and before prometheus_client is imported): each worker writes its
    # figures there, and /metrics adds them up.
    observability.prepare_multiprocess(os.environ.get(observability.MULTIPROCESS_ENV) or settings.var_dir / "metrics")
    uvicorn.run(
        "portal.app:create_app", factory=True, host=host, port=port, workers=workers,
        proxy_headers=True, access_log=False, log_config=logs.logging_config(settings.log_format),
    )


@asynccontextmanager
async def connected(settings: Settings) -> AsyncIterator[None]:
    """The database (and Redis, when configured) for a command: a command that changes the catalogue
    must publish the new revision where the web processes read it."""
    from portal import db, shared

    engine = db.engine_from_url(settings.database_url)
    db.bind(engine)
    shared.connect(settings.redis_url, settings.redis_prefix)
    await db.open_engine(engine)
    try:
        yield
    finally:
        await shared.disconnect()
        await db.close_engine(engine)


def run_backup(settings: Settings, path: Path) -> None:
    from portal.maintenance import backup

    try:
        backup.backup(settings.database_url, path)
    except backup.BackupError as error:
        print(f"portal: backup failed: {error}", file=sys.stderr)
        sys.exit(1)
    print(f"portal: backup written to {path}")


async def run_restore(settings: Settings, path: Path) -> None:
    from portal import shared
    from portal.maintenance import backup

    try:
        backup.restore(settings.database_url, path)
    except backup.BackupError as error:
        print(f"portal: restore failed: {error}", file=sys.stderr)
        sys.exit(1)
    if (redis := shared.connect(settings.redis_url, settings.redis_prefix)) is not None:
        await redis.forget_revision()  # the restored counter may be lower than the one announced
        await shared.disconnect()
    print(f"portal: {path} restored; run `portal migrate` if this version is newer than the backup")


async def run_retention(settings: Settings, dry_run: bool) -> None:
    from portal.links import Links
    from portal.maintenance import retention

    async with connected(settings):
        outcome = await retention.apply(retention.Policy.from_settings(settings), datetime.now(timezone.utc),
                                        Links(settings.base_url, settings.secret_key), dry_run=dry_run)
    verb = "would remove" if dry_run else "removed"
    for name, count in outcome.items():
        print(f"portal: retention {verb} {count} {name}")


async def migrate(settings: Settings) -> None:
    from portal.db import migrate as run_migrations

    await run_migrations(settings.database_url)


async def create_staff(settings: Settings, email: str, name: str, role: str, hub_slugs: list[str]) -> None:
    """Asks for the password twice on the terminal (or reads STAFF_PASSWORD): never on the command line."""
    import getpass
    import os
    from datetime import datetime, timezone

    from portal.identity import staff_access
    from portal.tables import Hub, StaffUser

    password = os.environ.get("STAFF_PASSWORD") or getpass.getpass("Password: ")
    if not os.environ.get("STAFF_PASSWORD") and getpass.getpass("Password again: ") != password:
        raise ConfigError("the two passwords differ")
    if problem := staff_access.check_new_password(password):
        raise ConfigError(f"password: {problem}")
    async with connected(settings):
        if await StaffUser.exists().where(StaffUser.email == email.strip().lower()):
            raise ConfigError(f"a staff account with the e-mail {email} exists already")
        hubs = await Hub.select(Hub.id, Hub.slug).where(Hub.slug.is_in(hub_slugs)) if hub_slugs else []
        if len(hubs) != len(set(hub_slugs)):
            raise ConfigError(f"unknown hub among {', '.join(hub_slugs)}")
        await staff_access.create_staff(email, name, role, password, datetime.now(timezone.utc),
                                        tuple(hub["id"] for hub in hubs))
        print(f"portal: {role} {email} created")


async def create_demo_admin() -> None:
    """A demo administrator with a random password, printed once, so the staff area can be tried."""
    import secrets
    from datetime import datetime, timezone

    from portal.identity import staff_access
    from portal.tables import StaffUser

    if await StaffUser.exists():
        return
    email, password = "admin@poli-famiglie.example.it", secrets.token_urlsafe(12)
    await staff_access.create_staff(email, "Amministratore demo", "admin", password, datetime.now(timezone.utc))
    print(f"portal: demo staff sign-in at /staff/accedi: {email} / {password} (shown only now)")


async def load_demo_households(settings: Settings) -> None:
    from portal.households import demo as households
    from portal.links import Links

    loaded = await households.load(datetime.now(timezone.utc), Links(settings.base_url, settings.secret_key))
    print(f"portal: demo households loaded: {loaded} (their files at /staff/famiglie)")


async def run_mail_worker(settings: Settings) -> None:
    import logging.config
    import signal

    from portal.maintenance import worker as background
    from portal.observability import logs

    logging.config.dictConfig(logs.logging_config(settings.log_format))
    stop = asyncio.Event()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(signal_number, stop.set)
    async with connected(settings):
        await background.run(settings, stop)


async def load_demo(settings: Settings, scale: int, if_empty: bool) -> None:
    from portal.demo import loader as demo

    async with connected(settings):
        if not await demo.is_empty():
            print("portal: the database already holds a catalogue; demo not loaded")
            if not if_empty:
                sys.exit(1)
            return
        summary = await demo.load_demo(datetime.now(timezone.utc), scale=scale)
        print(f"portal: demo loaded: {summary}")
        await create_demo_admin()
        await load_demo_households(settings)
