"""date_time: now in a time zone, weekdays, day counts and date arithmetic, from a short English request."""

import re
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DATE = r"(\d{4}-\d{2}-\d{2})"


def parse(text: str) -> date:
    return date.fromisoformat(text)


def handle(message: str, **_ignored) -> str:
    request = " ".join(message.strip().split())
    lowered = request.lower()
    if lowered == "now" or lowered.startswith("now "):
        zone_name = request[4:].strip() or "UTC"
        try:
            zone = timezone.utc if zone_name.upper() == "UTC" else ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone: {zone_name}") from None
        return datetime.now(zone).isoformat(timespec="seconds")
    if match := re.fullmatch(rf"weekday (?:of )?{DATE}", lowered):
        return parse(match[1]).strftime("%A")
    if match := re.fullmatch(rf"days until {DATE}", lowered):
        return str((parse(match[1]) - datetime.now(timezone.utc).date()).days)
    if match := re.fullmatch(rf"days between {DATE} and {DATE}", lowered):
        return str((parse(match[2]) - parse(match[1])).days)
    if match := re.fullmatch(rf"add (-?\d+) days? to {DATE}", lowered):
        return (parse(match[2]) + timedelta(days=int(match[1]))).isoformat()
    raise ValueError("unrecognised request; try 'now Europe/Paris', 'weekday 2026-12-25', 'days until 2027-01-01', "
                     "'days between 2026-01-01 and 2026-12-25' or 'add 30 days to 2026-11-27'")
