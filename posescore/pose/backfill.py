"""Backfill: stretches without a body tracked again, backwards from the body found after them.

See ``backfill_gaps`` for why and how; ``backfill_video`` runs it on a video's frames as
``PoseConfig.backfill_*`` ask.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable

import numpy as np

from posescore.config import Settings
from posescore.constants import LEFT_HIP, N_LANDMARKS
from posescore.geometry import finite_runs, hip_ankle_length_px, hip_centre_px
from posescore.pose.backend import PoseBackend
from posescore.pose.frames import FrameCursor, inference_frames
from posescore.pose.tracking import track_frames
from posescore.video import FrameSource

logger = logging.getLogger(__name__)


BACKFILL_LEAD_FRAMES = 5
"""Frames with a body after a gap that the backward track starts on; it must agree there with
the forward track (``BACKFILL_MATCH_LEGLEN``)."""
BACKFILL_MATCH_LEGLEN = 0.2
"""Largest median distance between the backward and forward tracks' leg landmarks on the lead
frames, leg lengths: beyond it the backward track found someone else and is not used."""
BACKFILL_MAX_STEP_LEGLEN = 0.5
"""Largest move of the hip centre between consecutive backward-tracked frames, leg lengths
(a walker's hips move some 0.05 per frame at 30 frames/s): a larger one is a jump to
someone else, and the gap is filled only up to it."""
_LEG_ROWS = slice(LEFT_HIP, N_LANDMARKS)  # hips, knees, ankles, heels, feet


def gaps_to_backfill(found: np.ndarray, min_frames: int, max_frames: int) -> list[tuple[int, int]]:
    """Frames [start, stop) without a body to track again backwards from frame ``stop``.

    Every run of at least ``min_frames`` frames without a body that a frame with one ends
    (so not a run at the end of the clip), cut to its last ``max_frames`` frames.
    """
    found = np.asarray(found, dtype=bool)
    return [
        (max(start, stop - max_frames), stop)
        for start, stop in finite_runs(~found)
        if stop < found.size and stop - start >= max(min_frames, 1)
    ]


def same_person(a: np.ndarray, b: np.ndarray, max_leglen: float = BACKFILL_MATCH_LEGLEN) -> bool:
    """Whether two tracks (K, 33, >=2) of the same frames, px, show the same legs.

    True when the median distance between their leg landmarks is at most ``max_leglen``
    leg lengths (hip to ankle of ``b``); False when either track has no body there.
    """
    apart_px = np.linalg.norm(a[:, _LEG_ROWS, :2] - b[:, _LEG_ROWS, :2], axis=-1).ravel()
    apart_px = apart_px[np.isfinite(apart_px)]
    leg = hip_ankle_length_px(b)
    if not (apart_px.size and leg > 0):  # NaN leg: no body in b
        return False
    return float(np.median(apart_px)) <= max_leglen * leg


def backfill_gaps(
    landmarks: np.ndarray,
    times_s: np.ndarray,
    read_frames: Callable[[int, int], list[tuple[int, float, np.ndarray]]],
    backend: PoseBackend,
    width: int,
    height: int,
    min_frames: int,
    max_frames: int,
    hold_repeats: bool = False,
) -> tuple[np.ndarray, int]:
    """Track stretches without a body again, backwards from the body found after each.

    MediaPipe finds a person with a detector that sees the whole frame at 224 px, then
    tracks them from their last landmarks at the person's own scale. Someone far down a
    corridor, or entering the picture, is missed until near or whole, although the tracker
    could follow them: a walker approaching a 1280 x 720 camera from 10 m was found in 50-66 %
    of the frames of phantom clips, in all of them tracked backwards from the first found
    frame (ankle error 3 px on a 79 px leg). For each gap (``gaps_to_backfill``) a fresh
    track starts on up to ``BACKFILL_LEAD_FRAMES`` frames with a body after it and runs back
    through the gap; it fills the gap from its end for as long as it holds the body, and only
    when it agrees with the forward track on those lead frames (``same_person``).

    Parameters
    ----------
    landmarks : ndarray, shape (T, 33, 4)
        Forward track, px (``track_frames``); NaN rows without a body.
    times_s : ndarray, shape (T,)
        Its frame times, s.
    read_frames : callable
        ``read_frames(first, last)``: the inference frames ``(index, t_s, rgb)`` of pose rows
        ``first`` to ``last`` inclusive, in order.
    backend, width, height, hold_repeats
        As for ``track_frames``; the backend is reset before each gap.
    min_frames, max_frames : int
        Shortest gap tracked again, and the most frames of one gap, frames.

    Returns
    -------
    landmarks : ndarray, shape (T, 33, 4)
        A copy with the gaps filled where the backward track held the body.
    n_filled : int
        Rows filled.
    """
    out = np.array(landmarks, dtype=float, copy=True)
    found = np.isfinite(out[:, :, 0]).any(axis=1)
    n_filled = 0
    for start, stop in gaps_to_backfill(found, min_frames, max_frames):
        lead = stop
        while lead < found.size and found[lead] and lead - stop < BACKFILL_LEAD_FRAMES:
            lead += 1
        frames = read_frames(start, lead - 1)
        if not frames:
            continue
        backend.reset()
        lm_back, t_back = track_frames(
            iter(frames[::-1]), backend, width, height, rgb=True, hold_repeats=hold_repeats
        )
        rows = np.clip(np.searchsorted(times_s, t_back), 0, found.size - 1)
        matched = np.isclose(times_s[rows], t_back, rtol=0.0, atol=1e-6)
        back = np.full_like(out, np.nan)
        back[rows[matched]] = lm_back[matched]
        if not same_person(back[stop:lead], out[stop:lead]):
            logger.info("backward track of frames %d-%d left the subject: not used", start, stop)
            continue
        leg_px = hip_ankle_length_px(out[stop:lead])
        row = stop - 1
        while row >= start and np.isfinite(back[row, :, 0]).any():
            step_px = np.linalg.norm(hip_centre_px(back[row]) - hip_centre_px(back[row + 1]))
            if not step_px <= BACKFILL_MAX_STEP_LEGLEN * leg_px:
                break  # the track jumped (to someone else): keep what came before
            out[row] = back[row]
            row -= 1
            n_filled += 1
    return out, n_filled


BACKFILL_MAX_MB = 512
"""Most memory the frames of one backfilled gap may take at inference size, MiB (with
``PoseConfig.backfill_max_s``, whichever allows fewer frames)."""


def backfill_video(
    source: FrameSource,
    settings: Settings,
    stride: int,
    landmarks: np.ndarray,
    times_s: np.ndarray,
    backend: PoseBackend,
) -> tuple[np.ndarray, int]:
    """``backfill_gaps`` on the video's frames, as ``PoseConfig.backfill_*`` ask.

    One pass of ``source``, from the first gap on.
    """
    cfg, meta = settings.pose, source.meta
    fps = meta.fps / stride
    scale = min(1.0, cfg.max_inference_side_px / max(meta.width, meta.height))
    frame_bytes = 3 * meta.width * meta.height * scale**2  # at most, at inference size
    min_frames = max(1, math.ceil(cfg.backfill_min_gap_s * fps - 1e-9))
    max_frames = max(1, min(
        int(cfg.backfill_max_s * fps), int(BACKFILL_MAX_MB * 2**20 / frame_bytes)
    ))
    gaps = gaps_to_backfill(np.isfinite(landmarks[:, :, 0]).any(axis=1), min_frames, max_frames)
    if not gaps:
        return landmarks, 0
    first = gaps[0][0] * stride  # rows never come before their frame index x stride
    frames = inference_frames(
        source, stride, cfg.max_inference_side_px, None, cfg.downscale_whole_factor,
        warm_start=first, start=first,
    )
    cursor = FrameCursor(frames)
    try:
        return backfill_gaps(
            landmarks, times_s,
            lambda a, b: cursor.take(times_s[a] - 1e-6, times_s[b] + 1e-6),
            backend, meta.width, meta.height, min_frames, max_frames,
            cfg.hold_repeated_frames,
        )
    finally:
        frames.close()
