"""Uploaded files: refused over the size limit before they are read, checked by name, decoded.

Django streams a multipart file to memory or a temporary file as it arrives. The handler
here stops keeping a file as soon as it passes `SAFEHANDS_UPLOAD_MAX_MB`, so a 138 MB
"discharge list" is never held in memory or on disk; the view then learns why the file is
missing through `upload_text` and tells the user, with the file's name.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest
from django.utils.translation import gettext as _

from safehands.core.errors import DomainError

REFUSED_ATTRIBUTE = "_safehands_refused_uploads"


def upload_limit_bytes() -> int:
    return int(settings.SAFEHANDS_UPLOAD_MAX_BYTES)


class UploadLimitHandler(FileUploadHandler):
    """First in FILE_UPLOAD_HANDLERS: counts a file's bytes and drops it past the limit."""

    def new_file(self, field_name: str, file_name: str, *args: Any, **kwargs: Any) -> None:
        super().new_file(field_name, file_name, *args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > upload_limit_bytes():
            refused = getattr(self.request, REFUSED_ATTRIBUTE, {})
            refused[self.field_name] = self.file_name
            setattr(self.request, REFUSED_ATTRIBUTE, refused)
            raise SkipFile()
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler keeps the file


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f}" if size >= 1024 * 1024 else f"{size / (1024 * 1024):.1f}"


def upload_text(request: HttpRequest, *, field: str = "file", suffixes: Iterable[str],
                missing: str) -> tuple[str, str]:
    """The uploaded file's text and name; DomainError (naming the file) when it is unusable.

    `suffixes` are the file-name endings accepted (".csv"); `missing` is what to say when no
    file was chosen.
    """
    upload = request.FILES.get(field)  # parses the body, so the handler has had its say
    refused = getattr(request, REFUSED_ATTRIBUTE, {})
    if field in refused:
        raise DomainError(_(
            "{file}: the file is larger than the {limit} MB this server accepts for an upload. "
            "Split it into smaller files, or ask an administrator to import it with the "
            "command line.").format(file=refused[field], limit=_megabytes(upload_limit_bytes())),
            {"field": field, "limit_bytes": upload_limit_bytes()})
    if upload is None:
        raise DomainError(missing, {"field": field})
    name = upload.name or ""
    endings = tuple(s.lower() for s in suffixes)
    if not name.lower().endswith(endings):
        raise DomainError(_("{file}: expected a file whose name ends in {endings}.").format(
            file=name, endings=" or ".join(endings)), {"field": field})
    data = upload.read()
    if b"\x00" in data[:8192]:
        raise DomainError(_("{file}: this is not a text file (it looks like a spreadsheet or "
                            "other binary file); save it as UTF-8 CSV first.").format(
            file=name), {"field": field})
    try:
        return data.decode("utf-8-sig"), name
    except UnicodeDecodeError as error:
        raise DomainError(_("{file}: not UTF-8 text (byte {position} cannot be read); save it "
                            "as UTF-8.").format(file=name, position=error.start + 1),
                          {"field": field}) from None
