"""The tus headers we give meaning to, and what ``sohoa ingest`` remembers between runs."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path

import pytest

from ingest.tus_protocol import parse_checksum, parse_metadata, read_upload_meta
from sohoa.cli.resumable_client import encode_metadata
from sohoa.cli.upload_state import LocalFile, UploadState, run_key
from sohoa.core.errors import BadRequest


def test_metadata_written_by_the_client_reads_back_on_the_server() -> None:
    header = encode_metadata({"filename": "Giấy khai sinh, bản sao.pdf", "agency_code": "UBND-X", "note": ""})
    assert parse_metadata(header) == {"filename": "Giấy khai sinh, bản sao.pdf", "agency_code": "UBND-X"}
    meta = read_upload_meta(header + ",filetype " + base64.b64encode(b"application/pdf").decode())
    assert meta.filename == "Giấy khai sinh, bản sao.pdf" and meta.batch_id is None
    assert meta.batch.agency_code == "UBND-X" and meta.raw.startswith("filename ")


def test_a_key_without_a_value_is_empty_and_a_filename_is_still_required() -> None:
    assert parse_metadata("filename ZS5wbmc=, is_confidential") == {"filename": "e.png", "is_confidential": ""}
    with pytest.raises(BadRequest) as missing:
        read_upload_meta("filetype aW1hZ2UvcG5n")
    assert missing.value.code == "invalid_metadata" and missing.value.detail == {"field": "filename"}


def test_a_filename_is_a_display_name_only() -> None:
    meta = read_upload_meta(encode_metadata({"filename": "../../etc/pass\u202ewd"}))
    assert meta.filename == "passwd"


def test_a_nul_in_a_filename_is_refused() -> None:
    """Issue 14, finding 11: PostgreSQL cannot store it; 400 ``nul_character``, not a 500."""
    with pytest.raises(BadRequest) as refused:
        read_upload_meta(encode_metadata({"filename": "pass\x00wd"}))
    assert (refused.value.code, refused.value.status) == ("nul_character", 400)


def test_checksums_name_a_supported_algorithm_and_a_digest_of_its_size() -> None:
    digest = hashlib.sha1(b"abc").digest()
    checksum = parse_checksum("sha1 " + base64.b64encode(digest).decode())
    assert checksum is not None and checksum.digest == digest and checksum.hasher().name == "sha1"
    assert parse_checksum(None) is None
    sha1_as_sha256 = "sha256 " + base64.b64encode(digest).decode()
    for header, code in [("md5 AAAA", "unsupported_checksum_algorithm"), (sha1_as_sha256, "invalid_checksum"),
                         ("sha1 ###", "invalid_checksum")]:
        with pytest.raises(BadRequest) as error:
            parse_checksum(header)
        assert error.value.code == code


def test_a_file_is_known_by_content_and_place_and_a_run_by_its_files(tmp_path: Path) -> None:
    path = tmp_path / "a.png"
    path.write_bytes(b"one")
    first = LocalFile.of(path, "a.png", "http://api")
    assert first.sha256 == hashlib.sha256(b"one").hexdigest()
    assert LocalFile.of(path, "a.png", "http://other").key != first.key
    run = run_key("http://api", [(path, "a.png")], {"agency_code": "X"})
    assert run == run_key("http://api", [(path, "a.png")], {"agency_code": "X"})
    assert run != run_key("http://api", [(path, "a.png")], {"agency_code": "Y"})
    path.write_bytes(b"two")
    os.utime(path, ns=(1, 1))
    assert LocalFile.of(path, "a.png", "http://api").key != first.key
    assert run_key("http://api", [(path, "a.png")], {"agency_code": "X"}) != run


def test_the_state_file_survives_a_reload_and_forgets_old_entries(tmp_path: Path) -> None:
    state_path = tmp_path / "state" / "uploads.json"
    state = UploadState(state_path)
    state.set_file("k", url="http://api/api/v1/uploads/1", target=None, done=False)
    state.set_run_batch("r", "b" * 32)
    again = UploadState(state_path)
    assert again.file("k") == state.file("k")
    assert again.run_batch("r") == "b" * 32
    again.data["files"]["k"]["at"] = 0
    again.save()
    assert UploadState(state_path).file("k") is None
    state_path.write_text("{broken")
    assert UploadState(state_path).file("k") is None  # unreadable: start afresh


def test_the_state_file_takes_changes_in_a_journal_and_folds_it_in_at_the_next_load(tmp_path: Path) -> None:
    state_path = tmp_path / "uploads.json"
    state = UploadState(state_path)
    state.set_file("a", url="http://api/api/v1/uploads/1", target=None, done=False)
    state.set_file("b", url="http://api/api/v1/uploads/2", target=None, done=False)
    state.set_file("a", done=True, batch_id="b" * 32, document={"id": "d"})
    state.drop_file("b")
    assert not state_path.exists()  # nothing rewritten whole: each change is one appended line
    journal = state_path.with_name("uploads.json.journal")
    assert len(journal.read_text().splitlines()) == 4
    with journal.open("a") as out:
        out.write('{"section": "files", "key": "c", "ent')  # a run killed mid-line
    again = UploadState(state_path)
    assert again.file("a") == state.file("a") == {**(state.file("a") or {}), "done": True}
    assert again.file("b") is None and again.file("c") is None
    assert not journal.exists()  # folded into the file
    assert json.loads(state_path.read_text())["files"].keys() == {"a"}
    mtime = state_path.stat().st_mtime_ns
    UploadState(state_path)  # nothing changed since: the file is not rewritten
    assert state_path.stat().st_mtime_ns == mtime
