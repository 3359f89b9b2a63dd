"""Read walking videos: metadata, upright BGR frames, and clear errors for bad files.

Every refusal is a :class:`~posescore.errors.VideoError` with a one-line message that names
the problem and the file's base name. Policy, in the order the checks run:

===================================  =======================================================
input                                policy
===================================  =======================================================
path does not exist                  refuse: "video file not found"
path is a directory                  refuse: "is a directory"
not a regular file (FIFO, device)    refuse: "not a regular file" (never opened: no hang)
0-byte file                          refuse: "empty (0 bytes)"
no read permission                   refuse: "permission denied"
image, text, PDF or ZIP file         refuse by magic bytes before OpenCV sees it: "not a
                                     video: ... looks like a PNG image" (OpenCV's FFmpeg
                                     backend would open an image as a 1-frame video). PNG,
                                     JPEG (also raw MJPEG streams: they carry no frame
                                     rate), GIF, BMP, TIFF, WebP, HEIF/AVIF are refused.
unknown bytes OpenCV cannot open     refuse: "not a video ... unrecognised format"
video container OpenCV cannot open   refuse: "truncated or corrupt" (e.g. an mp4 cut before
                                     its moov atom)
fps 0, NaN or missing                refuse: "fps missing or invalid"
fps outside [min_fps, max_fps]       refuse: "implausible fps"
opens but no frame decodes           refuse: "no decodable frames"
fewer than ``min_frames`` frames     refuse: "too few frames" (+ "truncated or corrupt" when
                                     the container declared more)
longer than ``max_duration_s``       refuse: "too long"
short side below ``min_side_px``     refuse: "frame too small"
fewer frames decode than declared    accept if at least ``min_frames`` decode: ``probe_video``
                                     reports the decodable count and a "truncated or corrupt"
                                     line in ``VideoMeta.warnings``; iteration stops cleanly
                                     at the real end and adds a warning to
                                     ``VideoReader.warnings`` (and the log)
container frame count 0/NaN/absurd   count by decoding (``grab()`` only)
a frame that grabs but won't decode  skipped with a warning; the other frames keep their
                                     indices, so the gap is visible to the caller
non-square pixels (anamorphic)      frames stretched to the display width (``pixel_aspect``)
a damaged stretch (grabs fail)       up to ``GRAB_RETRIES`` failed grabs in a row are tried
                                     past with a warning; the frames after it decode and
                                     their time stamps show the gap
===================================  =======================================================

Rotation. OpenCV's FFmpeg backend reports the container's display matrix as
``CAP_PROP_ORIENTATION_META``: the clockwise angle (0, 90, 180, 270) that turns a stored
frame upright. Whether OpenCV also turns the frames itself (``CAP_PROP_ORIENTATION_AUTO``)
has differed between builds: OpenCV's source defaults it on, but the opencv-contrib-python
4.11 wheel checked here reports 0 after opening and delivers stored (sideways) frames.
The reader therefore asks for ``AUTO = 0``, reads it back, and rotates frames itself only
when OpenCV does not, so frames come out upright exactly once. It rotates after any
downscale (less work). Mirroring in the display matrix is not handled.

Timestamps are the container's presentation times (``CAP_PROP_POS_MSEC``), which are right
for variable-frame-rate phone videos; where a stamp is missing or not increasing, the rest
continue from the last good stamp at 1 / fps spacing and a warning is recorded.
"""

from __future__ import annotations

import codecs
import dataclasses
import hashlib
import logging
import math
import operator
import os
import queue
import stat
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import TypeVar, Union

import cv2
import numpy as np

from posescore.config import VideoConfig
from posescore.contract.notices import Notice, NoticeCode
from posescore.errors import VideoError
from posescore.types import VideoMeta

logger = logging.getLogger(__name__)

PathLike = Union[str, "os.PathLike[str]"]
VideoSource = Union[str, "os.PathLike[str]", VideoMeta]
Frame = tuple[int, float, np.ndarray]
_T = TypeVar("_T")

HASH_CHUNK_BYTES = 1 << 20
"""Read size for hashing, bytes (1 MiB)."""

