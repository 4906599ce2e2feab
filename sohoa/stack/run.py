"""``sohoa run``: prepare storage, start Redis, API, workers and reconciler, stop them cleanly."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from sohoa.core.config import Settings
from sohoa.stack.bootstrap import (
    FIRST_ADMIN_USERNAME,
    check_port_free,
    check_tesseract,
    ensure_first_admin_key,
    ensure_first_admin_user,
    prepare_storage,
)
from sohoa.stack.localredis import LocalRedis
from sohoa.stack.supervisor import ChildSpec, Supervisor, sohoa_command

Echo = Callable[[str], None]


def child_specs(settings: Settings, reconcile_interval: float) -> list[ChildSpec]:
    # Tesseract's OMP_THREAD_LIMIT=1 is set where Tesseract is started (workers/ocr/tesseract.py).
    specs = [ChildSpec("api", sohoa_command("serve"))]
    count = settings.worker_count
    specs += [ChildSpec(f"worker-{i}", sohoa_command("worker"), second_term=True, recycles=True)
              for i in range(1, count + 1)]
    specs.append(ChildSpec("reconciler", sohoa_command("reconcile", "--interval",
                                                       str(reconcile_interval))))
    return specs


def run_stack(settings: Settings, *, echo: Echo, grace_seconds: float = 15.0,
              reconcile_interval: float = 30.0, check_ocr: bool = True) -> int:
    """Run until SIGINT/SIGTERM (exit 0) or until a child keeps crashing (exit 1)."""
    check_port_free(settings.host, settings.port)
    if check_ocr:
        check_tesseract(settings.ocr_languages)
    prepare_storage(settings)
    admin_key = ensure_first_admin_key(settings)
    admin_password = ensure_first_admin_user(settings)

    redis = LocalRedis(settings.redis_url, settings.var_dir / "redis")
    supervisor = Supervisor(child_specs(settings, reconcile_interval), log=echo,
                            grace_seconds=grace_seconds)
    supervisor.install_signal_handlers()  # before any child exists: no window for orphans
    redis.start()
    echo(f"Redis {'already running' if redis.reused else 'started'} at {settings.redis_url}")
    shown = False
    try:
        supervisor.start_all()
        base = settings.local_url
        if _wait_for_api(base, supervisor):
            _banner(echo, settings, base, admin_key, admin_password)
            shown = True
        supervisor.run_until_stopped(extra_check=lambda: _redis_died(redis))
    finally:
        if not shown:  # they exist now and will never be shown again
            _print_secrets(echo, admin_key, admin_password)
        echo("stopping: API, reconciler and workers (Ctrl-C again to not wait for running jobs)")
        supervisor.stop_all()
        if not redis.reused:
            echo("stopping Redis (flushing its append-only file)")
            redis.stop()
    if supervisor.failure:
        echo(f"error: {supervisor.failure}")
        return 1
    echo("sohoa stopped")
    return 0


def _redis_died(redis: LocalRedis) -> str | None:
    code = redis.exited()
    if code is None:
        return None
    return f"redis-server exited with code {code}; see {redis.data_dir / 'redis.log'}"


def _wait_for_api(base: str, supervisor: Supervisor, timeout: float = 60.0) -> bool:
    """Any HTTP answer from /healthz means uvicorn is serving (health itself may be degraded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not supervisor.stop_requested:
        try:
            httpx.get(f"{base}/healthz", timeout=1.0)
            return True
        except httpx.HTTPError:
            supervisor.check_children()
            time.sleep(0.2)
    return False


def _banner(echo: Echo, settings: Settings, base: str, admin_key: str | None, admin_password: str | None) -> None:
    lines = [
        "",
        f"sohoa is running: {settings.worker_count} worker(s), data in {settings.var_dir.resolve()}",
        f"  Web:     {base}/",
        f"  API docs: {base}/docs",
        f"  Health:  {base}/healthz",
    ]
    if not admin_password:
        lines += ["  People:   sohoa users create --username lan --name 'Nguyễn Thị Lan' --role clerk"]
    if not admin_key:
        lines += ["  API keys: sohoa keys create --role portal --name 'Portal name'"]
    for line in lines:
        echo(line)
    _print_secrets(echo, admin_key, admin_password)
    for line in ["", "Upload a folder:  sohoa ingest PATH...   (with SOHOA_API_KEY set)",
                 "Ctrl-C stops everything.", ""]:
        echo(line)


def _print_secrets(echo: Echo, admin_key: str | None, admin_password: str | None) -> None:
    if admin_password:
        echo("")
        echo("First admin user, to sign in on the web page. Its password is shown only this once and "
             "must be changed at the first sign-in:")
        echo(f"  username: {FIRST_ADMIN_USERNAME}")
        echo(f"  password: {admin_password}")
    if admin_key:
        echo("")
        echo("First admin API key. It is shown only this once and stored hashed, so keep it now:")
        echo(f"  {admin_key}")
        echo(f"  export SOHOA_API_KEY={admin_key}")
