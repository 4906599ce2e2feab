"""``sohoa serve`` with ``SOHOA_API_PROCESSES``: several API processes share the port."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from sqlalchemy import select

from sohoa.core.models import AuditEvent
from tests.integration.upload_support import ServerProcess, descendants, running


def test_several_api_processes_answer_lookups_on_one_port(settings, keys, session_factory, tmp_path) -> None:
    server = ServerProcess(settings, tmp_path)
    server.env["SOHOA_API_PROCESSES"] = "2"
    server.start()
    try:
        assert server.proc is not None
        serving = [p for p in descendants(server.proc.pid)
                   if b"sohoa" in Path(f"/proc/{p}/cmdline").read_bytes()
                   or b"multiprocessing" in Path(f"/proc/{p}/cmdline").read_bytes()]
        assert len(serving) >= 2, serving
        headers = {"Authorization": f"Bearer {keys.portal}", "X-Purpose": "000.00.14.H56-230415-0012"}

        def lookup(i: int) -> int:
            return httpx.get(f"{server.url}/api/v1/records", params={"owner_id": f"0010900{i:05d}"},
                             headers=headers, timeout=30).status_code

        with ThreadPoolExecutor(8) as pool:
            assert set(pool.map(lookup, range(40))) == {200}
        with session_factory() as session:  # each process's writer committed its requests' events
            events = session.scalars(select(AuditEvent.owner_id).where(AuditEvent.action == "record.lookup")).all()
        assert sorted(events) == [f"0010900{i:05d}" for i in range(40)]
    finally:  # SIGTERM: the main process stops its workers (SIGKILL would orphan them)
        assert server.proc is not None
        server.proc.terminate()
        server.proc.wait(timeout=30)
    deadline = time.monotonic() + 10
    while (left := [p for p in serving if running(p)]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not left, "API processes left behind"


def test_api_processes_die_with_a_killed_main_process(settings, tmp_path) -> None:
    server = ServerProcess(settings, tmp_path)
    server.env["SOHOA_API_PROCESSES"] = "2"
    server.start()
    assert server.proc is not None
    serving = descendants(server.proc.pid)
    assert serving
    server.kill()  # SIGKILL: no chance to stop its workers
    deadline = time.monotonic() + 10
    while (left := [p for p in serving if running(p)]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not left, "API processes outlived their killed main process (they would keep the port)"