_HEAD_BYTES = 4096
_DEFAULT_CFG = VideoConfig()
_MAX_DECLARED_FRAMES = 2**31
_ROTATE_CODES = {
    90: cv2.ROTATE_90_CLOCKWISE,
    180: cv2.ROTATE_180,
    270: cv2.ROTATE_90_COUNTERCLOCKWISE,
}
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
_HEIF_BRANDS |= {b"avif", b"avis"}
_QUICKTIME_ATOMS = {b"moov", b"mdat", b"free", b"wide", b"skip", b"pnot"}


# --------------------------------------------------------------------------- file checks


def _display_name(path: Path) -> str:
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


def _check_file(path: Path) -> str:
    """Refuse paths that cannot be a readable video file; return ``_sniff``'s kind.

    Raises
    ------
    VideoError
        Missing, directory, not a regular file, empty, unreadable, or an image/text file.
    """
    name = _display_name(path)
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
        raise VideoError(f"permission denied reading video file: {_display_name(p)}") from None
    except OSError as exc:
        raise VideoError(f"cannot read video file {_display_name(p)}: {exc.strerror}") from None
    return digest.hexdigest()


# --------------------------------------------------------------------------- OpenCV helpers


def _open_capture(path: Path) -> cv2.VideoCapture:
    """Open ``path`` with the FFmpeg backend when available (it reads rotation metadata).

    The absolute path is passed so that FFmpeg never reads ``name:rest`` as a protocol.
    """
    api = cv2.CAP_FFMPEG if cv2.videoio_registry.hasBackend(cv2.CAP_FFMPEG) else cv2.CAP_ANY
    try:
        return cv2.VideoCapture(str(path.resolve()), api)
    except cv2.error:
        return cv2.VideoCapture()  # not opened


def _check_fps(fps: float, cfg: VideoConfig, name: str) -> float:
    """Return ``fps`` if it is a plausible frame rate (frames/s), else raise VideoError."""
    if not math.isfinite(fps) or fps <= 0:
        raise VideoError(f"fps missing or invalid in {name} (reported {fps:g}); cannot time frames")
    if fps < cfg.min_fps or fps > cfg.max_fps:
        raise VideoError(
            f"implausible fps in {name}: {fps:g} frames/s "
            f"(accepted {cfg.min_fps:g}-{cfg.max_fps:g})"
        )
    return float(fps)


def _plausible_count(value: float) -> int | None:
    """Container frame count as int, or None when missing, non-positive or absurd."""
    if not math.isfinite(value) or value < 1 or value > _MAX_DECLARED_FRAMES:
        return None
    return int(round(value))


def _size_prop(value: float) -> int:
    """Frame width or height property in pixels (0 if missing)."""
    return int(value) if math.isfinite(value) and value > 0 else 0


def _fourcc(value: float) -> str:
    """Four-character codec code from ``CAP_PROP_FOURCC`` ("" if absent or unprintable)."""
    if not math.isfinite(value) or value <= 0:
        return ""
    code = int(value) & 0xFFFFFFFF
    text = "".join(chr((code >> (8 * i)) & 0xFF) for i in range(4)).strip("\x00 ")
    return text if text.isprintable() else ""


def _is_short(declared: int | None, decoded: int) -> bool:
    """Tell whether clearly fewer frames decoded than declared (1 % or 1 frame tolerance).

    The tolerance absorbs containers whose count is an estimate from duration x fps.
    """
    if declared is None:
        return False
    return declared - decoded > max(1, declared // 100)


def truncated_message(declared: int | None, decoded: int) -> str:
    """What a ``truncated`` notice says when fewer frames decode than the container declares."""
    return (f"truncated or corrupt: container declares {declared} frames, only {decoded} "
            f"decodable; using {decoded}")


def _int_at_least(value: object, name: str, minimum: int) -> int:
    """``value`` as a Python int >= ``minimum`` (numpy integers accepted), else ValueError."""
    try:
        number = operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}") from None
    if isinstance(value, bool) or number < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return number


def _check_iter_args(
    stride: int, max_side_px: int | None, start_frame: int
) -> tuple[int, int | None, int]:
    return (
        _int_at_least(stride, "stride", 1),
        None if max_side_px is None else _int_at_least(max_side_px, "max_side_px", 1),
        _int_at_least(start_frame, "start_frame", 0),
    )


