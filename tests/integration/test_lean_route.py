"""The lookup on ``LeanRoute`` answers as the same endpoint on a plain FastAPI route: every
request of a table (well-formed, malformed, repeated and unknown parameters, purposes,
keys and sessions) sent to both, the same status, headers and body; the spec unchanged."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute

from api.lean_route import LeanRoute
from api.routes import records
from api.schemas_records import RecordListPublic
from tests.records_support import PERMIT_ID, uploaded_permit

PURPOSE = "000.00.14.H56-230415-0012"
PLAIN = "/api/v1/records-plain"  # the same endpoint, solved by FastAPI
LONG = "1" * 41

Q = list[tuple[str, str]]
# (who, query, extra headers): who is a role's key, "revoked", "unknown", "basic", "none" or "cookie"
CASES: list[tuple[str, Q, dict[str, str]]] = [
    ("portal", [("owner_id", PERMIT_ID), ("valid_on", "2024-01-01")], {"X-Purpose": PURPOSE}),
    ("portal", [("owner_id", PERMIT_ID)], {"X-Purpose": PURPOSE}),  # today: the permit has expired
    ("portal", [("owner_id", " 0012.0300.0456 ")], {"X-Purpose": PURPOSE}),
    ("portal", [], {"X-Purpose": PURPOSE}),
    ("portal", [("owner_id", "")], {"X-Purpose": PURPOSE}),
    ("portal", [("owner_id", "12345")], {"X-Purpose": PURPOSE}),
    ("portal", [("owner_id", LONG)], {"X-Purpose": PURPOSE}),
    ("portal", [("owner_id", PERMIT_ID), ("include_invalid", "true")], {"X-Purpose": PURPOSE}),
    ("portal", [("owner_id", PERMIT_ID), ("include_invalid", "false")], {"X-Purpose": PURPOSE}),
    ("portal", [("owner_id", PERMIT_ID), ("document_id", "x")], {"X-Purpose": PURPOSE}),
    ("portal", [("owner_id", PERMIT_ID), ("purpose", PURPOSE)], {}),
    ("portal", [("owner_id", PERMIT_ID), ("purpose", "nope"), ("purpose", PURPOSE)], {}),
    ("portal", [("owner_id", PERMIT_ID), ("purpose", PURPOSE), ("purpose", "nope")], {}),
    ("portal", [("owner_id", PERMIT_ID), ("purpose", "nope")], {"X-Purpose": PURPOSE}),
    ("portal", [("owner_id", PERMIT_ID), ("purpose", PURPOSE)], {"X-Purpose": "nope"}),
    ("portal", [("owner_id", PERMIT_ID), ("purpose", "  ")], {}),
    ("portal", [("owner_id", PERMIT_ID)], {}),
    ("portal", [("owner_id", PERMIT_ID), ("limit", "0")], {}),  # the purpose is checked first
    ("portal", [("owner_id", "123"), ("owner_id", PERMIT_ID)], {"X-Purpose": PURPOSE}),
    ("portal", [("owner_id", PERMIT_ID), ("owner_id", "123")], {"X-Purpose": PURPOSE}),
    ("portal", [("owner_id", PERMIT_ID), ("foo", "bar"), ("request", "x"), ("caller", "y")], {"X-Purpose": PURPOSE}),
    ("officer", [("owner_id", PERMIT_ID), ("include_invalid", "1"), ("limit", "5")], {}),
    ("officer", [], {}),
    ("officer", [("doc_type", "building_permit"), ("procedure_code", "1.004227")], {}),
    ("officer", [("doc_type", "x" * 65), ("procedure_code", "y" * 65), ("document_id", "z" * 65)], {}),
    ("officer", [("doc_type", "x" * 64)], {}),
    ("officer", [("valid_on", "2024-13-01")], {}),
    ("officer", [("valid_on", "0")], {}),
    ("officer", [("valid_on", "20240101")], {}),
    ("officer", [("valid_on", "yesterday")], {}),
    ("officer", [("valid_on", "")], {}),
    ("officer", [("valid_on", "2024-03-12T10:00:00")], {}),
    ("officer", [("limit", "0")], {}),
    ("officer", [("limit", "201")], {}),
    ("officer", [("limit", "x")], {}),
    ("officer", [("limit", "")], {}),
    ("officer", [("limit", "1.5")], {}),
    ("officer", [("limit", "200"), ("limit", "0")], {}),
    ("officer", [("limit", "0"), ("valid_on", "x"), ("include_invalid", "maybe"), ("owner_id", LONG)], {}),
    *[("officer", [("owner_id", PERMIT_ID), ("include_invalid", v)], {})
      for v in ("true", "1", "yes", "on", "false", "0", "no", "off", "maybe", "", "TRUE")],
    ("officer", [("owner_id", PERMIT_ID), ("purpose", "nope")], {}),
    ("officer", [("owner_id", PERMIT_ID)], {"X-Purpose": PURPOSE}),
    ("admin", [("owner_id", PERMIT_ID), ("document_id", "nothing")], {}),
    ("clerk", [("owner_id", PERMIT_ID)], {"X-Purpose": PURPOSE}),
    ("clerk", [("owner_id", PERMIT_ID), ("purpose", "nope")], {}),
    ("revoked", [("owner_id", PERMIT_ID), ("limit", "0")], {"X-Purpose": PURPOSE}),
    ("unknown", [("owner_id", PERMIT_ID)], {"X-Purpose": PURPOSE}),
    ("basic", [("owner_id", PERMIT_ID)], {"X-Purpose": PURPOSE}),
    ("none", [("owner_id", PERMIT_ID)], {"X-Purpose": PURPOSE}),
    ("cookie", [("owner_id", PERMIT_ID), ("include_invalid", "on")], {}),
]


@pytest.fixture
def both(api, keys, session_factory, people) -> tuple[Any, dict[str, dict[str, str]]]:
    """The app with the plain route beside the lean one, a permit, and each caller's headers."""
    uploaded_permit(api, keys, session_factory)
    api.app.router.add_api_route(PLAIN, records.list_records, methods=["GET"], response_model=RecordListPublic,
                                 summary="Records valid on a day, by owner ID", tags=["records"])
    revoked = api.post("/api/v1/keys", json={"role": "portal", "name": "revoked"}, headers=keys.auth("admin")).json()
    assert api.delete(f"/api/v1/keys/{revoked['key']['id']}", headers=keys.auth("admin")).status_code == 200
    callers = {role: keys.auth(role) for role in ("admin", "clerk", "officer", "portal")}
    callers.update(revoked={"Authorization": f"Bearer {revoked['secret']}"},
                   unknown={"Authorization": "Bearer sohoa_not_a_key"},
                   basic={"Authorization": "Basic dXNlcjpwdw=="}, none={}, cookie=people.auth("officer", csrf=False))
    return api, callers


