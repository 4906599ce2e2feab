"""Time: instants are aware UTC; calendar days are Vietnam's (Asia/Ho_Chi_Minh).

The one definition of the Vietnam time zone. Vietnam has been UTC+7 without daylight
saving since 1975, so a fixed offset stands in where the tz database is missing, and
OpenSearch range queries can use the offset string.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
