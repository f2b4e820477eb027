"""Two independent iCalendar parsers for the feed tests: vobject (Python) and Mozilla's ical.js (Node).

Each returns the calendar's properties and its events as plain dicts with the same keys, so a test
can check that every parser reads the same thing. ical.js comes from the npm registry (`npm ci`);
without Node or the package the tests that need it are skipped, saying how to install it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from datetime import datetime
from pathlib import Path

import vobject
from vobject.icalendar import TimezoneComponent

from tests.external import missing

ROOT = Path(__file__).resolve().parents[2]
ICALJS_SCRIPT = Path(__file__).with_name("icaljs.mjs")


def with_vobject(content: bytes) -> dict:
    calendar = vobject.readOne(content.decode("utf-8"))
    events = []
    for event in calendar.contents.get("vevent", []):
        def value(name: str, default=None, event=event):
            found = event.contents.get(name)
            return found[0].value if found else default

        start = event.dtstart.value
        events.append({
            "uid": value("uid"), "summary": value("summary"), "description": value("description"),
            "location": value("location"), "status": value("status"), "sequence": int(value("sequence", 0)),
            "url": value("url"),
            "categories": [c for line in event.contents.get("categories", []) for c in line.value],
            "geo": [float(part) for part in value("geo").split(";")] if value("geo") else None,
            "start": start, "end": event.dtend.value,
            "start_tzid": TimezoneComponent.pickTzid(start.tzinfo) if isinstance(start, datetime) else None,
            "dtstamp": value("dtstamp"), "last_modified": value("last-modified"),
            "alarms": [{"action": alarm.action.value, "trigger": alarm.trigger.value}
                       for alarm in event.contents.get("valarm", [])],
        })

    def calendar_value(name: str):
        found = calendar.contents.get(name)
        return found[0].value if found else None

    return {
        "name": calendar_value("name"), "x_wr_calname": calendar_value("x-wr-calname"),
        "refresh_interval": calendar_value("refresh-interval"),
        "published_ttl": calendar_value("x-published-ttl"),
        "timezones": [zone.tzid.value for zone in calendar.contents.get("vtimezone", [])],
        "events": events,
    }


def icaljs_available() -> str | None:
    """Why ical.js cannot run here, or None."""
    if shutil.which("node") is None:
        return "Node.js is missing (apt-get install nodejs npm), needed to run ical.js"
    if not (ROOT / "node_modules" / "ical.js" / "package.json").exists():
        return "ical.js is not installed: run `npm ci` in the repository (make install does)"
    return None


def with_icaljs(content: bytes) -> dict:
    reason = icaljs_available()
    if reason:
        missing(reason)
    with tempfile.NamedTemporaryFile(suffix=".ics") as file:
        file.write(content)
        file.flush()
        done = subprocess.run(["node", str(ICALJS_SCRIPT), file.name], cwd=ROOT, capture_output=True, text=True,
                              timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
