"""Logging: plain lines for a developer, or one JSON object per line (LOG_FORMAT=json) for a log
collector, each carrying the id of the request it belongs to.

Personal data stay out of the JSON log: requests are logged by route template (never the path, which
may hold a sign-in link's token or a feed token), and a record that carries personal data (the text of
a mail logged without SMTP, so a demo can read its sign-in code) says so with `public_message`, which
the JSON formatter writes in its place.
"""

from __future__ import annotations

import json
import logging
import uuid
from contextvars import ContextVar
from datetime import datetime, timezone
from typing import Any

request_id: ContextVar[str | None] = ContextVar("portal_request_id", default=None)

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "public_message"}


def new_request_id(offered: str | None) -> str:
    """The id a proxy sent (X-Request-ID), when it looks like one; else a new one."""
    if offered and len(offered) <= 64 and offered.replace("-", "").replace("_", "").isalnum():
        return offered
    return uuid.uuid4().hex


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        public = getattr(record, "public_message", None)
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": public if public is not None else record.getMessage(),
        }
        if (current := request_id.get()) is not None:
            entry["request_id"] = current
        for name, value in vars(record).items():
            if name not in _STANDARD and not name.startswith("_"):
                entry[name] = value if isinstance(value, (int, float, bool, str, type(None))) else str(value)
        if record.exc_info and public is None:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_info:
            entry["exception"] = record.exc_info[0].__name__ if record.exc_info[0] else "exception"
        return json.dumps(entry, ensure_ascii=False)


def logging_config(log_format: str) -> dict:
    """A logging.config.dictConfig for the portal and uvicorn (uvicorn applies it in every worker)."""
    formatter = ({"()": "portal.observability.logs.JsonFormatter"} if log_format == "json"
                 else {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"})
    handler = {"class": "logging.StreamHandler", "formatter": "portal", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"portal": formatter},
        "handlers": {"portal": handler},
        "loggers": {
            "portal": {"level": "INFO", "handlers": ["portal"], "propagate": False},
            # one line per request: useful to a collector, noise on a developer's terminal
            "portal.access": {"level": "INFO" if log_format == "json" else "WARNING"},
            "uvicorn": {"level": "INFO", "handlers": ["portal"], "propagate": False},
            "uvicorn.access": {"level": "WARNING", "handlers": ["portal"], "propagate": False},
        },
        "root": {"level": "WARNING", "handlers": ["portal"]},
    }
