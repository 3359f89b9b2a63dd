"""Probing a video: check it and describe it (``VideoMeta``).

``counted_meta`` corrects the frame count after a full decoding pass instead.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable
from pathlib import Path

import cv2

from posescore.config import QualityConfig, VideoConfig
from posescore.contract.notices import Notice, NoticeCode
from posescore.errors import VideoError
from posescore.types import VideoMeta
from posescore.video.capture import is_short, truncated_message
from posescore.video.files import PathLike, display_name, sha256_file
from posescore.video.reader import DEFAULT_CFG, VideoReader, mean_luma

logger = logging.getLogger(__name__)


def probe_video(
    path: PathLike,
    cfg: VideoConfig = DEFAULT_CFG,
    count_frames: bool | None = None,
    low_light_luma: float = QualityConfig().low_light_luma,
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
    low_light_luma : float
        ``QualityConfig.low_light_luma`` (0-255): a darker first frame has later frames
        looked at, and a darker picture is warned about (``NoticeCode.LOW_LIGHT``).

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
    with probe_reader(path, cfg, count_frames) as reader:
        return describe(reader, path, low_light_luma)


def probe_reader(
    path: PathLike, cfg: VideoConfig = DEFAULT_CFG, count_frames: bool | None = None
) -> VideoReader:
    """A reader of ``path`` for :func:`describe`, counting frames as ``probe_video`` says."""
    if count_frames is not None and count_frames != cfg.verify_frame_count:
        cfg = cfg.model_copy(update={"verify_frame_count": count_frames})
    return VideoReader(Path(path), cfg)


def describe(
    reader: VideoReader, path: PathLike, low_light_luma: float = QualityConfig().low_light_luma
) -> VideoMeta:
    """``probe_video``'s checks and description of ``path``, with its reader (no frame read yet).

    The reader is left open; unless it counted the frames, its next pass starts from the
    frame 0 decoded here (``VideoReader.frames``).
    """
    cfg, p = reader.cfg, reader.path
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
    if is_short(declared, n):
        reader._warn(NoticeCode.TRUNCATED, truncated_message(declared, n))
    elif declared is not None and declared != n:
        logger.debug("container declares %d frames, %d decodable", declared, n)
    luma = reader.first_frame_luma
    if luma < low_light_luma:  # a dark start (lens covered, fade-in)? look further on
        luma = max(luma, later_luma(p, n))
    if luma < low_light_luma:
        reader._warn(
            NoticeCode.LOW_LIGHT,
            f"low light: the picture's mean luminance is {luma:.0f}/255 (below "
            f"{low_light_luma:g}); leg landmarks are less reliable in the dark, film in "
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
    cfg: VideoConfig = DEFAULT_CFG,
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
    name = display_name(Path(meta.path))
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
    if is_short(declared, n_decoded):
        extra.append(Notice(code=NoticeCode.TRUNCATED, stage="video",
                            message=truncated_message(declared, n_decoded)))
    return dataclasses.replace(
        meta, frame_count=int(n_decoded), warnings=(*meta.warnings, *extra)
    )
