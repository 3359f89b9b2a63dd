"""Checks on a video file before OpenCV opens it, and its content hash.

The refusals by path, file type and magic bytes of the package docstring's policy table.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import stat
from pathlib import Path
from typing import Union

from posescore.errors import VideoError

PathLike = Union[str, "os.PathLike[str]"]

HASH_CHUNK_BYTES = 1 << 20
"""Read size for hashing, bytes (1 MiB)."""

_HEAD_BYTES = 4096
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
_HEIF_BRANDS |= {b"avif", b"avis"}
_QUICKTIME_ATOMS = {b"moov", b"mdat", b"free", b"wide", b"skip", b"pnot"}


def display_name(path: Path) -> str:
    """The file name messages use (never the folder)."""
    return path.name or str(path)


def _looks_like_text(head: bytes) -> bool:
    """Tell whether ``head`` is UTF-8 text: no NUL byte, >= 95 % printable characters."""
    if not head or b"\x00" in head:
        return False
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    if not text:
        return False
    printable = sum(ch.isprintable() or ch in "\t\r\n\f\v" for ch in text)
    return printable >= 0.95 * len(text)


def _sniff(head: bytes) -> tuple[str, str]:
    """Classify a file by its first bytes.

    Returns
    -------
    kind : {"video", "refuse", "unknown"}
        A known video container, a known non-video format, or neither.
    what : str
        Human description, e.g. ``"a PNG image"``; empty for "unknown".
    """
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "refuse", "a PNG image"
    if head.startswith(b"\xff\xd8\xff"):
        return "refuse", "a JPEG image"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "refuse", "a GIF image"
    if head[:2] == b"BM" and len(head) >= 26:
        return "refuse", "a BMP image"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "refuse", "a TIFF image"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "refuse", "a WebP image"
    if head[4:8] == b"ftyp":
        if head[8:12] in _HEIF_BRANDS:
            return "refuse", "a HEIF/AVIF image"
        return "video", "an MP4/QuickTime video"
    if head[4:8] in _QUICKTIME_ATOMS:
        return "video", "a QuickTime video"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "video", "an AVI video"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "video", "a Matroska/WebM video"
    if head[:3] == b"FLV":
        return "video", "an FLV video"
    if head[:4] == b"\x30\x26\xb2\x75":
        return "video", "an ASF/WMV video"
    if head[:4] == b"OggS":
        return "video", "an Ogg file"
    if head[:4] in (b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3"):
        return "video", "an MPEG video"
    if len(head) > 188 and head[0] == 0x47 and head[188] == 0x47:
        return "video", "an MPEG transport stream"
    if head.startswith(b"%PDF"):
        return "refuse", "a PDF document"
    if head.startswith(b"PK\x03\x04"):
        return "refuse", "a ZIP archive or office document"
    if _looks_like_text(head):
        return "refuse", "a text file"
    return "unknown", ""


def check_file(path: Path) -> str:
    """Refuse paths that cannot be a readable video file; return ``_sniff``'s kind.

    Raises
    ------
    VideoError
        Missing, directory, not a regular file, empty, unreadable, or an image/text file.
    """
    name = display_name(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        raise VideoError(f"video file not found: {name}") from None
    except PermissionError:
        raise VideoError(f"permission denied reading video file: {name}") from None
    except OSError as exc:
        raise VideoError(f"cannot access video file {name}: {exc.strerror}") from None
    if stat.S_ISDIR(st.st_mode):
        raise VideoError(f"{name} is a directory, not a video file")
    if not stat.S_ISREG(st.st_mode):
        raise VideoError(f"{name} is not a regular file, so not a video file")
    if st.st_size == 0:
        raise VideoError(f"video file is empty (0 bytes): {name}")
    try:
        with path.open("rb") as fh:
            head = fh.read(_HEAD_BYTES)
    except PermissionError:
        raise VideoError(f"permission denied reading video file: {name}") from None
    except OSError as exc:
        raise VideoError(f"cannot read video file {name}: {exc.strerror}") from None
    kind, what = _sniff(head)
    if kind == "refuse":
        raise VideoError(f"not a video: {name} looks like {what}")
    return kind


def sha256_file(path: PathLike) -> str:
    """SHA-256 of a file's content, read in 1 MiB chunks.

    Parameters
    ----------
    path : str or PathLike
        File to hash.

    Returns
    -------
    str
        64 lower-case hex digits.

    Raises
    ------
    VideoError
        If the file cannot be read.
    """
    p = Path(path)
    digest = hashlib.sha256()
    buf = bytearray(HASH_CHUNK_BYTES)
    view = memoryview(buf)
    try:
        with p.open("rb") as fh:
            while n := fh.readinto(view):
                digest.update(view[:n])
    except PermissionError:
        raise VideoError(f"permission denied reading video file: {display_name(p)}") from None
    except OSError as exc:
        raise VideoError(f"cannot read video file {display_name(p)}: {exc.strerror}") from None
    return digest.hexdigest()
