"""Configuration: one frozen dataclass, read from the environment once and passed in."""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_VAR_DIR = Path("var")
SIGN_IN_METHODS = ("spid", "cie")
TWO_FACTOR_POLICIES = ("admins", "all", "off")  # who among staff must use a second factor


class ConfigError(Exception):
    """A configuration value is wrong; the message is one line for the operator."""


@dataclass(frozen=True)
class OidcSettings:
    """The Comune's OpenID Connect identity gateway (SPID and CIE), for families' sign-in."""

    issuer: str
    client_id: str
    client_secret: str | None = None  # client_secret_basic
    private_key: str | None = None  # private_key_jwt: the PEM or JWK read from OIDC_PRIVATE_KEY_FILE
    scopes: str = "openid profile email"
    subject_claim: str = "sub"  # or the fiscal number's claim, which SPID and CIE share
    given_name_claim: str = "given_name"
    family_name_claim: str = "family_name"
    email_claim: str = "email"
    methods: tuple[str, ...] = SIGN_IN_METHODS
    extra_parameters: tuple[tuple[str, str], ...] = ()  # (method, query string) sent with that button

    def parameters_for(self, method: str) -> str:
        return dict(self.extra_parameters).get(method, "")


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str
    base_url: str
    var_dir: Path
    smtp_url: str | None = None
    redis_url: str | None = None
    redis_prefix: str = "portal:"  # every key the portal writes in Redis starts with it
    content_dir: Path | None = None
    city_name: str = "Napoli"
    run_mail_worker: bool = True  # the web process sends mail unless `portal worker` does it
    oidc: OidcSettings | None = None  # off unless configured
    email_sign_in: bool = True
    staff_two_factor: str = "admins"
    metrics_allow: tuple[str, ...] = ("127.0.0.1", "::1")  # addresses (or networks) that may read /metrics
    metrics_token: str | None = None  # or a bearer token
    log_format: str = "text"  # text | json
    retention_bookings_months: int = 24  # past bookings and attendance, then anonymous counts
    retention_requests_months: int = 24  # closed access requests and their confidential notes
    retention_inactive_months: int = 24  # families nobody signed in for: warned, then erased
    retention_audit_years: int = 5
    sign_in_per_client_hour: int = 300  # sign-in codes one client address may ask for in an hour
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
        redis_prefix=env.get("REDIS_PREFIX") or "portal:",
        content_dir=Path(content_dir) if content_dir else var_dir / "content",
        city_name=env.get("CITY_NAME") or "Napoli",
        run_mail_worker=_check_flag("MAIL_WORKER", env.get("MAIL_WORKER", "1")),
        oidc=_oidc_settings(env),
        email_sign_in=_check_flag("EMAIL_SIGN_IN", env.get("EMAIL_SIGN_IN", "1")),
        staff_two_factor=_check_choice("STAFF_TWO_FACTOR", env.get("STAFF_TWO_FACTOR", "admins"),
                                       TWO_FACTOR_POLICIES),
        metrics_allow=_check_networks("METRICS_ALLOW", env.get("METRICS_ALLOW") or "127.0.0.1,::1"),
        metrics_token=_check_token("METRICS_TOKEN", env.get("METRICS_TOKEN")),
        log_format=_check_choice("LOG_FORMAT", env.get("LOG_FORMAT") or "text", ("text", "json")),
        retention_bookings_months=_check_count(env, "RETENTION_BOOKINGS_MONTHS", 24),
        retention_requests_months=_check_count(env, "RETENTION_REQUESTS_MONTHS", 24),
        retention_inactive_months=_check_count(env, "RETENTION_INACTIVE_MONTHS", 24),
        retention_audit_years=_check_count(env, "RETENTION_AUDIT_YEARS", 5),
        sign_in_per_client_hour=_check_count(env, "SIGN_IN_PER_CLIENT_HOUR", 300),
        lock_timings=Path(env["PORTAL_LOCK_TIMINGS"]) if env.get("PORTAL_LOCK_TIMINGS") else None,
    )


def _oidc_settings(env: Mapping[str, str]) -> OidcSettings | None:
    issuer = env.get("OIDC_ISSUER")
    if not issuer:
        return None
    if urlsplit(issuer).scheme not in ("http", "https") or not env.get("OIDC_CLIENT_ID"):
        raise ConfigError("OIDC_ISSUER must be an http(s) address, and OIDC_CLIENT_ID must be set with it")
    secret, key_file = env.get("OIDC_CLIENT_SECRET"), env.get("OIDC_PRIVATE_KEY_FILE")
    if bool(secret) == bool(key_file):
        raise ConfigError("set one of OIDC_CLIENT_SECRET (client_secret_basic) or OIDC_PRIVATE_KEY_FILE"
                          " (private_key_jwt)")
    try:
        private_key = Path(key_file).read_text() if key_file else None
    except OSError as error:
        raise ConfigError(f"cannot read OIDC_PRIVATE_KEY_FILE: {error.strerror}") from None
    methods = tuple(m.strip() for m in env.get("OIDC_METHODS", "spid,cie").split(",") if m.strip())
    if not methods or any(m not in SIGN_IN_METHODS for m in methods):
        raise ConfigError("OIDC_METHODS must list spid, cie or both, separated by commas")
    scopes = env.get("OIDC_SCOPES") or "openid profile email"
    if "openid" not in scopes.split():
        raise ConfigError("OIDC_SCOPES must include openid")
    claim_names = ("subject_claim", "given_name_claim", "family_name_claim", "email_claim")
    claims = {name: env[f"OIDC_{name.upper()}"] for name in claim_names if env.get(f"OIDC_{name.upper()}")}
    return OidcSettings(
        issuer=issuer.rstrip("/"), client_id=env["OIDC_CLIENT_ID"], client_secret=secret or None,
        private_key=private_key, scopes=scopes, methods=methods,
        extra_parameters=tuple((m, env[f"OIDC_{m.upper()}_PARAMETERS"]) for m in methods
                               if env.get(f"OIDC_{m.upper()}_PARAMETERS")),
        **claims,
    )


def _check_count(env: dict[str, str], name: str, default: int) -> int:
    value = env.get(name) or str(default)
    if not (value.isascii() and value.isdigit() and 1 <= int(value) <= 1200):
        raise ConfigError(f"{name} must be a whole number from 1 to 1200, not {value!r}")
    return int(value)


def _check_networks(name: str, value: str) -> tuple[str, ...]:
    networks = tuple(part.strip() for part in value.split(",") if part.strip())
    for network in networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise ConfigError(f"{name} must list addresses or networks such as 10.0.0.0/8, not {network!r}") from None
    return networks


def _check_token(name: str, value: str | None) -> str | None:
    if value is not None and len(value) < 16:
        raise ConfigError(f"{name} must be at least 16 characters long (or unset)")
    return value or None


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


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
