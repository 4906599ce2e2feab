"""What resumable uploads cost and save.

    .venv/bin/python -m bench.upload_resumable [--mb 50] [--rounds 5] [--line-mb 4] [--line-rate 50000]

1. Loopback: one ``--mb`` MB scan (an uncompressed TIFF) uploaded through the multipart
   route (``POST /api/v1/batches``, httpx streaming the file, as ``sohoa ingest`` did before)
   and through the resumable route with ``sohoa ingest``'s own tus client (SHA-256 of the
   file, chunks sized to the line, a SHA-256 per chunk), alternating which goes first, a few
   rounds; every upload has distinct bytes so none is a duplicate. Ratio of median times.
2. A bad line: ``--line-rate`` bytes/s (50000 = 400 kbit/s) through a TCP proxy that drops
   the connection twice (at a third and two thirds of the file), a ``--line-mb`` MB file
   sent by ``sohoa ingest``'s client, which resumes by itself. Bytes carried up the line in
   all (headers, the bytes of interrupted chunks, the HEADs after each drop) / file size.

The API runs as ``sohoa serve`` in its own process on a fresh ``var/`` (SQLite, no Redis:
enqueueing fails fast and identically for both paths; the reconciler would catch up).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from PIL import Image

from sohoa.cli.resumable_client import send_files
from sohoa.cli.upload_state import UploadState
from sohoa.core.config import Settings
from sohoa.core.db import make_engine, make_session_factory, migrate, session_scope
from sohoa.domain.keys import create_key
from tests.lineproxy import LineProxy
from tests.ports import free_port


def make_scan(path: Path, megabytes: float) -> None:
    """An uncompressed grey TIFF of about ``megabytes`` (a real file for the type checks)."""
    side = int((megabytes * 1e6) ** 0.5)
    noise = Image.effect_noise((side, side), 64).convert("L")
    noise.save(path, "TIFF")


def vary(path: Path, round_no: int, variant: int) -> None:
    """Distinct bytes for every upload (no duplicate shortcut), the TIFF still valid."""
    with path.open("r+b") as fh:
        fh.seek(path.stat().st_size // 2)
        fh.write(f"{round_no:08d}{variant:04d}{time.time_ns()}".encode())


class Api:
    def __init__(self, workdir: Path) -> None:
        var = workdir / "var"
        self.settings = Settings(_env_file=None, var_dir=var, redis_url=f"redis://127.0.0.1:{free_port()}/0")
        migrate(self.settings.database_url)
        engine = make_engine(self.settings.database_url)
        with session_scope(make_session_factory(engine)) as session:
            self.key = create_key(session, role="clerk", name="bench")[1]
        engine.dispose()
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SOHOA_")}
        env.update(SOHOA_VAR_DIR=str(var), SOHOA_REDIS_URL=self.settings.redis_url, SOHOA_PORT=str(self.port))
        self.proc = subprocess.Popen([sys.executable, "-m", "sohoa", "serve"], cwd=workdir, env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{self.port}"
        for _ in range(300):
            try:
                httpx.get(f"{self.url}/healthz", timeout=1)
                return
            except httpx.TransportError:
                time.sleep(0.1)
        raise SystemExit("sohoa serve did not start")

    def client(self, url: str | None = None) -> httpx.Client:
        return httpx.Client(base_url=url or self.url, headers={"Authorization": f"Bearer {self.key}"}, timeout=600)

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def multipart(api: Api, path: Path) -> float:
    began = time.perf_counter()
    with api.client() as client, path.open("rb") as fh:
        response = client.post("/api/v1/batches", files=[("files", (path.name, fh, "image/tiff"))])
    assert response.status_code == 202 and response.json()["documents"][0]["id"], response.text
    return time.perf_counter() - began


def resumable(api: Api, path: Path, state: Path, url: str | None = None) -> float:
    state.unlink(missing_ok=True)
    began = time.perf_counter()
    with api.client(url) as client:
        batch_id, documents = send_files(client, [(path, path.name)], {}, UploadState(state), say=lambda _l: None)
    assert batch_id and documents[0]["id"], documents
    return time.perf_counter() - began


def loopback(api: Api, workdir: Path, megabytes: float, rounds: int) -> None:
    scan = workdir / "scan.tif"
    make_scan(scan, megabytes)
    size = scan.stat().st_size
    times: dict[str, list[float]] = {"multipart": [], "resumable": []}
    for round_no in range(rounds):
        order = ["multipart", "resumable"] if round_no % 2 == 0 else ["resumable", "multipart"]
        for variant, name in enumerate(order):
            vary(scan, round_no, variant)
            took = multipart(api, scan) if name == "multipart" else resumable(api, scan, workdir / "state.json")
            times[name].append(took)
        print(f"  round {round_no + 1}: " + ", ".join(f"{n} {times[n][-1]:.2f} s" for n in order), flush=True)
    medians = {name: statistics.median(values) for name, values in times.items()}
    print(f"loopback, {size / 1e6:.1f} MB, {rounds} rounds: multipart {medians['multipart']:.2f} s "
          f"({size / 1e6 / medians['multipart']:.0f} MB/s), resumable {medians['resumable']:.2f} s "
          f"({size / 1e6 / medians['resumable']:.0f} MB/s); resumable / multipart = "
          f"{medians['resumable'] / medians['multipart']:.2f}")


def bad_line(api: Api, workdir: Path, megabytes: float, rate: float) -> None:
    scan = workdir / "line.tif"
    make_scan(scan, megabytes)
    vary(scan, 999, 0)
    size = scan.stat().st_size
    cuts = [size // 3, 2 * size // 3]
    with LineProxy(api.port, rate=rate, cut_at=list(cuts)) as line:
        took = resumable(api, scan, workdir / "line-state.json", url=line.url)
        carried, cut = line.up_bytes, line.cuts
    print(f"line {rate * 8 / 1000:.0f} kbit/s, {cut} drops (at {cuts[0] / 1e6:.2f} and {cuts[1] / 1e6:.2f} MB of "
          f"bytes sent), {size / 1e6:.2f} MB file: {took:.0f} s, {carried} bytes up in all; "
          f"sent / file size = {carried / size:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=float, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--line-mb", type=float, default=4)
    parser.add_argument("--line-rate", type=float, default=50_000, help="bytes/s (50000 = 400 kbit/s)")
    parser.add_argument("--skip-line", action="store_true")
    parser.add_argument("--skip-loopback", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sohoa-bench-upload-") as tmp:
        workdir = Path(tmp)
        api = Api(workdir)
        try:
            if not args.skip_loopback:
                loopback(api, workdir, args.mb, args.rounds)
            if not args.skip_line:
                bad_line(api, workdir, args.line_mb, args.line_rate)
        finally:
            api.close()


if __name__ == "__main__":
    main()
