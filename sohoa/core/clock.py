"""Time: instants are aware UTC; calendar days are Vietnam's (Asia/Ho_Chi_Minh).

The one definition of the Vietnam time zone. Vietnam has been UTC+7 without daylight
saving since 1975, so a fixed offset stands in where the tz database is missing, and
OpenSearch range queries can use the offset string.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sohoa.core.errors import BadRequest

VN_UTC_OFFSET = "+07:00"


def _vn_tz() -> tzinfo:
    try:
        return ZoneInfo("Asia/Ho_Chi_Minh")
    except ZoneInfoNotFoundError:
        return timezone(timedelta(hours=7), "ICT")


VN_TZ = _vn_tz()


def utcnow() -> datetime:
    return datetime.now(UTC)


def today_vn(now: datetime | None = None) -> date:
    """The calendar day in Vietnam at ``now`` (default: the current instant)."""
    now = now or utcnow()
    if now.tzinfo is None:
        raise ValueError("naive datetime: pass an aware one (UTC or with its zone)")
    return now.astimezone(VN_TZ).date()


def vn_day(moment: datetime) -> date:
    """The calendar day in Vietnam of an instant (naive values are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(VN_TZ).date()


def as_utc(value: datetime, *, naive: tzinfo = UTC, field: str = "date") -> datetime:
    """``value`` as an aware UTC instant (a naive one is taken in ``naive``); 400
    ``date_out_of_range`` when that instant lies outside what a ``datetime`` holds (year 1's
    first hours east of UTC, 9999-12-31's last ones west of it): checked where a request
    brings it, instead of an ``OverflowError`` when the database binds it."""
    zoned = value if value.tzinfo is not None else value.replace(tzinfo=naive)
    try:
        return zoned.astimezone(UTC)
    except OverflowError as exc:
        raise BadRequest(f"{field} is outside the years 1-9999 in UTC", code="date_out_of_range",
                         detail={"field": field, "value": value.isoformat()}) from exc


def vn_day_start(day: date) -> datetime | None:
    """The UTC instant at which Vietnam's calendar day ``day`` begins; None for 0001-01-01,
    whose start lies before the first instant a ``datetime`` holds (every stored instant is
    after it, so as a lower bound it bounds nothing)."""
    try:
        return datetime.combine(day, time(0), VN_TZ).astimezone(UTC)
    except OverflowError:
        return None


def vn_day_end(day: date) -> datetime | None:
    """The UTC instant at which Vietnam's calendar day ``day`` ends (the next day's start);
    None for 9999-12-31, which has no next day (as an upper bound it bounds nothing)."""
    return None if day == date.max else vn_day_start(day + timedelta(days=1))