# --------------------------------------------------------------------------- reader


READER_VERSION = 3
"""Changes when the reader gives other frames from the same file (2: damaged stretches are
read past, ``GRAB_RETRIES``; 3: non-square pixels are squared, ``pixel_aspect``); part of
the pose cache and probe index keys."""

GRAB_RETRIES = 60
"""Failed grabs in a row tried past before a video counts as ended. A file with damaged
packets in the middle fails some grabs, and the frames after them still decode (random bytes
written over an H.264 file at 1.5 s: decoding stopped after 45 of 180 frames; with retries
149 decode, as many as ffprobe finds); at a real end the retries cost some 40 ms."""

class VideoReader:
    """Sequential reader of upright BGR frames; releases the capture on exit.

    Opening checks the file (see the module docstring for the policy) and reads the
    container's properties; no frame is decoded until :meth:`frames` is iterated.

    Parameters
    ----------
    source : str, PathLike or VideoMeta
        The video. With a ``VideoMeta`` (from :func:`probe_video`) its validated fps and
        decodable frame count are trusted.
    cfg : VideoConfig
        Plausibility limits (fps, duration).

    Attributes
    ----------
    path : Path
        The video file.
    fps : float
        Frame rate, frames/s.
    rotation_deg : int
        Clockwise rotation (0, 90, 180, 270) from the container's metadata; the frames are
        turned by it and then by the source ``VideoMeta.turn_deg`` to make them upright.
    width, height : int
        Upright frame size in pixels from the container (before any downscale).
    declared_frame_count : int or None
        Frame count from the container; None if missing or implausible.
    codec : str
        Four-character codec code, e.g. ``"FMP4"``, ``"avc1"``, ``"MJPG"``.
    warnings : list of Notice
        Problems met while reading that did not stop it (truncation, undecodable frames,
        bad time stamps), stage ``video``. Also logged at WARNING level, without the file
        name.
    frames_grabbed : int
        Frames advanced over so far by the last :meth:`frames` pass.

    Examples
    --------
    >>> with VideoReader("walk.mp4") as reader:  # doctest: +SKIP
    ...     for index, t_s, frame in reader.frames(stride=2, max_side_px=640):
    ...         ...
    """

    def __init__(self, source: VideoSource, cfg: VideoConfig = _DEFAULT_CFG) -> None:
        self._cap: cv2.VideoCapture | None = None
        self._meta: VideoMeta | None = None
        if isinstance(source, VideoMeta):
            self._meta = source
            self.path = Path(source.path)
        else:
            self.path = Path(source)
        self.name = _display_name(self.path)
        self.cfg = cfg
        self.warnings: list[Notice] = []
        self.frames_grabbed = 0
        self.first_frame_luma = float("nan")
        """Mean luminance of frame 0 (0-255), set by ``_scan``."""
        self._kind = _check_file(self.path)
        self._open()

    # -- lifecycle

    def _open(self) -> None:
        logger.debug("opening video %s", self.path)
        cap = _open_capture(self.path)
        if not cap.isOpened():
            cap.release()
            if self._kind == "video":
                raise VideoError(
                    f"truncated or corrupt video: {self.name} cannot be opened "
                    "(container index missing or damaged, or no video stream)"
                )
            raise VideoError(f"not a video: {self.name} is in an unrecognised format")
        self._cap = cap
        self.frames_grabbed = 0
        try:
            self._read_properties(cap)
        except BaseException:
            self.close()
            raise

    def _read_properties(self, cap: cv2.VideoCapture) -> None:
        if self._meta is not None:
            self.fps = float(self._meta.fps)
        else:
            self.fps = _check_fps(cap.get(cv2.CAP_PROP_FPS), self.cfg, self.name)
        cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 0)  # we rotate, after downscaling
        auto = cap.get(cv2.CAP_PROP_ORIENTATION_AUTO)
        self._opencv_rotates = bool(math.isfinite(auto) and auto != 0)
        self.rotation_deg = self._rotation_from(cap.get(cv2.CAP_PROP_ORIENTATION_META))
        turn = self._meta.turn_deg if self._meta is not None else 0
        applied = turn if self._opencv_rotates else self.rotation_deg + turn
        self._rotate_code = _ROTATE_CODES.get(applied % 360)
        self.codec = _fourcc(cap.get(cv2.CAP_PROP_FOURCC))
        self.declared_frame_count = _plausible_count(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        self.pixel_aspect = pixel_aspect(
            cap.get(cv2.CAP_PROP_SAR_NUM), cap.get(cv2.CAP_PROP_SAR_DEN)
        )
        w = _size_prop(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        if w is not None and self.pixel_aspect != 1.0:
            w = max(1, round(w * self.pixel_aspect))
        h = _size_prop(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        swap = self._rotate_code in (cv2.ROTATE_90_CLOCKWISE, cv2.ROTATE_90_COUNTERCLOCKWISE)
        self.width, self.height = (h, w) if swap else (w, h)
        logger.debug(
            "video props: fps=%g declared_frames=%s rotation=%d opencv_rotates=%s codec=%s",
            self.fps,
            self.declared_frame_count,
            self.rotation_deg,
            self._opencv_rotates,
            self.codec,
        )

    def _rotation_from(self, value: float) -> int:
        # Backends without rotation support report 0 or -1; FFmpeg's is already in [0, 360).
        if not math.isfinite(value) or value < 0:
            return 0
        deg = int(round(value)) % 360
        if deg not in (0, 90, 180, 270):
            self._warn(NoticeCode.ROTATION_IGNORED,
                       f"rotation metadata of {deg} deg is not a multiple of 90; ignored")
            return 0
        return deg

    def close(self) -> None:
        """Release the OpenCV capture (idempotent)."""
        cap, self._cap = self._cap, None
        if cap is not None:
            cap.release()

    @property
    def closed(self) -> bool:
        """True once the capture has been released."""
        return self._cap is None

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # pragma: no cover - interpreter shutdown
            pass

    # -- helpers

    def _warn(self, code: NoticeCode, message: str) -> None:
        notice = Notice(code=code, stage="video", message=message)
        if notice not in self.warnings:
            self.warnings.append(notice)
            logger.warning("video: %s", message)

    def _require_open(self) -> cv2.VideoCapture:
        if self._cap is None:
            raise ValueError("VideoReader is closed")
        return self._cap

    def _grab(self, cap: cv2.VideoCapture) -> bool:
        """Grab the next frame, trying past up to ``GRAB_RETRIES`` failures in a row."""
        for attempt in range(GRAB_RETRIES + 1):
            try:
                grabbed = bool(cap.grab())
            except cv2.error as exc:
                last = str(exc).strip().splitlines()[-1]
                self._warn(NoticeCode.DECODING_STOPPED,
                           f"decoding stopped by an OpenCV error: {last}")
                return False
            if grabbed:
                if attempt:
                    self._warn(NoticeCode.DAMAGED_FRAMES_SKIPPED,
                               "damaged frames were skipped (the frames after them decode)")
                return True
        return False

    def _retrieve(self, cap: cv2.VideoCapture) -> np.ndarray | None:
        try:
            ok, frame = cap.retrieve()
        except cv2.error:
            return None
        return frame if ok and frame is not None and frame.size else None

    def _frame_limit(self) -> int:
        """Most frames ever grabbed in one pass: a guard against endless streams."""
        limit = math.ceil(self.cfg.max_duration_s * self.fps) + 1
        if self._meta is not None:
            limit = max(limit, self._meta.frame_count + 1)
        return limit

    def upright(
        self, frame: np.ndarray, max_side_px: int | None, whole_factor: bool = False
    ) -> np.ndarray:
        """Downscale (INTER_AREA) so the long side <= max_side_px, then rotate upright.

        For stored frames from ``frames(raw=True)``; gives the same pixels as ``frames``.
        With ``whole_factor`` the size is divided by the smallest whole number that brings
        the long side within ``max_side_px`` (1920 x 1080 -> 960 x 540 for 1280): OpenCV's
        INTER_AREA is about 10x faster at whole-number ratios (1.4 ms vs 17 ms per 1080p
        frame here) and averages whole pixel blocks.
        """
        frame = self._square_pixels(frame)
        if whole_factor and max_side_px is not None:
            long_side = max(frame.shape[:2])
            if long_side > max_side_px:
                k = -(-long_side // max_side_px)
                size = (max(1, frame.shape[1] // k), max(1, frame.shape[0] // k))
                frame = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
            max_side_px = None
        return self._fitted(frame, max_side_px)

    def _upright(self, frame: np.ndarray, max_side_px: int | None) -> np.ndarray:
        """Square the pixels, downscale so the long side <= max_side_px, rotate upright."""
        return self._fitted(self._square_pixels(frame), max_side_px)

    def _square_pixels(self, frame: np.ndarray) -> np.ndarray:
        """A stored frame of non-square pixels stretched to its display width."""
        if self.pixel_aspect == 1.0:
            return frame
        h, w = frame.shape[:2]
        return cv2.resize(frame, (max(1, round(w * self.pixel_aspect)), h),
                          interpolation=cv2.INTER_LINEAR)

    def _fitted(self, frame: np.ndarray, max_side_px: int | None) -> np.ndarray:
        """Downscale (INTER_AREA) so the long side <= max_side_px, then rotate upright."""
        if frame.ndim == 2:
            frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
        if max_side_px is not None:
            h, w = frame.shape[:2]
            if max(h, w) > max_side_px:
                scale = max_side_px / max(h, w)
                if w >= h:
                    size = (max_side_px, max(1, round(h * scale)))
                else:
                    size = (max(1, round(w * scale)), max_side_px)
                frame = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
        if self._rotate_code is not None:
            frame = cv2.rotate(frame, self._rotate_code)
        return frame

    # -- reading

    def frames(
        self,
        stride: int = 1,
        max_side_px: int | None = None,
        start_frame: int = 0,
        raw: bool = False,
    ) -> Iterator[Frame]:
        """Iterate over upright frames.

        Frames that are not used (before ``start_frame``, between strides) are skipped with
        ``grab()`` and never converted. Calling again restarts from the first frame.

        Parameters
        ----------
        stride : int
            Yield every ``stride``-th frame, >= 1.
        max_side_px : int, optional
            Downscale with ``INTER_AREA`` so the long side is at most this many pixels
            (aspect ratio kept; never upscaled).
        start_frame : int
            Index of the first frame yielded (frames before it are decoded but not returned).
        raw : bool
            Yield the decoded frames as stored (not downscaled, not rotated); turn them with
            :meth:`upright`, e.g. to several sizes from one decoding pass.

        Yields
        ------
        index : int
            0-based frame index in the video.
        timestamp_s : float
            Presentation time of the frame, seconds from the start.
        frame : ndarray, shape (H, W, 3), uint8
            BGR image, upright, C-contiguous, owned by the caller.
        """
        stride, max_side_px, start_frame = _check_iter_args(stride, max_side_px, start_frame)
        self._require_open()
        if self.frames_grabbed:
            self.close()
            self._open()
        return self._generate(stride, max_side_px, start_frame, raw)

    def _generate(
        self, stride: int, max_side_px: int | None, start_frame: int, raw: bool = False
    ) -> Iterator[Frame]:
        cap = self._require_open()
        limit = self._frame_limit()
        index = -1
        next_index = start_frame
        failed = 0
        last_index, last_t_s = -1, 0.0
        use_pts = True
        while cap is self._cap:  # a newer frames() call or close() ends this pass
            if index + 1 >= limit:
                self._warn(NoticeCode.STOPPED_AT_MAX_DURATION,
                           f"stopped after {limit} frames (longer than max_duration_s)")
                break
            if not self._grab(cap):
                break
            index += 1
            self.frames_grabbed = index + 1
            if index < next_index:
                continue
            next_index = index + stride
            t_s: float | None = None
            if use_pts:
                ms = cap.get(cv2.CAP_PROP_POS_MSEC)
                if math.isfinite(ms) and ms >= 0 and (last_index < 0 or ms / 1000.0 > last_t_s):
                    t_s = ms / 1000.0
                else:
                    use_pts = False
                    self._warn(
                        NoticeCode.BAD_TIMESTAMPS,
                        f"time stamps missing or not increasing from frame {index}; "
                        "using 1/fps spacing from there"
                    )
            if t_s is None:
                t_s = (
                    last_t_s + (index - last_index) / self.fps
                    if last_index >= 0
                    else index / self.fps
                )
            frame = self._retrieve(cap)
            if frame is None:
                failed += 1
                continue
            last_index, last_t_s = index, t_s
            yield index, t_s, frame if raw else self._upright(frame, max_side_px)
        if cap is not self._cap:
            return
        n = index + 1
        expected = self._meta.frame_count if self._meta is not None else self.declared_frame_count
        if _is_short(expected, n):
            self._warn(NoticeCode.TRUNCATED,
                       f"truncated or corrupt: decoding stopped after {n} of {expected} frames")
        if failed:
            self._warn(NoticeCode.UNDECODABLE_FRAMES,
                       f"{failed} frame(s) could not be decoded and were skipped")

    def _scan(self) -> tuple[int, int, int, bool]:
        """Decode frame 0 for the upright size and count frames (probe's work).

        Returns
        -------
        n_frames : int
            Decodable frames (counted), or the container's count when trusted.
        width, height : int
            Upright size of frame 0 in pixels.
        hit_limit : bool
            True if counting stopped at the duration guard.
        """
        cap = self._require_open()
        if self.frames_grabbed:
            self.close()
            self._open()
            cap = self._require_open()
        declared = self.declared_frame_count
        frame = self._retrieve(cap) if self._grab(cap) else None
        if frame is None:
            hint = f" (container declares {declared}: truncated or corrupt)" if declared else ""
            raise VideoError(f"video has no decodable frames (0 frames): {self.name}{hint}")
        height, width = self._upright(frame, None).shape[:2]
        self.first_frame_luma = mean_luma(frame)
        n = 1
        limit = self._frame_limit()
        if (
            self.cfg.verify_frame_count
            or declared is None
            or declared / self.fps > self.cfg.max_duration_s
        ):
            while n < limit and self._grab(cap):
                n += 1
        else:
            n = declared
        self.frames_grabbed = n
        return n, width, height, n >= limit


PIXEL_ASPECT_TOLERANCE = 0.01
"""Sample aspect ratios this close to 1 are taken as square pixels."""


def pixel_aspect(num: float, den: float) -> float:
    """Width of a stored pixel over its height (the sample aspect ratio); 1.0 when unknown.

    Anamorphic video (DV and HDV camcorders, some broadcast formats) stores pixels wider or
    narrower than tall: a 720 x 576 PAL 16:9 frame displays 1024 x 576. Angles measured on
    the stored pixels would be skewed, so frames are stretched to their display width.
    """
    if not (math.isfinite(num) and math.isfinite(den) and num > 0 and den > 0):
        return 1.0
    aspect = num / den
    if abs(aspect - 1.0) <= PIXEL_ASPECT_TOLERANCE or not 0.25 <= aspect <= 4.0:
        return 1.0
    return aspect


def mean_luma(frame: np.ndarray) -> float:
    """Mean luminance of a BGR (or grey) frame, 0-255 (ITU-R BT.601 luma weights)."""
    grey = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    return float(grey.mean())


def probe_video(
    path: PathLike, cfg: VideoConfig = _DEFAULT_CFG, count_frames: bool | None = None
) -> VideoMeta:
    """Check a video file and describe it.

    Decodes frame 0 (for the upright size) and, when ``cfg.verify_frame_count`` is on or the
    container's count is missing or implausible, grabs every frame to count the decodable
    ones (no colour conversion; roughly 1 ms per 720p frame). The SHA-256 of the content is
    computed last, so a bad file is refused before it is read in full.

    Parameters
    ----------
    path : str or PathLike
        Video file.
    cfg : VideoConfig
        Limits: ``min_fps``/``max_fps`` (frames/s), ``max_duration_s`` (s), ``min_frames``.
    count_frames : bool, optional
        Override ``cfg.verify_frame_count``: False when the caller decodes every frame
        anyway and corrects the count afterwards with :func:`counted_meta` (the pose stage
        does), so the file is not decoded twice.

    Returns
    -------
    VideoMeta
        ``width``/``height`` after rotation (pixels), ``fps`` (frames/s), ``frame_count``,
        ``rotation_deg`` (clockwise, 0/90/180/270), ``codec`` (fourcc), the container's
        ``declared_frame_count`` and ``warnings`` (e.g. truncation).

    Raises
    ------
    VideoError
        For every refusal in the module's policy table.
    """
    p = Path(path)
    if count_frames is not None and count_frames != cfg.verify_frame_count:
        cfg = cfg.model_copy(update={"verify_frame_count": count_frames})
    with VideoReader(p, cfg) as reader:
        n, width, height, hit_limit = reader._scan()
        declared = reader.declared_frame_count
        name = reader.name
        if n < cfg.min_frames:
            hint = (
                f" of {declared} declared: truncated or corrupt"
                if declared is not None and n < declared
                else ""
            )
            raise VideoError(
                f"too few frames in {name}: {n} decodable{hint}, at least {cfg.min_frames} needed"
            )
        if min(width, height) < cfg.min_side_px:
            raise VideoError(
                f"frame too small: {name} is {width}x{height} px, the short side must be at "
                f"least {cfg.min_side_px} px"
            )
        duration_s = n / reader.fps
        if hit_limit or duration_s > cfg.max_duration_s:
            more = "more than " if hit_limit else ""
            raise VideoError(
                f"video too long: {name} lasts {more}{duration_s:.1f} s "
                f"(max_duration_s is {cfg.max_duration_s:g} s)"
            )
        if _is_short(declared, n):
            reader._warn(NoticeCode.TRUNCATED, truncated_message(declared, n))
        elif declared is not None and declared != n:
            logger.debug("container declares %d frames, %d decodable", declared, n)
        luma = reader.first_frame_luma
        if luma < cfg.low_light_luma:  # a dark start (lens covered, fade-in)? look further on
            luma = max(luma, later_luma(p, n))
        if luma < cfg.low_light_luma:
            reader._warn(
                NoticeCode.LOW_LIGHT,
                f"low light: the picture's mean luminance is {luma:.0f}/255 (below "
                f"{cfg.low_light_luma:g}); leg landmarks are less reliable in the dark, film in "
                "better light"
            )
        fps, rotation_deg, codec = reader.fps, reader.rotation_deg, reader.codec
        warnings = tuple(reader.warnings)
    return VideoMeta(
        path=str(path),
        sha256=sha256_file(p),
        fps=fps,
        frame_count=n,
        width=int(width),
        height=int(height),
        rotation_deg=rotation_deg,
        codec=codec,
        declared_frame_count=declared,
        warnings=warnings,
        luma=round(luma, 2),
    )


LATER_LUMA_FRACTIONS = (0.25, 0.5, 0.75)
"""Where in a video whose first frame is dark ``later_luma`` looks, fractions of its frames."""


def later_luma(path: PathLike, n_frames: int) -> float:
    """Mean luminance (0-255) of the brightest of the frames at ``LATER_LUMA_FRACTIONS``.

    Read only when the first frame is dark, so that a clip starting on a covered lens or a
    fade-in is judged by its picture. NaN when none of those frames decodes.
    """
    cap = cv2.VideoCapture(str(path))
    best = float("nan")
    try:
        for fraction in LATER_LUMA_FRACTIONS:
            cap.set(cv2.CAP_PROP_POS_FRAMES, int(fraction * n_frames))
            ok, frame = cap.read()
            if ok and frame is not None and frame.size:
                luma = mean_luma(frame)
                best = luma if not best >= luma else best
    except cv2.error:
        pass
    finally:
        cap.release()
    return best


def counted_meta(
    meta: VideoMeta, n_decoded: int, warnings: Iterable[Notice] = (),
    cfg: VideoConfig = _DEFAULT_CFG,
) -> VideoMeta:
    """``meta`` with the frame count of a full decoding pass, checked as ``probe_video`` does.

    Parameters
    ----------
    meta : VideoMeta
        From ``probe_video(..., count_frames=False)``.
    n_decoded : int
        Frames grabbed by a pass over the whole video (``VideoReader.frames_grabbed``).
    warnings : iterable of Notice
        The pass's ``VideoReader.warnings``, added to ``meta.warnings``.
    cfg : VideoConfig
        ``min_frames`` and ``max_duration_s``.

    Raises
    ------
    VideoError
        Too few decodable frames, or longer than ``max_duration_s``.
    """
    name = _display_name(Path(meta.path))
    declared = meta.declared_frame_count
    if n_decoded < cfg.min_frames:
        hint = f" of {declared} declared: truncated or corrupt" if declared else ""
        raise VideoError(
            f"too few frames in {name}: {n_decoded} decodable{hint}, "
            f"at least {cfg.min_frames} needed"
        )
    if n_decoded / meta.fps > cfg.max_duration_s:
        raise VideoError(
            f"video too long: {name} lasts more than {n_decoded / meta.fps:.1f} s "
            f"(max_duration_s is {cfg.max_duration_s:g} s)"
        )
    extra = [w for w in warnings if w not in meta.warnings]
    if _is_short(declared, n_decoded):
        extra.append(Notice(code=NoticeCode.TRUNCATED, stage="video",
                            message=truncated_message(declared, n_decoded)))
    return dataclasses.replace(
        meta, frame_count=int(n_decoded), warnings=(*meta.warnings, *extra)
    )


def prefetch(items: Iterator[_T], depth: int = 8) -> Iterator[_T]:
    """Run ``items`` in a background thread, ``depth`` items ahead of the consumer.

    OpenCV releases the GIL while decoding, resizing and converting, so a decoding thread
    overlaps with inference in the caller's thread. Exceptions are re-raised in the
    consumer; closing the returned generator stops the thread.
    """
    q: queue.Queue = queue.Queue(maxsize=max(1, depth))
    stop = threading.Event()
    done = object()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        try:
            for item in items:
                if not put((None, item)):
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            put((exc, None))
            return
        finally:
            close = getattr(items, "close", None)
            if close is not None and stop.is_set():
                close()
        put((None, done))

    thread = threading.Thread(target=run, name="posescore-decode", daemon=True)
    thread.start()
    try:
        while True:
            exc, item = q.get()
            if exc is not None:
                raise exc
            if item is done:
                return
            yield item
    finally:
        stop.set()
        thread.join()


def iter_frames(
    path_or_meta: VideoSource,
    *,
    stride: int = 1,
    max_side_px: int | None = None,
    start_frame: int = 0,
    cfg: VideoConfig = _DEFAULT_CFG,
) -> Iterator[Frame]:
    """Iterate over upright BGR frames of a video; a thin wrapper over :class:`VideoReader`.

    Arguments and the file's basic checks (exists, regular, non-empty, not an image) are
    validated at call time; the capture is opened on first ``next()`` and released when the
    iterator is exhausted, closed or garbage-collected. Warnings (e.g. truncation) are
    logged; use :class:`VideoReader` to collect them.

    Parameters
    ----------
    path_or_meta : str, PathLike or VideoMeta
        The video, or its :func:`probe_video` result (then its fps and frame count are
        trusted, not re-checked).
    stride : int
        Yield every ``stride``-th frame, >= 1 (the others are only ``grab()``-ed).
    max_side_px : int, optional
        Downscale with ``INTER_AREA`` so the long side is at most this, pixels.
    start_frame : int
        Index of the first frame yielded.
    cfg : VideoConfig
        Plausibility limits used when a path (not a VideoMeta) is given.

    Yields
    ------
    index : int
        0-based frame index in the video: ``start_frame``, ``start_frame + stride``, ...
    timestamp_s : float
        Presentation time of the frame, seconds.
    frame : ndarray, shape (H, W, 3), uint8
        Upright BGR image.

    Raises
    ------
    VideoError
        For bad files (see the module docstring).
    ValueError
        For invalid ``stride``, ``max_side_px`` or ``start_frame``.
    """
    stride, max_side_px, start_frame = _check_iter_args(stride, max_side_px, start_frame)
    path = Path(path_or_meta.path) if isinstance(path_or_meta, VideoMeta) else Path(path_or_meta)
    _check_file(path)
    return _iter_frames(path_or_meta, cfg, stride, max_side_px, start_frame)


def _iter_frames(
    source: VideoSource,
    cfg: VideoConfig,
    stride: int,
    max_side_px: int | None,
    start_frame: int,
) -> Iterator[Frame]:
    with VideoReader(source, cfg) as reader:
        yield from reader.frames(stride=stride, max_side_px=max_side_px, start_frame=start_frame)
