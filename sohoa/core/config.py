"""All settings in one place, validated at start (env prefix ``SOHOA_``, optional ``.env``).

Nothing else reads the environment: each entry point (the CLI) builds one ``Settings`` and
passes it down, mostly inside the process's ``Services``.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from sohoa.core.vocab import CookieSecure, SearchBackendName, SeparatorFormat


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SOHOA_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # Where things live
    var_dir: Path = Field(Path("var"), description="Root for the embedded stack's state.")
    database_url: str = Field("", description="SQLAlchemy URL; default sqlite file in var_dir.")
    archive_dir: Path | None = Field(None, description="Archive root; default var_dir/archive.")
    redis_url: str = "redis://127.0.0.1:6379/0"
    queue_name: str = "sohoa"

    # Search
    search_backend: SearchBackendName = SearchBackendName.SQLITE
    search_sqlite_path: Path | None = Field(None, description="Default var_dir/search.sqlite3.")
    opensearch_url: str = Field("http://127.0.0.1:9200", description="One URL, or several separated by "
                                "commas (the nodes of a cluster; the client fails over between them).")
    opensearch_user: str | None = None
    opensearch_password: str | None = None
    opensearch_verify_certs: bool = True
    opensearch_index: str = "sohoa-pages"
    opensearch_timeout_seconds: float = Field(30.0, gt=0)
    opensearch_retries: int = Field(5, ge=1, description="Tries per request on 429/5xx/connection errors.")
    opensearch_backoff_seconds: float = Field(0.5, ge=0, description="First retry pause; doubles each try.")

    # Portals (other systems looking records up by citizen ID)
    portal_serves_unconfirmed: bool = Field(True, description="Portals also receive records no officer has "
                                            "confirmed yet (each says review_state=extracted and its fields' "
                                            "confidence); false: confirmed records only. A record whose ID "
                                            "failed its check is never served unconfirmed.")

    key_check_cache_seconds: float = Field(5.0, ge=0, le=60, description="An API key found active is "
                                           "trusted this long by each API process without reading it again "
                                           "(a revocation or expiry change made elsewhere takes effect "
                                           "within it); 0 = read it on every request.")

    # HTTP
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    log_queries: bool = Field(False, description="Write search text to the access log in clear (debugging "
                              "only); citizen IDs are masked there whatever this says.")
    api_processes: int = Field(0, ge=0, description="API processes of `sohoa serve` (and `sohoa run`) "
                               "sharing the port; 0 (the default) = one per core, at most 4.")
    trusted_proxies: str = Field("", description="Comma-separated addresses of reverse proxies whose "
                                 "X-Forwarded-For/-Proto headers are believed (client address, https); "
                                 "empty = none, '*' = any.")

    # People: sign-in sessions, lockout, passwords
    session_idle_minutes: int = Field(30, ge=1, description="A session unused this long ends.")
    session_max_hours: int = Field(12, ge=1, description="A session ends this long after sign-in, used or not.")
    cookie_secure: CookieSecure = Field(CookieSecure.AUTO, description="auto: Secure when the request came "
                                        "over https; always: behind a TLS proxy that speaks http to the API.")
    signin_max_failures: int = Field(5, ge=1, description="Failed sign-ins per username before it is locked.")
    signin_max_failures_per_address: int = Field(20, ge=1, description="Failed sign-ins per client address "
                                                 "before it is locked (an office shares one address).")
    signin_lock_minutes: int = Field(15, ge=1, description="Failures are counted over this long, and a lock "
                                     "lasts this long.")
    signin_failure_delay_seconds: float = Field(0.5, ge=0, le=10, description="A failed sign-in answers after "
                                                "this delay, doubled with each further failure (at most 8 s).")
    password_min_length: int = Field(10, ge=8, le=128)

    # Limits (safe defaults)
    max_file_bytes: int = Field(200 * 1024 * 1024, gt=0)
    max_files_per_batch: int = Field(500, gt=0)
    max_pages_per_document: int = Field(500, gt=0)
    max_pixels_per_page: int = Field(180_000_000, gt=0, description="Decompression bomb guard.")
    page_timeout_seconds: int = Field(180, gt=0)
    job_timeout_seconds: int = Field(4 * 3600, gt=0)
    lease_seconds: int = Field(300, gt=0, description="A processing doc whose lease expired is re-enqueued.")
    job_retries: int = Field(3, ge=0, description="RQ retries of a job that raised; a document whose "
                             "worker died this many times + 1 in a row without finishing a page fails.")

    # Faults: transient ones (a dependency down, disk full) back off without failing content
    transient_retry_seconds: float = Field(15.0, gt=0, description="First wait before a document stopped "
                                           "by a transient fault is tried again; doubles each time.")
    transient_retry_max_seconds: float = Field(600.0, gt=0, description="Longest wait between such tries.")
    min_free_disk_mb: int = Field(200, ge=0, description="Workers pause and /healthz says degraded when the "
                                  "archive or temp disk has less free space; 0 = no check.")
    spool_stale_hours: float = Field(6.0, gt=0, description="Upload spool files untouched this long belong "
                                     "to a dead request and are removed.")
    fixity_cycle_days: int = Field(30, ge=1, description="The nightly fixity check covers 1/N of the "
                                   "stored files, least recently checked first: all of them every N days.")
    fixity_hour: int = Field(2, ge=0, le=23, description="Hour (Vietnam time) from which the reconciler "
                             "runs the nightly fixity share.")

    # Page images for screens (rendered from the archive, cached there)
    page_image_timeout_seconds: float = Field(30.0, gt=0, description="Time limit of one page image "
                                              "render; the child process doing it is killed after.")
    page_image_concurrency: int = Field(2, ge=1, description="Page images rendered at once by one API "
                                        "process; more requests wait (up to the timeout), then get 503.")

    # Resumable uploads (tus)
    upload_expiry_hours: float = Field(24.0, gt=0, description="An unfinished resumable upload with no new "
                                       "bytes for this long is removed.")
    upload_quota_mb: int = Field(1024, gt=0, description="Most bytes one caller's unfinished resumable "
                                 "uploads may hold (their declared lengths), in MiB.")

    # OCR
    ocr_languages: str = "vie"
    ocr_default_dpi: int = Field(300, ge=50, le=1200)
    ocr_low_confidence: float = Field(60.0, ge=0, le=100, description="Pages below are flagged for review.")
    separator_barcode: str = Field("SOHOA-TACH", max_length=200, description="Text of the barcode or QR code "
                                   "of a separator sheet (a page that starts a new part); 'off' = none.")
    separator_formats: str = Field("QRCode", description="Comma-separated barcode formats looked for: "
                                   + ", ".join(SeparatorFormat) + ".")

    # Workers
    workers: int = Field(0, ge=0, description="Worker processes for `sohoa run`; 0 = one per core.")
    worker_max_jobs: int = Field(1000, ge=0, description="A worker restarts after this many documents "
                                 "(gives memory back); 0 = never.")
    worker_max_memory_mb: int = Field(1536, ge=0, description="A worker restarts after a job that left it "
                                      "using more memory than this; 0 = no limit.")

    @field_validator("separator_formats")
    @classmethod
    def _known_formats(cls, value: str) -> str:
        names = [n.strip() for n in value.split(",") if n.strip()]
        unknown = [n for n in names if n not in tuple(SeparatorFormat)]
        if not names or unknown:
            raise ValueError(f"separator_formats must be a comma-separated list of {', '.join(SeparatorFormat)}")
        return ",".join(names)

    @field_validator("ocr_languages")
    @classmethod
    def _languages_are_plain(cls, value: str) -> str:
        parts = [p for p in value.split("+") if p]
        if not parts or not all(p.replace("_", "").isalnum() for p in parts):
            raise ValueError("ocr_languages must look like 'vie' or 'vie+eng'")
        return "+".join(parts)

    @model_validator(mode="after")
    def _fill_defaults(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.var_dir / 'sohoa.sqlite3').as_posix()}"
        if self.archive_dir is None:
            self.archive_dir = self.var_dir / "archive"
        if self.search_sqlite_path is None:
            self.search_sqlite_path = self.var_dir / "search.sqlite3"
        if self.search_backend == "opensearch" and (
            not self.opensearch_urls or not all(url.startswith(("http://", "https://")) for url in self.opensearch_urls)
        ):
            raise ValueError("opensearch_url must be one URL or several separated by commas, "
                             "each starting with http:// or https://")
        return self

    @property
    def opensearch_urls(self) -> list[str]:
        """``opensearch_url`` split at commas: every node the client may send a request to."""
        return [url.strip() for url in self.opensearch_url.split(",") if url.strip()]

    @property
    def separator_code(self) -> str | None:
        """The separator sheets' code, or None when they are switched off."""
        code = self.separator_barcode.strip()
        return None if code.casefold() in ("", "off", "none", "false", "0") else code

    @property
    def worker_count(self) -> int:
        return self.workers or (os.cpu_count() or 1)

    @property
    def api_process_count(self) -> int:
        """One process serves one request's Python at a time (the GIL): lookups from many
        portals need several; past four they only cost memory on an office machine."""
        return self.api_processes or min(4, os.cpu_count() or 1)

    @property
    def local_url(self) -> str:
        """The API's address to browse to or send to from this machine: a wildcard bind
        address (``0.0.0.0``, ``::``) is not something to browse to."""
        host = {"0.0.0.0": "127.0.0.1", "::": "[::1]", "": "127.0.0.1"}.get(self.host, self.host)
        return f"http://{host}:{self.port}"

    @property
    def upload_quota_bytes(self) -> int:
        return self.upload_quota_mb * 1024 * 1024

    @property
    def archive_root(self) -> Path:
        assert self.archive_dir is not None
        return self.archive_dir
