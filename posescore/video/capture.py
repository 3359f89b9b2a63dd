"""OpenCV captures: opening one, and checking the properties and arguments read from it."""

from __future__ import annotations

import math
import operator
from pathlib import Path

import cv2

from posescore.config import VideoConfig
from posescore.errors import VideoError

_MAX_DECLARED_FRAMES = 2**31


def open_capture(path: Path) -> cv2.VideoCapture:
    """Open ``path`` with the FFmpeg backend when available (it reads rotation metadata).

    The absolute path is passed so that FFmpeg never reads ``name:rest`` as a protocol.
    """
    api = cv2.CAP_FFMPEG if cv2.videoio_registry.hasBackend(cv2.CAP_FFMPEG) else cv2.CAP_ANY
    try:
        return cv2.VideoCapture(str(path.resolve()), api)
    except cv2.error:
        return cv2.VideoCapture()  # not opened


def check_fps(fps: float, cfg: VideoConfig, name: str) -> float:
    """Return ``fps`` if it is a plausible frame rate (frames/s), else raise VideoError."""
    if not math.isfinite(fps) or fps <= 0:
        raise VideoError(f"fps missing or invalid in {name} (reported {fps:g}); cannot time frames")
    if fps < cfg.min_fps or fps > cfg.max_fps:
        raise VideoError(
            f"implausible fps in {name}: {fps:g} frames/s "
            f"(accepted {cfg.min_fps:g}-{cfg.max_fps:g})"
        )
    return float(fps)


def plausible_count(value: float) -> int | None:
    """Container frame count as int, or None when missing, non-positive or absurd."""
    if not math.isfinite(value) or value < 1 or value > _MAX_DECLARED_FRAMES:
        return None
    return int(round(value))


def size_prop(value: float) -> int:
    """Frame width or height property in pixels (0 if missing)."""
    return int(value) if math.isfinite(value) and value > 0 else 0


def fourcc(value: float) -> str:
    """Four-character codec code from ``CAP_PROP_FOURCC`` ("" if absent or unprintable)."""
    if not math.isfinite(value) or value <= 0:
        return ""
    code = int(value) & 0xFFFFFFFF
    text = "".join(chr((code >> (8 * i)) & 0xFF) for i in range(4)).strip("\x00 ")
    return text if text.isprintable() else ""


def is_short(declared: int | None, decoded: int) -> bool:
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


def check_iter_args(
    stride: int, max_side_px: int | None, start_frame: int
) -> tuple[int, int | None, int]:
    """Validated ``stride`` (>= 1), ``max_side_px`` (>= 1 or None) and ``start_frame``."""
    return (
        _int_at_least(stride, "stride", 1),
        None if max_side_px is None else _int_at_least(max_side_px, "max_side_px", 1),
        _int_at_least(start_frame, "start_frame", 0),
    )


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
