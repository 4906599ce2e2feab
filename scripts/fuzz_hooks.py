"""Schemathesis hooks for `make fuzz` (loaded through SCHEMATHESIS_HOOKS by scripts/fuzz.py).

- tus chunks (``PATCH /api/v1/uploads/{id}``) are ``application/offset+octet-stream``:
  sent as raw bytes, like ``application/octet-stream``.
- The run's own admin key is never revoked or expired by the run itself: with a second
  admin key made by ``POST /api/v1/keys`` that is allowed (finding 7 guards only the last
  one), and every later request would then see only 401. Those requests go to key 0 (404).
"""

from __future__ import annotations

import os
from typing import Any

import schemathesis

schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")
OWN_KEY_ID = int(os.environ.get("FUZZ_KEY_ID", "0"))


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    if case.operation.path == "/api/v1/keys/{key_id}" and case.method.upper() in ("PATCH", "DELETE"):
        path_parameters = case.path_parameters or {}
        if str(path_parameters.get("key_id")) == str(OWN_KEY_ID):
            path_parameters["key_id"] = 0
            case.path_parameters = path_parameters
