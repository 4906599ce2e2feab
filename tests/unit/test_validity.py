"""Validity on a day: boundaries, permanence, unknown ends, legal status, Vietnam's calendar day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest

from sohoa.core.clock import today_vn
from sohoa.core.vocab import ValidityReason
from sohoa.domain.extract import add_months
from sohoa.domain.validity import check_validity, is_valid_on

DATED = {"issued": "2023-07-26", "valid_until": "2024-01-26", "validity": "dated"}


@pytest.mark.parametrize(
    ("day", "valid", "reason"),
    [
        (date(2023, 7, 25), False, ValidityReason.NOT_YET_VALID),
        (date(2023, 7, 26), True, ValidityReason.VALID),  # the issue day itself
        (date(2024, 1, 26), True, ValidityReason.VALID),  # last valid day included
        (date(2024, 1, 27), False, ValidityReason.PAST_END),  # the day after
    ],
)
def test_dated_record_boundaries(day: date, valid: bool, reason: str) -> None:
    verdict = check_validity(DATED, day)
    assert (verdict.valid, verdict.reason) == (valid, reason)
    assert is_valid_on(DATED, day) is valid


def test_valid_from_overrides_issue_date() -> None:
    rec = dict(DATED, valid_from="2023-08-01")
    assert not is_valid_on(rec, date(2023, 7, 31)) and is_valid_on(rec, date(2023, 8, 1))


def test_permanent_is_valid_forever_but_unknown_is_not_confirmable() -> None:
    permanent = {"issued": date(2020, 1, 1), "validity": "permanent"}
    assert is_valid_on(permanent, date(2090, 12, 31))
    unknown = {"issued": date(2020, 1, 1), "validity": "unknown"}
    assert check_validity(unknown, date(2020, 1, 2)).reason == ValidityReason.UNKNOWN_END
    assert not is_valid_on({"issued": date(2020, 1, 1)}, date(2020, 1, 2))
    assert check_validity({"validity": "permanent"}, date(2020, 1, 2)).reason == ValidityReason.UNKNOWN_START


@pytest.mark.parametrize("status", ["revoked", "replaced", "cancelled", "expired"])
def test_records_not_in_force_are_never_valid(status: str) -> None:
    rec = {"issued": "2020-01-01", "permanent": True, "legal_status": status}
    assert check_validity(rec, date(2021, 1, 1)).reason == ValidityReason.NOT_IN_FORCE


def test_unapproved_result_is_not_valid() -> None:
    assert check_validity({"issued": "2020-01-01", "permanent": True, "approved": False}, date(2021, 1, 1)).reason \
        == ValidityReason.NOT_APPROVED


def test_record_objects_work_like_mappings() -> None:
    @dataclass
    class Rec:
        valid_from: date
        valid_until: date | None
        permanent: bool
        legal_status: str = "in_force"

    assert is_valid_on(Rec(date(2024, 1, 31), date(2024, 2, 29), False), date(2024, 2, 29))
    assert not is_valid_on(Rec(date(2024, 1, 31), date(2024, 2, 29), False), date(2024, 3, 1))
    assert is_valid_on(Rec(date(2024, 1, 31), None, True), date(2030, 3, 1))


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [(date(2024, 1, 31), 1, date(2024, 2, 29)), (date(2023, 1, 31), 1, date(2023, 2, 28)),
     (date(2023, 8, 31), 6, date(2024, 2, 29)), (date(2024, 2, 29), 12, date(2025, 2, 28)),
     (date(2023, 12, 15), 1, date(2024, 1, 15)), (date(2023, 3, 31), 1, date(2023, 4, 30))],
)
def test_month_arithmetic(start: date, months: int, end: date) -> None:
    assert add_months(start, months) == end


def test_today_is_the_calendar_day_in_vietnam() -> None:
    # 17:30 UTC on 31 Dec is already 1 Jan in Vietnam (UTC+7)
    assert today_vn(datetime(2023, 12, 31, 17, 30, tzinfo=UTC)) == date(2024, 1, 1)
    assert today_vn(datetime(2023, 12, 31, 16, 59, tzinfo=UTC)) == date(2023, 12, 31)
    with pytest.raises(ValueError):
        today_vn(datetime(2023, 12, 31, 16, 59))


def test_datetimes_in_records_are_read_as_vietnamese_days() -> None:
    rec = {"valid_from": datetime(2023, 12, 31, 18, 0, tzinfo=UTC), "permanent": True}
    assert not is_valid_on(rec, date(2023, 12, 31)) and is_valid_on(rec, date(2024, 1, 1))