def test_only_the_lookup_is_lean():
    kinds = {r.path: type(r) for r in records.router.routes if isinstance(r, APIRoute)}
    assert kinds["/api/v1/records"] is LeanRoute
    assert kinds["/api/v1/records/{record_id}"] is APIRoute


@pytest.mark.parametrize(("who", "query", "headers"), CASES)
def test_the_lean_route_answers_as_fastapi_would(both, who, query, headers):
    api, callers = both
    sent = {**callers[who], **headers}
    lean, plain = (api.get(path, params=query, headers=sent) for path in ("/api/v1/records", PLAIN))
    assert lean.status_code == plain.status_code
    assert lean.content == plain.content
    assert _headers(lean) == _headers(plain)


def test_the_spec_describes_both_alike(both):
    api, _ = both
    api.app.openapi_schema = None  # built again, with the plain route
    paths = api.app.openapi()["paths"]
    lean, plain = ({k: v for k, v in paths[path]["get"].items() if k != "operationId"}
                   for path in ("/api/v1/records", PLAIN))
    assert lean == plain
    assert [p["name"] for p in lean["parameters"]] == [
        "owner_id", "doc_type", "procedure_code", "valid_on", "include_invalid", "document_id", "limit",
        "purpose", "X-Purpose"]


def test_a_head_request_and_a_wrong_method(both):
    api, callers = both
    sent = {**callers["portal"], "X-Purpose": PURPOSE}
    for method in ("HEAD", "POST", "DELETE"):
        lean, plain = (api.request(method, path, params={"owner_id": PERMIT_ID}, headers=sent)
                       for path in ("/api/v1/records", PLAIN))
        assert lean.status_code == plain.status_code, method
        assert lean.content == plain.content, method


def test_some_answers_of_the_table(both):
    """The table compares the two routes; these say what both answer, so that two equally
    wrong routes would fail too."""
    api, callers = both
    portal = {**callers["portal"], "X-Purpose": PURPOSE}
    found = api.get("/api/v1/records", params={"owner_id": PERMIT_ID, "valid_on": "2024-01-01"}, headers=portal)
    assert found.status_code == 200 and found.json()["total"] == 1
    bad = api.get("/api/v1/records", params=[("limit", "0"), ("valid_on", "x")], headers=callers["officer"])
    assert bad.status_code == 422
    assert [(p["loc"], p["type"]) for p in bad.json()["error"]["detail"]] == [
        (["query", "valid_on"], "date_from_datetime_parsing"), (["query", "limit"], "greater_than_equal")]
    assert api.get("/api/v1/records", params={"owner_id": PERMIT_ID, "limit": "0"},
                   headers=callers["revoked"]).json()["error"]["code"] == "revoked_api_key"
    assert api.get("/api/v1/records", params={"owner_id": PERMIT_ID},
                   headers=callers["portal"]).json()["error"]["code"] == "purpose_required"


def _headers(response: Any) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k != "date"}
