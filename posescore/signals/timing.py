"""Frame times: put a pose with uneven or mislabelled frame times on an even grid.

Pure functions of arrays, times in seconds.
"""

from __future__ import annotations

import dataclasses
from typing import Optional

import numpy as np

from posescore.config import SignalConfig
from posescore.types import PoseSequence

FRAME_JITTER_FRACTION = 0.25
"""Frame intervals within this fraction of their median count as even (``even_frame_times``);
a grid time this close to a frame's takes that frame's values (``resample_frames``)."""
FRAME_RATE_TOLERANCE = 0.02
"""Relative difference between the frame times' rate and the declared fps that is ignored."""


def even_frame_times(
    timestamps_s: np.ndarray, fps: float, max_gap_s: float
) -> Optional[np.ndarray]:
    """Frame times on an even grid when the given ones are uneven or disagree with ``fps``.

    Every measure counts frames at ``fps``, which is right only when the frames are evenly
    spaced at that rate. A phone's variable frame rate, dropped frames, a recording paused
    and resumed, or a container whose average rate is not the rate filmed break this. The
    grid is spaced by the median frame interval (the rate of most of the video). A pause
    longer than ``max_gap_s`` (no frames) is not filled with grid times: it keeps
    ``floor(max_gap_s / step) + 1`` of them, one more than gap filling bridges, so that the
    pose stays empty there and nothing is measured across it, however long the pause.

    Parameters
    ----------
    timestamps_s : ndarray, shape (T,)
        Frame times, s, increasing.
    fps : float
        Declared frame rate, frames/s.
    max_gap_s : float
        Longest interval between frames that is not a pause, s.

    Returns
    -------
    ndarray, shape (N,) or None
        Grid times, s, increasing (evenly spaced except across pauses); None when every
        interval is within ``FRAME_JITTER_FRACTION`` of the median and the median agrees with
        ``1 / fps`` within ``FRAME_RATE_TOLERANCE``.
    """
    t = np.asarray(timestamps_s, dtype=float)
    if t.size < 3:
        return None
    dt = np.diff(t)
    step = float(np.median(dt))
    if not step > 0:
        return None
    even = np.all(np.abs(dt - step) <= FRAME_JITTER_FRACTION * step)
    if even and abs(1.0 / (step * fps) - 1.0) <= FRAME_RATE_TOLERANCE:
        return None
    pauses = np.flatnonzero(dt > max(max_gap_s, 1.5 * step))
    starts, stops = np.r_[0, pauses + 1], np.r_[pauses, t.size - 1]
    pause_rows = step * np.arange(1, int(np.floor(max_gap_s / step + 1e-9)) + 2)
    pieces = []
    for a, b in zip(starts, stops):
        pieces.append(t[a] + step * np.arange(int(np.floor((t[b] - t[a]) / step + 1e-6)) + 1))
        if b < t.size - 1:
            pieces.append(t[b] + pause_rows[t[b] + pause_rows < t[b + 1]])
    return np.concatenate(pieces)


def resample_frames(
    values: np.ndarray, timestamps_s: np.ndarray, times_s: np.ndarray, max_gap_s: float,
    snap_s: float = 0.0,
) -> np.ndarray:
    """Values (T, ...) at frame times ``timestamps_s`` linearly interpolated to ``times_s``.

    A new time within ``snap_s`` of a frame's takes that frame's values (no interpolation,
    so a repeated picture stays an exact repeat and fast motion is not damped); one between
    two frames more than ``max_gap_s`` apart (a pause in the recording) gets NaN, as does
    one next to a NaN value.

    Returns
    -------
    ndarray, shape (N, ...)
    """
    t = np.asarray(timestamps_s, dtype=float)
    new = np.asarray(times_s, dtype=float)
    right = np.clip(np.searchsorted(t, new, side="right"), 1, t.size - 1)
    left = right - 1
    span = t[right] - t[left]
    w = np.clip((new - t[left]) / np.where(span > 0, span, 1.0), 0.0, 1.0)
    at_left = (w <= 1e-9) | (new - t[left] <= snap_s)
    at_right = ~at_left & ((w >= 1.0 - 1e-9) | (t[right] - new <= snap_s))
    between = ~at_left & ~at_right
    shape = (-1,) + (1,) * (values.ndim - 1)
    with np.errstate(invalid="ignore"):
        out = (1.0 - w.reshape(shape)) * values[left] + w.reshape(shape) * values[right]
    out[at_left] = values[left[at_left]]
    out[at_right] = values[right[at_right]]
    out[between & (span > max_gap_s)] = np.nan
    return out


def evenly_timed(pose: PoseSequence, cfg: SignalConfig) -> tuple[PoseSequence, Optional[str]]:
    """``pose`` on an even time grid (``even_frame_times``), with a warning saying so.

    The landmarks are taken from the frame at each grid time or interpolated between the
    frames around it; across a pause longer than ``cfg.max_gap_s`` they stay NaN, so no
    stride spans it. Returns ``pose`` itself and None when its frames are already even at
    its fps.
    """
    grid = even_frame_times(pose.timestamps_s, pose.fps, cfg.max_gap_s)
    if grid is None:
        return pose, None
    step = float(np.median(np.diff(grid)))
    landmarks = resample_frames(
        pose.landmarks, pose.timestamps_s, grid, cfg.max_gap_s, FRAME_JITTER_FRACTION * step
    )
    dt = np.diff(pose.timestamps_s)
    pause = float(dt.max())
    rates = 1.0 / dt[dt > 0]
    if pause > cfg.max_gap_s:
        at_s = float(pose.timestamps_s[np.argmax(dt)])
        what = f"a pause of {pause:.1f} s in the frame times at {at_s:.1f} s"
    elif rates.max() - rates.min() > FRAME_JITTER_FRACTION * rates.min():
        what = f"uneven frame times ({rates.min():.0f}-{rates.max():.0f} frames/s)"
    else:
        what = f"frame times at {1.0 / step:.1f} frames/s"
    warning = (
        f"{what}, declared {pose.fps:g} frames/s: the pose was re-timed to an even "
        f"{1.0 / step:.1f} frames/s before measuring"
    )
    timed = dataclasses.replace(pose, landmarks=landmarks, timestamps_s=grid, fps=1.0 / step)
    return timed, warning
