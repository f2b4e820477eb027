"""Configuration: one frozen dataclass, read from the environment once and passed in."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_VAR_DIR = Path("var")


class ConfigError(Exception):
    """A configuration value is wrong; the message is one line for the operator."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str
    base_url: str
    var_dir: Path
    smtp_url: str | None = None
    redis_url: str | None = None
    content_dir: Path | None = None
    city_name: str = "Napoli"
    run_mail_worker: bool = True  # the web process sends mail unless `portal worker` does it
    lock_timings: Path | None = None  # a measurement for the bench: each booking's hold time, appended here

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite:///")

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    var_dir = Path(env.get("PORTAL_VAR_DIR") or DEFAULT_VAR_DIR)
    database_url = env.get("DATABASE_URL") or f"sqlite:///{var_dir / 'portal.sqlite3'}"
    content_dir = env.get("CONTENT_DIR")
    return Settings(
        database_url=_check_database_url(database_url),
        secret_key=_check_secret(env.get("SECRET_KEY")) or _stored_secret(var_dir),
        base_url=_check_base_url(env.get("BASE_URL") or "http://127.0.0.1:8000"),
        var_dir=var_dir,
        smtp_url=_check_url("SMTP_URL", env.get("SMTP_URL"), ("smtp", "smtps")),
        redis_url=_check_url("REDIS_URL", env.get("REDIS_URL"), ("redis", "rediss")),
        content_dir=Path(content_dir) if content_dir else var_dir / "content",
        city_name=env.get("CITY_NAME") or "Napoli",
        run_mail_worker=_check_flag("MAIL_WORKER", env.get("MAIL_WORKER", "1")),
        lock_timings=Path(env["PORTAL_LOCK_TIMINGS"]) if env.get("PORTAL_LOCK_TIMINGS") else None,
    )


def _check_database_url(url: str) -> str:
    if url.startswith("sqlite:///") and len(url) > len("sqlite:///"):
        return url
    parts = urlsplit(url)
    if parts.scheme in ("postgres", "postgresql") and parts.hostname and parts.path.strip("/"):
        return url
    raise ConfigError(
        "DATABASE_URL must be sqlite:///path/to/file or postgresql://user@host:port/dbname, "
        f"not {url!r}"
    )


def _check_secret(key: str | None) -> str | None:
    if key is not None and len(key) < 32:
        raise ConfigError("SECRET_KEY must be at least 32 characters long (or unset, to generate one under var/)")
    return key


def _check_flag(name: str, value: str) -> bool:
    if value not in ("0", "1"):
        raise ConfigError(f"{name} must be 1 (on) or 0 (off), not {value!r}")
    return value == "1"


def _check_base_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"BASE_URL must be an http(s) address such as https://poli.example.it, not {url!r}")
    return url.rstrip("/")


def _check_url(name: str, url: str | None, schemes: tuple[str, ...]) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in schemes or not parts.hostname:
        prefixes = " or ".join(scheme + "://" for scheme in schemes)
        raise ConfigError(f"{name} must start with {prefixes} and name a host, not {url!r}")
    return url


def _stored_secret(var_dir: Path) -> str:
    """Generate the secret key on first run and keep it under var/ (never committed)."""
    path = var_dir / "secret_key"
    try:
        if path.exists():
            key = path.read_text().strip()
            if len(key) < 32:
                raise ConfigError(f"{path} holds a secret key shorter than 32 characters; delete it for a new one")
            return key
        var_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key + "\n")
        path.chmod(0o600)
        return key
    except OSError as error:
        raise ConfigError(f"cannot read or create the secret key in {var_dir}: {error.strerror}") from None
