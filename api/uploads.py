"""Uploads: streamed once into a private folder, checked on their first bytes; orphans swept.

The multipart body of ``POST /v1/jobs`` is parsed as it arrives: form fields are kept in
memory (a few short values), the ``video`` part is written straight to ``<id>.part`` in the
upload folder (0700; files 0600) and refused with 415 as soon as its first bytes are not a
supported container. Free disk space is checked before a byte is read (507).
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from pathlib import Path
from typing import BinaryIO, Optional

from fastapi import HTTPException, Request
from python_multipart.multipart import MultipartParseError, MultipartParser, parse_options_header
from sqlalchemy import make_url, select
from sqlalchemy.orm import sessionmaker

from api.db import Job
from api.jobs import new_id
from api.security import ACCEPTED_CONTAINERS, CONTAINER_HEAD_BYTES, container_of
from api.settings import ApiSettings

logger = logging.getLogger(__name__)

PARTIAL_SUFFIX = ".part"
SHARED_ORPHAN_MIN_AGE_S = 3600.0
"""With a shared database, upload files younger than this are kept at start: another server
may be receiving one, or about to queue it."""
MAX_FIELDS = 8
MAX_FIELD_BYTES = 1024


def private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) readable by the service's user only; return it."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def make_private(settings: ApiSettings) -> None:
    """Keep the service's files to its own user (umask 077, also for the workers).

    The data, upload and overlay folders become 0700, the SQLite file 0600.
    """
    os.umask(0o077)
    for folder in (settings.data_dir, settings.uploads, settings.overlays_dir):
        private_dir(folder)
    url = make_url(settings.url)
    if url.get_backend_name() == "sqlite" and url.database:
        for suffix in ("", "-wal", "-shm"):
            db_file = Path(url.database + suffix)
            if db_file.exists():
                db_file.chmod(0o600)


def check_free_space(settings: ApiSettings, needed: int) -> None:
    """507 unless ``needed`` bytes fit in the upload folder with the reserve left free."""
    free = shutil.disk_usage(private_dir(settings.uploads)).free
    reserve = int(settings.min_free_disk_mb * 2**20)
    if free - needed < reserve:
        raise HTTPException(
            507,
            f"not enough free disk space to accept the upload: {free / 2**20:.0f} MB free, "
            f"{needed / 2**20:.0f} MB needed and {settings.min_free_disk_mb:g} MB kept free "
            "(POSESCORE_MIN_FREE_DISK_MB); try again later",
        )


class _Receiver:
    """python-multipart callbacks: form fields in memory, the ``video`` part into one file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fields: dict[str, str] = {}
        self.suffix: Optional[str] = None
        self._file: Optional[BinaryIO] = None
        self._stored = False
        self._head = b""
        self._headers: list[list[bytes]] = []
        self._name = ""
        self._value = b""

    def callbacks(self) -> dict:
        """The callback table of ``MultipartParser``."""
        return {
            "on_part_begin": self._begin,
            "on_header_field": lambda data, start, end: self._headers.append([data[start:end]]),
            "on_header_value": lambda data, start, end: self._headers[-1].append(data[start:end]),
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._data,
            "on_part_end": self._end,
        }

    def _begin(self) -> None:
        self._headers, self._value = [], b""

    def _headers_finished(self) -> None:
        headers = {h[0].lower(): b"".join(h[1:]) for h in self._headers}
        _, options = parse_options_header(headers.get(b"content-disposition"))
        self._name = options.get(b"name", b"").decode("utf-8", "replace")
        if b"filename" not in options:
            if len(self.fields) >= MAX_FIELDS:
                raise HTTPException(422, f"too many form fields (at most {MAX_FIELDS})")
            return
        if self._name != "video" or self._stored:
            raise HTTPException(422, "one file is accepted, in a field named 'video'")
        self._stored = True
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self._file = os.fdopen(fd, "wb")

    def _check_head(self) -> None:
        self.suffix = container_of(self._head)
        if self.suffix is None:
            raise HTTPException(
                415, f"not a supported video: expected an {ACCEPTED_CONTAINERS} file"
            )

    def _data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self._file is None:
            self._value += chunk
            if len(self._value) > MAX_FIELD_BYTES:
                raise HTTPException(422, f"{self._name}: too long (at most {MAX_FIELD_BYTES} B)")
            return
        if self.suffix is None and len(self._head) < CONTAINER_HEAD_BYTES:
            self._head += chunk[: CONTAINER_HEAD_BYTES - len(self._head)]
            if len(self._head) == CONTAINER_HEAD_BYTES:
                self._check_head()
        self._file.write(chunk)

    def _end(self) -> None:
        if self._file is None:
            try:
                self.fields[self._name] = self._value.decode("utf-8")
            except UnicodeDecodeError:
                raise HTTPException(422, f"{self._name}: not UTF-8 text") from None
            return
        self._file.close()
        self._file = None
        if self.suffix is None:
            self._check_head()

    def discard(self) -> None:
        """Close and delete the partial file."""
        if self._file is not None:
            self._file.close()
        self.path.unlink(missing_ok=True)


async def receive_upload(request: Request, settings: ApiSettings) -> tuple[dict[str, str], str]:
    """Stream a multipart upload into the upload folder.

    Returns
    -------
    tuple
        The form fields (name to value) and the stored file name, ``<random id>.<container
        suffix>`` (the client's file name is never used).

    Raises
    ------
    HTTPException
        507 short of disk space, 415 not a supported container (on its first bytes), 422 a
        malformed body, no ``video`` file or a bad field; 413 from ``GuardMiddleware``.

    """
    _, params = parse_options_header(request.headers.get("content-type"))
    boundary = params.get(b"boundary")
    if not boundary:
        raise HTTPException(422, "multipart body without a boundary in its Content-Type")
    declared = request.headers.get("content-length", "")
    check_free_space(settings, int(declared) if declared.isdigit() else settings.max_upload_bytes)
    receiver = _Receiver(private_dir(settings.uploads) / f"{new_id()}{PARTIAL_SUFFIX}")
    parser = MultipartParser(boundary, receiver.callbacks())
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
        if receiver.suffix is None:
            raise HTTPException(422, "video: a file field named 'video' is required")
        name = f"{new_id()}.{receiver.suffix}"
        os.replace(receiver.path, settings.uploads / name)
    except MultipartParseError as exc:
        receiver.discard()
        raise HTTPException(422, f"malformed multipart body: {exc}") from None
    except BaseException:
        receiver.discard()
        raise
    return receiver.fields, name


def sweep_orphans(settings: ApiSettings, sm: sessionmaker) -> int:
    """Delete upload files no waiting job needs (partial ones, left by a crash); their count.

    With ``retain_uploads`` the files of every job are kept. On PostgreSQL, where several
    servers may share the upload folder, files younger than ``SHARED_ORPHAN_MIN_AGE_S`` too.
    """
    folder = private_dir(settings.uploads)
    query = select(Job.upload_name)
    if not settings.retain_uploads:
        query = query.where(Job.status.in_(("queued", "running")))
    with sm() as db:
        needed = set(db.scalars(query))
    shared = make_url(settings.url).get_backend_name() != "sqlite"
    young = time.time() - SHARED_ORPHAN_MIN_AGE_S
    orphans = [
        p for p in folder.iterdir()
        if p.is_file() and p.name not in needed and not (shared and p.stat().st_mtime > young)
    ]
    for path in orphans:
        path.unlink(missing_ok=True)
    if orphans:
        logger.warning("%d orphaned upload file(s) deleted", len(orphans))
    return len(orphans)
