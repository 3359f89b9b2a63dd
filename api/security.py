"""The upload content check: which video container a file starts like."""

from __future__ import annotations

from typing import Optional

_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
_HEIF_BRANDS |= {b"avif", b"avis"}
_QUICKTIME_ATOMS = {b"moov", b"mdat", b"free", b"wide", b"skip", b"pnot"}
ACCEPTED_CONTAINERS = "MP4, MOV, AVI, MKV, WebM, MPEG or MPEG-TS/AVCHD (.mts)"
CONTAINER_HEAD_BYTES = 200
"""Bytes of an upload ``container_of`` needs: a transport stream shows its second packet."""


def container_of(head: bytes) -> Optional[str]:
    """File suffix of the video container ``head`` starts like, or None for anything else.

    Parameters
    ----------
    head : bytes
        The first bytes of the upload (``CONTAINER_HEAD_BYTES``; 12 suffice for all but the
        transport streams, whose 0x47 sync byte must repeat one packet later: 188 bytes, or
        192 in the M2TS files of AVCHD camcorders).

    """
    if head[4:8] == b"ftyp":
        return None if head[8:12] in _HEIF_BRANDS else "mp4"
    if head[4:8] in _QUICKTIME_ATOMS:
        return "mov"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "avi"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "mkv"
    if head[:4] in (b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3"):
        return "mpg"
    if len(head) > 188 and head[0] == 0x47 and head[188] == 0x47:
        return "ts"
    if len(head) > 196 and head[4] == 0x47 and head[196] == 0x47:
        return "m2ts"
    return None
