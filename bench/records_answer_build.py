"""What building a lookup's answer costs, three ways, for one record of 14 fields: validated
(``RecordPublic``, as the route did), ``model_construct`` (no validation, but Python), and
plain values serialized by pydantic-core (what the route does now, ``api.records_view.record_json``).
CPU µs per answer (the quickest of ``--rounds``); the three JSONs are checked equal first.

    .venv/bin/python -m bench.records_answer_build
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from pydantic import TypeAdapter
from pydantic_core import to_json

from api.schemas_records import FieldPublic, PageRange, RecordLinks, RecordListPublic, RecordPublic, SubjectPublic

DAY = date(2024, 1, 1)


def _field() -> dict[str, Any]:
    return {"value": "2024-03-12", "confidence": 0.87, "page": 1, "span": [10, 20], "source": "extracted",
            "problems": []}


RECORD: dict[str, Any] = {
    "id": "r1", "document_id": "d1", "part_id": "p1", "pages": {"first": 1, "last": 2}, "kind": "result",
    "owner_id": "001085000111", "owner_id_type": "cccd", "owner_name": "BÙI THỊ AN", "doc_type": "building_permit",
    "procedure_code": "1.004227", "doc_number": "12/GPXD", "issuing_body": "UBND", "issue_date": date(2023, 3, 12),
    "valid_from": date(2023, 3, 12), "valid_until": date(2024, 3, 12), "permanent": False, "approved": True,
    "legal_status": "in_force", "replaced_by": None, "review_state": "extracted", "confirmed_at": None,
    "updated_at": datetime(2024, 1, 1, tzinfo=UTC), "valid_on": DAY, "valid": True, "validity_reason": "ok",
    "subjects": [{"role": "subject", "person_id": "001085000111", "id_type": "cccd", "name": "BÙI THỊ AN"}],
    "fields": {f"c{i}": _field() for i in range(14)},
    "links": {"original": "/a", "searchable_pdf": None, "self": "/r"}, "candidates": None}
ANSWER = TypeAdapter(RecordListPublic)


def validated() -> bytes:
    body = RecordListPublic(valid_on=DAY, total=1, records=[RecordPublic.model_validate(RECORD)])
    return ANSWER.dump_json(body)


def constructed() -> bytes:
    record = RecordPublic.model_construct(**{
        **RECORD, "pages": PageRange.model_construct(**RECORD["pages"]),
        "subjects": [SubjectPublic.model_construct(**s) for s in RECORD["subjects"]],
        "fields": {k: FieldPublic.model_construct(**v) for k, v in RECORD["fields"].items()},
        "links": RecordLinks.model_construct(**RECORD["links"])})
    return ANSWER.dump_json(RecordListPublic.model_construct(valid_on=DAY, total=1, records=[record]))


def plain() -> bytes:
    return to_json({"valid_on": DAY, "total": 1, "records": [RECORD]})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--answers", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    assert validated() == constructed() == plain()
    ways: list[Callable[[], bytes]] = [validated, constructed, plain]
    for way in ways:
        rounds = []
        for _ in range(args.rounds):
            start = time.process_time()
            for _ in range(args.answers):
                way()
            rounds.append((time.process_time() - start) / args.answers * 1e6)
        print(f"{way.__name__:12} {min(rounds):6.1f} µs of CPU per one-record answer")


if __name__ == "__main__":
    main()
