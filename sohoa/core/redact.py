"""Server paths out of what clients are told (issue 14, finding 11).

A library's message often names the file it choked on (``cannot identify image file
'/srv/sohoa/var/tmp/uploads/upload-3f9a'``); an error detail or ``/healthz`` (no key
needed) passing it on would tell anyone the layout of the server. ``without_paths`` keeps
the message and replaces every absolute path in it with ``…/`` and its last part.
"""

from __future__ import annotations

import re

# An absolute POSIX path of at least two parts, not inside a URL (``http://host/a/b``).
_ABSOLUTE_PATH = re.compile(r"(?<![\w.:/~-])/(?:[^\s/'\"()\[\]{},;:]+/)+([^\s/'\"()\[\]{},;:]*)")


def without_paths(text: str) -> str:
    """``No space left on device: '/var/lib/sohoa/archive/x.tmp'`` → ``…: '…/x.tmp'``."""
    return _ABSOLUTE_PATH.sub(lambda m: f"…/{m.group(1)}", text)
