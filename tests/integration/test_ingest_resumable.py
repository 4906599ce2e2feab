"""``sohoa ingest`` over a line that drops: it resumes by itself, and a run that gave up is
continued by the same command (same batch, finished files skipped, the cut file resumed)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from sohoa.cli import main, resumable_client
from sohoa.cli.upload_state import UploadState
from sohoa.core.models import Batch, BatchItem, Document
from tests import filegen
from tests.integration.upload_support import LiveServer
from tests.lineproxy import LineProxy

BIG = filegen.tiff(pages=20, compression=None)  # 770 KB: a first chunk of 256 KB, then the rest


@pytest.fixture
def live(settings) -> Iterator[LiveServer]:
    with LiveServer(settings) as server:
        yield server


@pytest.fixture
def scans(tmp_path: Path) -> Path:
    folder = tmp_path / "scans"
    folder.mkdir()
    (folder / "a.png").write_bytes(filegen.png("a"))
    (folder / "big.tif").write_bytes(BIG)
    return folder


def ingest(url: str, key: str, state: Path, *args: str):
    env = {"SOHOA_API_KEY": key}
    return CliRunner().invoke(main, ["ingest", "--api-url", url, "--state-file", str(state), "--no-wait", *args],
                              env=env, catch_exceptions=False)


def totals(session_factory) -> tuple[int, int, int]:
    with session_factory() as session:
        return tuple(session.scalar(select(func.count()).select_from(model)) for model in (Batch, Document, BatchItem))


def test_ingest_resumes_by_itself_after_the_line_drops_mid_chunk(live, keys, scans, tmp_path, session_factory):
    cut = len(filegen.png("a")) + 256 * 1024 + 150_000  # inside big.tif's second chunk
    with LineProxy(live.port, cut_at=[cut]) as line:
        done = ingest(line.url, keys.clerk, tmp_path / "state.json", str(scans), "--agency-code", "UBND-X")
    assert done.exit_code == 0, done.output
    assert line.cuts == 1
    assert "connection lost while sending big.tif" in done.output and "retrying in 0.5 s" in done.output
    assert "2 accepted, 0 rejected" in done.output
    assert totals(session_factory) == (1, 2, 2)
    assert line.up_bytes < len(BIG) * 1.5  # resumed, not sent again from the start
    with session_factory() as session:
        assert {d.agency_code for d in session.scalars(select(Document))} == {"UBND-X"}


def test_the_same_command_continues_a_run_that_gave_up(live, keys, scans, tmp_path, session_factory,
                                                       monkeypatch):
    monkeypatch.setattr(resumable_client, "STALL_SECONDS", 1.0)
    state = tmp_path / "state.json"
    cut = len(filegen.png("a")) + 256 * 1024 + 150_000
    with LineProxy(live.port, cut_at=[cut]) as line:
        line.refuse_after_cut = True  # the line stays down: the run gives up
        first = ingest(line.url, keys.clerk, state, str(scans))
        assert first.exit_code == 3, first.output
        assert "Run the same command again" in first.output and "holds the first 1 of 2 files" in first.output
        assert totals(session_factory) == (1, 1, 1)
        remembered = UploadState(state).data["files"]  # the file with its journal folded in
        assert sorted(bool(entry.get("done")) for entry in remembered.values()) == [False, True]

        line.refusing = False  # the line is back
        second = ingest(line.url, keys.clerk, state, str(scans))
    assert second.exit_code == 0, second.output
    assert "a.png: already sent in this batch" in second.output
    assert re.search(r"resuming big.tif at 0\.[1-7] MB of 0\.8 MB", second.output), second.output
    assert totals(session_factory) == (1, 2, 2)  # one batch, each file once


def test_a_file_over_the_limit_is_rejected_alone_and_the_rest_goes_up(live, keys, scans, tmp_path, settings,
                                                                     session_factory):
    settings.max_file_bytes = 100_000  # big.tif is over it, a.png is not
    result = ingest(live.url, keys.clerk, tmp_path / "state.json", str(scans))
    assert result.exit_code == 1, result.output
    assert "1 accepted, 1 rejected" in result.output
    assert "rejected big.tif" in result.output and "file_too_large" in result.output
    assert totals(session_factory) == (1, 1, 1)
