"""Streaming ``multipart/form-data`` parser for batch uploads.

Starlette's ``request.form()`` would first copy every file to its own temp file and only
then let us look at it. Here each ``files`` part goes straight into an ``ingest.Spool``
(hashing as it writes, dropping bytes past the size limit), and the file count is
enforced while parsing, so an oversized batch is refused before it is all read. A body
must end with its closing boundary: one cut off before it (the last file's tail possibly
missing) is refused whole, nothing kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from ingest import Spool, SpooledUpload, upload_tmp_dir
from sohoa.core.config import Settings
from sohoa.core.errors import BadRequest, TooLarge
from sohoa.core.inputs import refuse_nul

if TYPE_CHECKING:  # this TypedDict exists for type checkers only
    from python_multipart.multipart import MultipartCallbacks

FILE_FIELD = "files"
TEXT_FIELDS = ("agency_code", "procedure_code", "note")
MAX_TEXT_BYTES = 64 * 1024

def _multipart_body(**text_fields: dict[str, object]) -> dict[str, object]:
    """The OpenAPI request body of an upload: the files, and the text fields it reads."""
    files = {"type": "array", "items": {"type": "string", "format": "binary"}, "minItems": 1,
             "description": "One or many PDF, TIFF, JPEG or PNG files."}
    return {"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": [FILE_FIELD], "properties": {FILE_FIELD: files, **text_fields}}}}}


# Adding to a batch: its own codes apply, text fields are not read.
FILES_REQUEST_BODY = _multipart_body()
BATCH_REQUEST_BODY = _multipart_body(agency_code={"type": "string", "maxLength": 64},
                                     procedure_code={"type": "string", "maxLength": 64},
                                     note={"type": "string"})


@dataclass
class BatchForm:
    uploads: list[SpooledUpload] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)


class _Collector:
    """Parser callbacks: route file parts to spools, keep the small text fields."""

    def __init__(self, settings: Settings, charset: str) -> None:
        self.settings = settings
        self.charset = charset
        self.form = BatchForm()
        self.spools: list[Spool] = []
        self.pending: list[tuple[Spool, bytes]] = []
        self._header_name = b""
        self._header_value = b""
        self._disposition = b""
        self._spool: Spool | None = None
        self._name: str | None = None
        self._text = bytearray()
        self.ended = False  # the closing boundary arrived

    def callbacks(self) -> MultipartCallbacks:
        return {"on_part_begin": self.on_part_begin, "on_part_data": self.on_part_data,
                "on_part_end": self.on_part_end, "on_header_field": self.on_header_field,
                "on_header_value": self.on_header_value, "on_header_end": self.on_header_end,
                "on_headers_finished": self.on_headers_finished, "on_end": self.on_end}

    def on_end(self) -> None:
        self.ended = True

    def on_part_begin(self) -> None:
        self._disposition, self._spool, self._name, self._text = b"", None, None, bytearray()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        if self._header_name.strip().lower() == b"content-disposition":
            self._disposition = self._header_value
        self._header_name, self._header_value = b"", b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        self._name = options.get(b"name", b"").decode(self.charset, "replace")
        if self._name == FILE_FIELD and b"filename" in options:
            if len(self.spools) >= self.settings.max_files_per_batch:
                raise TooLarge(f"a batch may hold at most {self.settings.max_files_per_batch} files",
                               code="too_many_files", detail={"max_files": self.settings.max_files_per_batch})
            filename = options[b"filename"].decode(self.charset, "replace")
            refuse_nul(filename, "filename")
            self._spool = Spool(upload_tmp_dir(self.settings), self.settings.max_file_bytes, filename)
            self.spools.append(self._spool)

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._spool is not None:
            self.pending.append((self._spool, data[start:end]))
        elif self._name in TEXT_FIELDS:
            self._text.extend(data[start:end])
            if len(self._text) > MAX_TEXT_BYTES:
                raise BadRequest(f"the field {self._name!r} is too long", code="invalid_field")

    def on_part_end(self) -> None:
        if self._spool is None and self._name in TEXT_FIELDS:
            text = self._text.decode(self.charset, "replace")
            refuse_nul(text, self._name)
            self.form.fields[self._name] = text


def _write_pending(pending: list[tuple[Spool, bytes]]) -> None:
    for spool, data in pending:
        spool.write(data)


async def read_batch_form(request: Request, settings: Settings) -> BatchForm:
    """Parse the request body as it streams in; every spooled file is finished or removed."""
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data" or b"boundary" not in params:
        raise BadRequest("send the files as multipart/form-data in the `files` field", code="invalid_multipart")
    charset = params.get(b"charset", b"utf-8").decode("latin-1")
    collector = _Collector(settings, "utf-8" if charset.lower() in ("", "utf8") else charset)
    parser = MultipartParser(params[b"boundary"], collector.callbacks())
    try:
        async for chunk in request.stream():
            parser.write(chunk)
            if collector.pending:
                await run_in_threadpool(_write_pending, collector.pending)
                collector.pending = []
        parser.finalize()
        if not collector.ended:  # python-multipart's finalize() does not check it
            raise BadRequest("the multipart body ends without its closing boundary (cut off?)",
                             code="invalid_multipart")
    except BaseException as exc:
        for spool in collector.spools:
            spool.abort()
        if isinstance(exc, (FormParserError, LookupError)):
            raise BadRequest("the multipart body cannot be parsed", code="invalid_multipart") from exc
        raise
    collector.form.uploads = [spool.finish() for spool in collector.spools]
    return collector.form
