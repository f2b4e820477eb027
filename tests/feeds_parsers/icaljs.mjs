// Parse an iCalendar file with Mozilla's ical.js and print what a calendar app would read, as JSON.
// Usage: node tests/feeds_parsers/icaljs.mjs FILE.ics
// Time zones come only from the file's own VTIMEZONE components (ical.js knows none but UTC).
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const text = readFileSync(process.argv[2], "utf8");
const calendar = new ICAL.Component(ICAL.parse(text));

const timezones = calendar.getAllSubcomponents("vtimezone").map((vtimezone) => {
  const zone = new ICAL.Timezone(vtimezone);
  ICAL.TimezoneService.register(zone, zone.tzid);
  return zone.tzid;
});

function pad(n) {
  return String(n).padStart(2, "0");
}

function moment(time) {
  if (!time) return null;
  return {
    local: `${time.year}-${pad(time.month)}-${pad(time.day)}T${pad(time.hour)}:${pad(time.minute)}:${pad(time.second)}`,
    zone: time.zone ? time.zone.tzid : null,
    utc: time.toJSDate().toISOString(),
  };
}

function property(component, name) {
  const found = component.getFirstProperty(name);
  return found ? { value: String(found.getFirstValue()), type: found.type } : null;
}

const events = calendar.getAllSubcomponents("vevent").map((vevent) => {
  const event = new ICAL.Event(vevent);
  const geo = vevent.getFirstPropertyValue("geo");
  return {
    uid: event.uid,
    summary: event.summary,
    description: event.description,
    location: event.location,
    status: vevent.getFirstPropertyValue("status"),
    sequence: event.sequence,
    url: vevent.getFirstPropertyValue("url"),
    categories: vevent.getAllProperties("categories").flatMap((p) => p.getValues().map(String)),
    geo: geo ? geo.map(Number) : null,
    start: moment(event.startDate),
    end: moment(event.endDate),
    dtstamp: moment(vevent.getFirstPropertyValue("dtstamp")),
    lastModified: moment(vevent.getFirstPropertyValue("last-modified")),
    alarms: vevent.getAllSubcomponents("valarm").map((alarm) => ({
      action: alarm.getFirstPropertyValue("action"),
      trigger: String(alarm.getFirstPropertyValue("trigger")),
    })),
  };
});

console.log(JSON.stringify({
  calendar: {
    prodid: calendar.getFirstPropertyValue("prodid"),
    version: calendar.getFirstPropertyValue("version"),
    name: calendar.getFirstPropertyValue("name"),
    xWrCalname: calendar.getFirstPropertyValue("x-wr-calname"),
    refreshInterval: property(calendar, "refresh-interval"),
    publishedTtl: property(calendar, "x-published-ttl"),
    timezones,
  },
  events,
}));
