"""The ``sohoa`` command: run the embedded stack, its parts one by one, keys, users and uploads.

The top of the import layers: nothing imports this package. Each command imports what it
runs when it runs (not to dodge a cycle: there is none up here), so ``sohoa ingest`` and
``sohoa keys`` start without loading the web stack, the workers or the search clients, and
a broken optional part only breaks the command that needs it. Commands that talk to the
stack build one ``Services`` for their run (``open_services``).
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from typing import Any

import click

from sohoa.cli.common import CliError, echo_line, load_settings, open_services
from sohoa.cli.ingest import ingest
from sohoa.cli.keys import keys
from sohoa.cli.users import users
from sohoa.core.errors import ConfigError, SohoaError


class SohoaGroup(click.Group):
    """Turns domain errors into one-line messages and exit codes instead of tracebacks."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            raise CliError(exc.message, exit_code=2) from exc
        except SohoaError as exc:
            raise CliError(exc.message) from exc


@click.group(cls=SohoaGroup, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """sohoa: OCR and search for scanned administrative records.

    Settings come from SOHOA_* environment variables and an optional .env file
    (see README.md).
    """


@main.command()
@click.option("--grace", default=15.0, show_default=True, type=click.FloatRange(min=0),
              help="Seconds workers get to finish their current job on Ctrl-C.")
@click.option("--reconcile-interval", default=30.0, show_default=True, type=click.FloatRange(min=1))
def run(grace: float, reconcile_interval: float) -> None:
    """Everything on this machine: Redis, API, one worker per core, reconciler."""
    from sohoa.stack.run import run_stack

    settings = load_settings()
    code = run_stack(settings, echo=echo_line, grace_seconds=grace,
                     reconcile_interval=reconcile_interval)
    sys.exit(code)


@main.command()
def serve() -> None:
    """The HTTP API only (SOHOA_HOST:SOHOA_PORT), in SOHOA_API_PROCESSES processes."""
    import uvicorn

    settings = load_settings()
    processes = settings.api_process_count
    # Behind a reverse proxy, its X-Forwarded-For/-Proto give the client's address (the
    # per-address sign-in lock counts it) and https (the cookie's Secure flag), but only
    # from the proxies named in SOHOA_TRUSTED_PROXIES: anyone else could forge them.
    proxies = settings.trusted_proxies.strip()
    # An import string: with several processes, each builds its own app (and Services).
    uvicorn.run("sohoa.cli.serve:app", factory=True, workers=processes if processes > 1 else None,
                host=settings.host, port=settings.port, log_level="info",
                proxy_headers=bool(proxies), forwarded_allow_ips=proxies or None)


@main.command()
@click.option("--burst", is_flag=True, help="Exit when the queue is empty.")
def worker(burst: bool) -> None:
    """One RQ worker process (OCR, extraction, indexing)."""
    from workers.jobs.runner import run_worker

    with open_services(load_settings()) as services:
        run_worker(services, burst=burst)


@main.command()
@click.option("--once", is_flag=True, help="One pass, print what was done as JSON, exit.")
@click.option("--interval", default=30.0, show_default=True, type=click.FloatRange(min=0.1))
def reconcile(once: bool, interval: float) -> None:
    """Re-enqueue documents whose worker died and retry pending index updates."""
    from workers.jobs.reconciler import reconcile_once, run_reconciler

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    with open_services(load_settings()) as services:
        if once:
            click.echo(json.dumps(reconcile_once(services), default=str))
            return
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        run_reconciler(services, interval, stop)


@main.command("archive-gc")
@click.option("--older-than-hours", default=24.0, show_default=True, type=click.FloatRange(min=1),
              help="Only files at least this old (an upload being registered is never touched).")
@click.option("--dry-run", is_flag=True, help="List what would be deleted, delete nothing.")
def archive_gc(older_than_hours: float, dry_run: bool) -> None:
    """Delete archive originals no document refers to, and temp files of dead writes."""
    from datetime import timedelta

    from sohoa.storage.archive_gc import collect_garbage

    with open_services(load_settings()) as services:
        report = collect_garbage(services.archive, services.sessions,
                                 older_than=timedelta(hours=older_than_hours), delete=not dry_run)
    for path in report.originals + report.temp_files:
        echo_line(f"{'would delete' if dry_run else 'deleted'} {path}")
    echo_line(f"{len(report.originals)} unreferenced original(s), {len(report.temp_files)} temp file(s), "
              f"{report.bytes / 1e6:.1f} MB {'to free' if dry_run else 'freed'}")


@main.command()
@click.argument("document_ids", nargs=-1)
@click.option("--batch", "batch_id", help="The failed documents of this batch.")
@click.option("--error-code", help="Failed documents with this error code, e.g. too_many_attempts.")
@click.option("--all-failed", is_flag=True, help="Every failed document.")
def retry(document_ids: tuple[str, ...], batch_id: str | None, error_code: str | None, all_failed: bool) -> None:
    """Put failed documents back in the queue (pages already read are kept)."""
    from workers.jobs.retry import RetryFilter, retry_documents

    wanted = RetryFilter(document_ids=document_ids, batch_id=batch_id, error_code=error_code,
                         all_failed=all_failed)
    if wanted.is_empty():
        raise CliError("say which: DOCUMENT_ID..., --batch ID, --error-code CODE or --all-failed", exit_code=2)
    with open_services(load_settings()) as services:
        outcome = retry_documents(services, wanted, via="cli")
    for document_id in outcome.retried:
        echo_line(f"queued again {document_id}")
    for document_id in outcome.not_failed:
        echo_line(f"not failed (or unknown), left alone: {document_id}")
    note = "" if outcome.enqueued else " (Redis unreachable: the reconciler will enqueue them)"
    echo_line(f"{len(outcome.retried)} document(s) queued again{note}")
    if document_ids and outcome.not_failed:
        sys.exit(1)


@main.command()
@click.option("--all", "check_all", is_flag=True, help="Check every stored file.")
@click.option("--share", type=click.FloatRange(min=0, min_open=True, max=1),
              help="Check this share of the files (e.g. 0.05), least recently checked first.")
def fixity(check_all: bool, share: float | None) -> None:
    """Hash stored files again and compare with their recorded SHA-256; exit 1 on a problem."""
    from sohoa.core.vocab import FixityScope
    from workers.jobs.fixity import run_fixity

    if check_all == (share is not None):
        raise CliError("give exactly one of --all or --share FRACTION", exit_code=2)
    with open_services(load_settings()) as services:
        report = run_fixity(services, scope=FixityScope.ALL if check_all else FixityScope.SHARE,
                            share=share or 1.0)
    for problem in report.problems:
        echo_line(f"{problem.outcome}: {problem.path} (document {problem.document_id})"
                  + (f": {problem.detail}" if problem.detail else ""))
    echo_line(f"{report.checked} file(s) checked, {len(report.problems)} problem(s)")
    if report.problems:
        sys.exit(1)


@main.command()
def migrate() -> None:
    """Create or upgrade the database schema (Alembic upgrade head)."""
    from sohoa.stack.bootstrap import prepare_storage

    settings = load_settings()
    prepare_storage(settings)
    click.echo("database is at the newest schema")


@main.command()
def reindex() -> None:
    """Rebuild the search index from the database and archive."""
    from workers.jobs.indexing import reindex_all

    state: dict[str, Any] = {}

    def progress(done: int, total: int) -> None:
        if "bar" not in state:
            state["bar"] = click.progressbar(length=max(total, 1), label="reindexing", show_pos=True)
            state["bar"].__enter__()
        bar = state["bar"]
        bar.update(done - bar.pos)

    try:
        with open_services(load_settings()) as services:
            count = reindex_all(services, progress=progress)
    finally:
        if "bar" in state:
            state["bar"].__exit__(None, None, None)
    click.echo(f"{count} documents indexed")


@main.command("separator-sheet")
@click.argument("out", type=click.Path(dir_okay=False, writable=True), default="trang-tach.pdf")
def separator_sheet(out: str) -> None:
    """Write a printable separator sheet (PDF) carrying SOHOA_SEPARATOR_BARCODE."""
    from workers.ocr.separator import separator_sheet as sheet

    code = load_settings().separator_code
    if code is None:
        raise CliError("separator sheets are off (SOHOA_SEPARATOR_BARCODE=off)", exit_code=2)
    sheet(code).save(out, "PDF", resolution=150)
    echo_line(f"wrote {out}: print it and put it between two documents of a stack")


main.add_command(keys)  # each group of sub-commands lives in its own module
main.add_command(users)
main.add_command(ingest)
