"""What the staff web app asks of the server, through the real app on SQLite and PostgreSQL:
a batch opened once per client key, the codes an office already used, search sorted by issue
date with a result line's display fields, the screens' shell (strict CSP, a role sent home
from a screen that is not its own, the boot data inert inside the page)."""

from __future__ import annotations

import json
import re
from datetime import date

from search import IndexedDocument, IndexedPage
from sohoa.core.db import session_scope
from sohoa.domain.keys import create_key
from tests import filegen


def test_opening_a_batch_twice_with_one_client_key_opens_it_once(api, keys, people):
    clerk = keys.auth("clerk")
    first = api.post("/api/v1/batches/open", json={"client_key": "trinh-duyet-01", "procedure_code": "1.004227"},
                     headers=clerk)
    again = api.post("/api/v1/batches/open", json={"client_key": "trinh-duyet-01"}, headers=clerk)
    assert (first.status_code, first.json()["created"]) == (201, True)
    assert (again.status_code, again.json()) == (200, {"batch_id": first.json()["batch_id"], "created": False})
    other = api.post("/api/v1/batches/open", json={"client_key": "trinh-duyet-01"}, headers=people.auth("clerk"))
    assert other.status_code == 201 and other.json()["batch_id"] != first.json()["batch_id"]  # the key is per caller
    bad = api.post("/api/v1/batches/open", json={"client_key": "<x>"}, headers=clerk)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "validation_error"
    batch = api.get(f"/api/v1/batches/{first.json()['batch_id']}", headers=clerk).json()
    assert (batch["total"], batch["procedure_code"]) == (0, "1.004227")


def test_the_codes_an_office_used_most_recent_first_within_its_scope(api, keys, session_factory):
    with session_scope(session_factory) as session:
        clerk_a = create_key(session, role="clerk", name="a", agency="UBND-A")[1]
    for agency, procedure, name in (("UBND-A", "1.001", "a"), ("UBND-B", "2.002", "b"), ("UBND-A", "1.003", "c")):
        response = api.post("/api/v1/batches", files=[("files", (f"{name}.png", filegen.png(name)))],
                            data={"agency_code": agency, "procedure_code": procedure}, headers=keys.auth("admin"))
        assert response.status_code == 202, response.text
    everything = api.get("/api/v1/batches/codes", headers=keys.auth("admin")).json()
    assert [c["value"] for c in everything["procedure_codes"]] == ["1.003", "2.002", "1.001"]
    assert {c["value"]: c["batches"] for c in everything["agency_codes"]} == {"UBND-A": 2, "UBND-B": 1}
    mine = api.get("/api/v1/batches/codes", headers={"Authorization": f"Bearer {clerk_a}"}).json()
    assert [c["value"] for c in mine["procedure_codes"]] == ["1.003", "1.001"]  # not another agency's
    assert [c["value"] for c in mine["agency_codes"]] == ["UBND-A"]


def test_search_sorted_by_issue_date_and_the_result_line_fields(api, keys, services):
    services.search.index_documents([
        IndexedDocument(f"d-{year}", [IndexedPage(1, f"Giấy phép của Đỗ Thị Lan năm {year}")],
                        issue_date=date(year, 1, 1) if year else None)
        for year in (2019, 2024, 0, 2021)])
    officer = keys.auth("officer")
    body = api.get("/api/v1/search", params={"q": "do thi lan", "sort": "issue_date"}, headers=officer).json()
    assert [h["document_id"] for h in body["hits"]] == ["d-2024", "d-2021", "d-2019", "d-0"]
    assert body["next_search_after"] is None and all(h["search_after"] is None for h in body["hits"])
    assert body["hits"][0]["thumbnail"] == "/api/v1/documents/d-2024/pages/1/image?size=thumb"
    assert body["hits"][0]["owner_name"] is None  # no record read from it yet
    cursor = api.get("/api/v1/search", params={"q": "do thi lan", "size": 1}, headers=officer).json()
    refused = api.get("/api/v1/search", params={"q": "do thi lan", "sort": "issue_date",
                                                "search_after": cursor["next_search_after"]}, headers=officer)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "invalid_query"
    wrong = api.get("/api/v1/search", params={"q": "lan", "sort": "size"}, headers=officer)
    assert wrong.status_code == 422


def test_the_screens_shell_strict_csp_and_a_role_sent_home(api, people):
    shell = api.get("/tra-cuu")
    assert shell.status_code == 200 and shell.headers["cache-control"] == "no-cache"
    csp = shell.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert re.search(r'<script type="module" src="/web/[0-9a-f]{16}/js/app\.js"', shell.text)
    boot = re.search(r'<script type="application/json" id="boot">(.*?)</script>', shell.text, re.S)
    assert boot and "<" not in boot.group(1)  # nothing in the data can close the block
    assert json.loads(boot.group(1))["screens"]["/tai-len"] == ["clerk"]
    sent = api.get("/tra-cuu", headers=people.auth("clerk"), follow_redirects=False)
    assert (sent.status_code, sent.headers["location"]) == (303, "/")
    assert api.get("/tai-len", headers=people.auth("clerk")).status_code == 200
    assert api.get("/quan-tri", headers=people.auth("officer"), follow_redirects=False).status_code == 303
    assert api.get("/quan-tri", headers=people.auth("admin")).status_code == 200
