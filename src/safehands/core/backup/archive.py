"""The backup file: a tar of `manifest.json` and then the database member, written whole or
not at all, and read back only when the member matches the checksum in the manifest."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tarfile
from datetime import UTC, datetime
from pathlib import Path

from safehands.core.backup.common import (
    CHUNK,
    DAMAGED,
    FILE_MISSING,
    FILE_NOT_A_FILE,
    NOT_A_BACKUP,
    BackupError,
)
from safehands.core.backup.manifest import MANIFEST_NAME, Manifest


def file_sha256(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def archive_write(*, path: Path, manifest: Manifest, member: Path) -> None:
    """Write the tar to `path` (a new file, readable by its owner only) and sync it to disk."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    now = int(datetime.now(UTC).timestamp())
    with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w",
                                                 format=tarfile.PAX_FORMAT) as tar:
        text = manifest.to_json().encode()
        info = tarfile.TarInfo(MANIFEST_NAME)
        info.size, info.mode, info.mtime = len(text), 0o600, now
        tar.addfile(info, io.BytesIO(text))
        info = tarfile.TarInfo(manifest.data_member)
        info.size, info.mode, info.mtime = member.stat().st_size, 0o600, now
        with member.open("rb") as data:
            tar.addfile(info, data)
        tar.close()
        raw.flush()
        os.fsync(raw.fileno())


def archive_read(*, path: Path) -> Manifest:
    """The manifest of a backup whose database member is whole; a one-line error otherwise."""
    if not path.exists():
        raise BackupError(FILE_MISSING.format(file=path))
    if not path.is_file():
        raise BackupError(FILE_NOT_A_FILE.format(file=path))
    manifest: Manifest | None = None
    digest, size, found = hashlib.sha256(), 0, False
    try:
        # Member by member, the manifest first: a file cut short is known by what it lacks.
        with tarfile.open(path, mode="r:") as tar:
            for info in tar:
                if manifest is None and info.name == MANIFEST_NAME:
                    text = tar.extractfile(info)
                    if text is not None:
                        manifest = Manifest.from_json(text.read(), file=str(path))
                elif manifest is not None and info.name == manifest.data_member:
                    data = tar.extractfile(info)
                    while data is not None and (chunk := data.read(CHUNK)):
                        digest.update(chunk)
                        size += len(chunk)
                    found = True
                    break
    except (tarfile.TarError, EOFError, OSError) as error:
        if manifest is not None:  # the manifest read; what follows is cut short or garbled
            raise BackupError(DAMAGED.format(file=path, member=manifest.data_member)) from error
        raise BackupError(NOT_A_BACKUP.format(file=path, reason=f"not a tar file: {error}")) \
            from error
    if manifest is None:
        raise BackupError(NOT_A_BACKUP.format(file=path, reason=f"no {MANIFEST_NAME} inside"))
    if not found:
        raise BackupError(DAMAGED.format(file=path, member=manifest.data_member))
    if size != manifest.data_bytes or digest.hexdigest() != manifest.data_sha256:
        raise BackupError(DAMAGED.format(file=path, member=manifest.data_member))
    return manifest


def archive_extract(*, path: Path, manifest: Manifest, out: Path) -> Path:
    """Copy the database member, as stored, to `out`; `archive_read` has checked it."""
    with tarfile.open(path, mode="r:") as tar:
        data = tar.extractfile(manifest.data_member)
        if data is None:  # pragma: no cover - archive_read refused such a file
            raise BackupError(NOT_A_BACKUP.format(
                file=path, reason=f"no {manifest.data_member} inside"))
        with out.open("wb") as f:
            shutil.copyfileobj(data, f, CHUNK)
    return out
