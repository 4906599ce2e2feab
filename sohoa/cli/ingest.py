"""``sohoa ingest PATH...``: one batch through the HTTP API, followed until it is done."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import httpx

from sohoa.cli.common import CliError, load_settings
from sohoa.cli.ingest_client import IngestError, Progress, collect_files, describe_error, follow_batch, rejections
from sohoa.cli.resumable_client import send_files
from sohoa.cli.upload_state import UploadState, default_state_file


def _default_api_url() -> str:
    settings = load_settings()
    return settings.local_url


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--api-url", envvar="SOHOA_API_URL", default=None,
              help="Default: http://SOHOA_HOST:SOHOA_PORT.")
@click.option("--api-key", envvar="SOHOA_API_KEY", default=None, help="Env: SOHOA_API_KEY.")
@click.option("--agency-code", default=None)
@click.option("--procedure-code", default=None)
@click.option("--note", default=None)
@click.option("--no-wait", is_flag=True, help="Upload and print the batch id, do not follow it.")
@click.option("--poll", default=1.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds between progress checks.")
@click.option("--timeout", default=None, type=click.FloatRange(min=1),
              help="Give up waiting after this many seconds (the batch continues).")
@click.option("--state-file", default=None, type=click.Path(path_type=Path, dir_okay=False),
              help="Where unfinished uploads are remembered, to resume them. Default: in the user's config folder.")
def ingest(paths: tuple[Path, ...], api_url: str | None, api_key: str | None,
           agency_code: str | None, procedure_code: str | None, note: str | None,
           no_wait: bool, poll: float, timeout: float | None, state_file: Path | None) -> None:
    """Upload files and folders (sorted, hidden files skipped) as ONE batch.

    Each file goes up resumably: a dropped line is retried where it stopped, and running
    the same command again continues the batch. Exit code 0 when every file ended
    indexed, 1 when any was rejected or failed.
    """
    if not api_key:
        raise CliError("an API key is needed: set SOHOA_API_KEY or pass --api-key "
                       "(`sohoa keys create --role clerk --name ...` makes one)", exit_code=2)
    files = _collect(list(paths))
    base = (api_url or _default_api_url()).rstrip("/")
    headers = {"Authorization": f"Bearer {api_key}"}
    codes = {"agency_code": agency_code or "", "procedure_code": procedure_code or "", "note": note or ""}
    state = UploadState(state_file or default_state_file())
    with httpx.Client(base_url=base, headers=headers, timeout=30.0) as client:
        try:
            code = _ingest(client, files, codes, state, no_wait, poll, timeout)
        except IngestError as exc:
            raise CliError(exc.message, exit_code=3 if exc.code in ("api_unreachable", "key_refused") else 1) from exc
    raise SystemExit(code)


def _collect(paths: list[Path]) -> list[tuple[Path, str]]:
    try:
        return collect_files(paths)
    except IngestError as exc:
        raise CliError(exc.message, exit_code=2) from exc


def _ingest(client: httpx.Client, files: list[tuple[Path, str]], codes: dict[str, str], state: UploadState,
            no_wait: bool, poll: float, timeout: float | None) -> int:
    click.echo(f"uploading {len(files)} file(s) to {client.base_url} ...", err=True)
    batch_id, documents = send_files(client, files, codes, state, say=lambda line: click.echo(line, err=True))
    rejected = rejections({"documents": documents})
    accepted = len(documents) - len(rejected)
    click.echo(f"batch {batch_id or '(none created)'}: {accepted} accepted, {len(rejected)} rejected")
    for item in rejected:
        click.echo(f"  rejected {item.get('filename', '?')}: {describe_error(item.get('error'))}")
    if no_wait or accepted == 0 or batch_id is None:
        return 1 if rejected else 0
    progress = _follow(client, batch_id, poll, timeout)
    click.echo(f"batch {batch_id}: {progress.indexed} indexed, {progress.failed} failed, "
               f"{len(rejected)} rejected; {progress.pages_done}/{progress.pages_total} pages")
    for doc in progress.failures:
        click.echo(f"  failed {doc.get('filename', '?')} ({doc.get('id') or doc.get('document_id')}): "
                   f"{describe_error(doc.get('error'))}")
    return 1 if (rejected or progress.failed) else 0


def _follow(client: httpx.Client, batch_id: str, poll: float, timeout: float | None) -> Progress:
    """A progress bar on a terminal; one line per change otherwise (CI logs, scripts)."""
    def show(progress: Progress | None) -> str:
        if progress is None:
            return ""
        waiting = (f", {progress.waiting_for_index} read and waiting for the search index"
                   if progress.waiting_for_index else "")
        return (f"docs {progress.indexed + progress.failed}/{progress.documents} "
                f"(indexed {progress.indexed}, failed {progress.failed}){waiting}")

    if not sys.stdout.isatty():
        last: list[str] = [""]

        def print_change(progress: Progress) -> None:
            line = f"pages {progress.pages_done}/{progress.pages_total}, {show(progress)}"
            if line != last[0]:
                click.echo(line)
                last[0] = line

        return follow_batch(client, batch_id, print_change, poll_seconds=poll, timeout=timeout)

    with click.progressbar(length=1, label="pages", show_pos=True, show_percent=False,
                           item_show_func=show) as bar:
        def on_progress(progress: Progress) -> None:
            bar.length = max(progress.pages_total, 1)
            bar.update(max(progress.pages_done - bar.pos, 0), current_item=progress)

        return follow_batch(client, batch_id, on_progress, poll_seconds=poll, timeout=timeout)
