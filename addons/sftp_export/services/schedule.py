"""When is the next export? Weekdays and a time of day in a timezone.

Computed with zoneinfo so a schedule at 07:00 Amsterdam time stays at 07:00
local time across the switch to and from summer time.
"""

import datetime
from zoneinfo import ZoneInfo


def next_occurrence(after_utc, weekdays, hour, tz_name):
    """The first moment after after_utc (naive UTC) that falls on one of the
    weekdays (0 = Monday) at hour (float, 7.5 = 07:30) local time in tz_name.

    Returns a naive UTC datetime, or None without weekdays. A local time that
    does not exist (the hour skipped in spring) runs at the same wall-clock
    offset as before the switch, i.e. one hour later; a time that occurs twice
    (autumn) runs at its first occurrence.
    """
    if not weekdays:
        return None
    zone = ZoneInfo(tz_name or "UTC")
    minutes = round(hour * 60)
    at = datetime.time(minutes // 60 % 24, minutes % 60)
    after = after_utc.replace(tzinfo=datetime.UTC)
    local_day = after.astimezone(zone).date()
    for offset in range(8):
        day = local_day + datetime.timedelta(days=offset)
        if day.weekday() not in weekdays:
            continue
        # fold=0: the first of two identical wall times, and for a skipped
        # wall time the offset valid before the switch.
        candidate = datetime.datetime.combine(day, at, tzinfo=zone)
        candidate_utc = candidate.astimezone(datetime.UTC)
        if candidate_utc > after:
            return candidate_utc.replace(tzinfo=None)
    return None
