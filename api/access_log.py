"""The access log without citizen IDs or search text in clear (issue 14, finding 11).

Uvicorn's access log writes each request's path with its query string: a portal's
``/api/v1/records?owner_id=001085000111`` or an officer's ``/api/v1/search?q=Nguyễn Văn An``
would put personal data (Law 91/2025, DOMAIN.md "Personal data") into files that are kept,
copied and read by people who may not see it. This filter rewrites the logged target:
ID parameters are masked (``0010******11``), query text is replaced by its length unless
``SOHOA_LOG_QUERIES`` is on (for debugging), and any other ID-like run of digits in a value
is masked too. The path itself carries no personal data (ids are sohoa's own).
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl, urlencode

from sohoa.domain.records import ID_FIELDS, mask_id, mask_in_text, normalize_id

ACCESS_LOGGER = "uvicorn.access"
QUERY_TEXT_PARAMS = frozenset({"q", "search_after"})
CLEAR_PARAMS = frozenset({"purpose"})  # a dossier code (000.00.14.H56-230415-0012), not personal
_TARGET_ARG = 2  # uvicorn's access record: (client, method, full path, http version, status)


def mask_target(target: str, *, log_queries: bool = False) -> str:
    """``/x?owner_id=001085000111&q=An`` → ``/x?owner_id=0010******11&q=<2 chars>``."""
    path, sep, query = target.partition("?")
    if not sep:
        return target
    masked = [(name, _masked(name, value, log_queries)) for name, value in parse_qsl(query, keep_blank_values=True)]
    return f"{path}?{urlencode(masked, safe='*<> ')}"


def _masked(name: str, value: str, log_queries: bool) -> str:
    if name in ID_FIELDS:
        return mask_id(normalize_id(value)) or ""
    if name in QUERY_TEXT_PARAMS and not log_queries:
        return f"<{len(value)} chars>"
    if name in CLEAR_PARAMS:
        return value
    return mask_in_text(value) or ""


class MaskedAccessLog(logging.Filter):
    def __init__(self, *, log_queries: bool) -> None:
        super().__init__()
        self.log_queries = log_queries

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) > _TARGET_ARG and isinstance(target := args[_TARGET_ARG], str):
            target = mask_target(target, log_queries=self.log_queries)
            record.args = (*args[:_TARGET_ARG], target, *args[_TARGET_ARG + 1:])
        return True


def install_access_log_mask(*, log_queries: bool) -> None:
    """Once per process (a later app's setting replaces the earlier one's)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    for old in [f for f in logger.filters if isinstance(f, MaskedAccessLog)]:
        logger.removeFilter(old)
    logger.addFilter(MaskedAccessLog(log_queries=log_queries))
