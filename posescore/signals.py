"""Clean pose trajectories: mask, gap-fill, low-pass filter, scale by leg length, detect the view.

Everything here is a pure function of arrays. Image coordinates are pixels with y pointing
down, as delivered by :class:`posescore.types.PoseSequence`.
"""

from __future__ import annotations

import dataclasses
import logging
import warnings
from dataclasses import dataclass
from typing import Optional

import numpy as np
from scipy.ndimage import median_filter
from scipy.signal import butter, sosfiltfilt

from posescore.config import SignalConfig
from posescore.constants import (
    LEFT_ANKLE,
    LEFT_HIP,
    LEFT_KNEE,
    LEFT_SHOULDER,
    LEG_LANDMARKS,
    NOSE,
    RIGHT_ANKLE,
    RIGHT_HIP,
    RIGHT_KNEE,
    RIGHT_SHOULDER,
    SIDES,
    Side,
)
from posescore.geometry import (
    estimate_leg_length_px,
    finite_runs,
    leg_length_per_frame_px,
    nanmedian,
    trunk_angle_deg,
)
from posescore.types import PoseSequence

logger = logging.getLogger(__name__)

_MAX_NORMALISED_CUTOFF = 0.95
"""Highest Butterworth cut-off as a fraction of the Nyquist frequency."""

SWAPPABLE_LEG_JOINTS = ("knee", "ankle", "heel", "toe")
"""Leg landmarks that a pose estimator hands to the other leg together (not the hips)."""

LEG_SWAP_SWITCH_COST_LEGLEN = 0.2
"""``leg_swap_frames``: cost of one change of labelling, leg lengths of summed displacement."""

LEG_SWAP_PRIOR_LEGLEN_PER_S = 1.5
"""``leg_swap_frames``: cost of keeping the legs relabelled, leg lengths per second (0.05 per
frame at 30 frames/s): a stretch with the labels exchanged must buy its length with a jump."""

NEAR_LEG_MIN_EXCESS_LEGLEN = -0.015
"""``near_leg_excess``: below this (the leg labelled near looks at least 1.5 % of a leg length
shorter than the far one), the labels of a side view are exchanged for the whole walk."""


@dataclass(frozen=True, eq=False)
class Trajectories:
    """Cleaned landmark trajectories of one person.

    Attributes
    ----------
    xy_px : ndarray, shape (T, 33, 2)
        Gap-filled, low-pass filtered x, y in image pixels (y down); NaN where unknown.
    valid : ndarray of bool, shape (T, 33)
        True where ``xy_px`` is finite (observed or filled by interpolation).
    fps : float
        Frames per second.
    timestamps_s : ndarray, shape (T,)
        Time of each frame, s.
    leg_length_px : float
        Median hip-knee + knee-ankle length over frames and legs, px; NaN if unmeasurable.
    view : str
        Camera view, one of :data:`posescore.constants.VIEWS`.
    legs_relabelled : bool
        True when the leg labels of a side view were exchanged for the whole walk because
        the leg labelled near looked smaller than the far one (``near_leg_excess``).
    legs_exchanged : ndarray of bool, shape (T,), optional
        Frames whose knee and foot landmarks were given the other leg's name before
        measuring (``leg_swap_frames`` and the whole-walk renaming); None = none.
    """

    xy_px: np.ndarray
    valid: np.ndarray
    fps: float
    timestamps_s: np.ndarray
    leg_length_px: float
    view: str
    legs_relabelled: bool = False
    legs_exchanged: Optional[np.ndarray] = None

    @property
    def n_frames(self) -> int:
        """Number of frames T."""
        return int(self.xy_px.shape[0])

    def point(self, side: Side, joint: str) -> np.ndarray:
        """Pixel trajectory, shape (T, 2), of ``joint`` (a key of ``LEG_LANDMARKS[side]``)."""
        return self.xy_px[:, LEG_LANDMARKS[side][joint], :]

    @property
    def pelvis_px(self) -> np.ndarray:
        """Hip midpoint, shape (T, 2), px; NaN where either hip is unknown."""
        return 0.5 * (self.xy_px[:, LEFT_HIP, :] + self.xy_px[:, RIGHT_HIP, :])

    @property
    def xy_leglen(self) -> np.ndarray:
        """Landmarks relative to the pelvis in leg lengths, shape (T, 33, 2), y down."""
        return (self.xy_px - self.pelvis_px[:, None, :]) / self.leg_length_px

    @property
    def direction(self) -> int:
        """Facing direction in the image: +1 toes towards +x, -1 towards -x, 0 unknown."""
        return walking_direction(self.xy_px)


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


def clean_pose(pose: PoseSequence, cfg: SignalConfig) -> Trajectories:
    """Turn raw landmarks into cleaned trajectories and detect the camera view.

    Steps: where the pose estimator exchanged the left and right leg labels they are
    exchanged back (``leg_swap_frames``, if ``cfg.correct_leg_swaps``); landmarks with
    visibility below ``cfg.visibility_threshold`` become NaN; interior gaps of at most
    ``cfg.max_gap_s`` are filled by linear interpolation in time (longer gaps and the ends
    stay NaN, no value is carried forward); each contiguous finite run is low-pass filtered
    with a zero-phase Butterworth filter (runs too short to filter stay unfiltered); leg
    length and view are measured on the result.

    Parameters
    ----------
    pose : PoseSequence
        Raw landmarks, shape (T, 33, 4).
    cfg : SignalConfig
        Visibility threshold, gap length, cut-off and order.

    Returns
    -------
    Trajectories
    """
    lm = pose.landmarks
    xy = seen_xy(lm, cfg)
    posterior = cfg.view == "posterior" or (
        cfg.view is None and detect_view(xy, visibility=lm[:, :, 3]) == "posterior")
    mirrored = named_facing_camera(xy) if posterior else np.zeros(len(xy), dtype=bool)
    lm, xy = exchange_sides(lm, mirrored), exchange_sides(xy, mirrored)
    exchanged = np.zeros(len(xy), dtype=bool)
    if cfg.correct_leg_swaps:
        exchanged = leg_swap_frames(xy, pose.fps)
        lm, xy = swap_legs(lm, exchanged), swap_legs(xy, exchanged)
    visibility = lm[:, :, 3]
    seen = np.isfinite(xy).all(axis=2)
    max_gap_frames = int(np.floor(cfg.max_gap_s * pose.fps + 1e-9))
    xy = fill_gaps(xy, pose.timestamps_s, max_gap_frames)
    raw_leg_px = estimate_leg_length_px(xy)
    if np.isfinite(raw_leg_px):
        xy = despike_runs(
            xy, int(round(cfg.despike_window_s * pose.fps)), cfg.despike_min_leglen * raw_leg_px
        )
    xy = lowpass_runs(xy, pose.fps, cfg.lowpass_cutoff_hz, cfg.filter_order)
    leg_px = estimate_leg_length_px(xy)
    z = np.where(seen, lm[:, :, 2], np.nan)
    view = cfg.view or detect_view(xy, z=z, visibility=visibility)
    relabel = (
        cfg.correct_leg_swaps
        and view in ("sagittal_left", "sagittal_right")
        and near_leg_excess(xy, view.removeprefix("sagittal_")) < NEAR_LEG_MIN_EXCESS_LEGLEN
    )
    if relabel:
        xy = swap_legs(xy, np.ones(len(xy), dtype=bool))
    logger.debug("cleaned %d frames: leg length %.1f px, view %s", len(xy), leg_px, view)
    return Trajectories(
        xy_px=xy,
        valid=np.isfinite(xy).all(axis=2),
        fps=float(pose.fps),
        timestamps_s=pose.timestamps_s.copy(),
        leg_length_px=leg_px,
        view=view,
        legs_relabelled=relabel,
        legs_exchanged=exchanged ^ relabel ^ mirrored,
    )


SIDE_PAIRS: tuple[tuple[int, int], ...] = (
    (1, 4), (2, 5), (3, 6), (7, 8), (9, 10), *((i, i + 1) for i in range(11, 33, 2)))
"""MediaPipe landmark indices of the subject's left and right (eyes, ears, mouth, arms, legs)."""


def named_facing_camera(xy_px: np.ndarray) -> np.ndarray:
    """Frames (T,) whose landmarks put the subject's left hip and shoulder on the image right.

    That is how a body facing the camera lies; filmed from behind, the subject's left lies on
    the image left. Pose estimators trained mostly on people facing the camera often name a
    back view as if it faced the camera; ``clean_pose`` exchanges the names of such frames in
    posterior views.
    """
    hip_dx = xy_px[:, LEFT_HIP, 0] - xy_px[:, RIGHT_HIP, 0]
    sh_dx = xy_px[:, LEFT_SHOULDER, 0] - xy_px[:, RIGHT_SHOULDER, 0]
    return np.nan_to_num(hip_dx) + np.nan_to_num(sh_dx) > 0


def exchange_sides(landmarks: np.ndarray, frames: np.ndarray) -> np.ndarray:
    """Exchange every left and right landmark (``SIDE_PAIRS``) where ``frames`` (T,) is True.

    Returns a copy of ``landmarks`` (T, 33, C); all channels move.
    """
    left, right = (list(side) for side in zip(*SIDE_PAIRS))
    return _exchange(landmarks, frames, left, right)


def _exchange(
    landmarks: np.ndarray, frames: np.ndarray, left: list[int], right: list[int]
) -> np.ndarray:
    """A copy of ``landmarks`` (T, 33, C), landmarks ``left`` and ``right`` exchanged in frames."""
    out = landmarks.copy()
    if frames.any():
        out[np.ix_(frames, left)] = landmarks[np.ix_(frames, right)]
        out[np.ix_(frames, right)] = landmarks[np.ix_(frames, left)]
    return out


def seen_xy(landmarks: np.ndarray, cfg: SignalConfig) -> np.ndarray:
    """x, y (T, 33, 2) of the landmarks at or above the visibility threshold, NaN elsewhere."""
    seen = np.isfinite(landmarks[:, :, :2]).all(axis=2)
    seen &= landmarks[:, :, 3] >= cfg.visibility_threshold
    return np.where(seen[:, :, None], landmarks[:, :, :2], np.nan)


def leg_swap_frames(
    xy_px: np.ndarray,
    fps: float,
    switch_cost_leglen: float = LEG_SWAP_SWITCH_COST_LEGLEN,
    prior_leglen_per_s: float = LEG_SWAP_PRIOR_LEGLEN_PER_S,
) -> np.ndarray:
    """Frames in which the pose estimator has exchanged the left and right leg labels.

    Seen from the side, a pose estimator often hands the knee, ankle and foot landmarks of
    one leg to the other for a few frames around mid-swing (Stenum J, Rossi C, Roemmich RT.
    Two-dimensional video-based analysis of human gait using pose estimation. PLoS Comput
    Biol 2021;17:e1008935, who corrected such swaps before analysis). On the phantom,
    MediaPipe did so in runs of 4-11 frames, once per stride, in up to 17 % of the frames
    of a sagittal clip (``bench/events_check.py``). A swap shows as a jump of
    both legs' landmarks onto where the other leg just was. The labelling of each frame
    (as given or exchanged) is chosen by a two-state Viterbi path that minimises the summed
    frame-to-frame displacement of the ``SWAPPABLE_LEG_JOINTS`` of both legs (leg lengths),
    plus ``switch_cost_leglen`` per change of labelling and ``prior_leglen_per_s`` per second
    spent exchanged; so an exchanged stretch is kept only when the jumps at its ends cost more
    than it. Positions alone cannot tell the legs apart where they cross, so an exchange is
    undone from its jump back to the nearest crossing, and a stretch exchanged from the first
    frame on is kept as given when that is cheaper than relabelling it.

    Parameters
    ----------
    xy_px : ndarray, shape (T, 33, 2)
        Landmark positions, px; NaN where not seen.
    fps : float
        Frames per second.
    switch_cost_leglen, prior_leglen_per_s : float
        Costs of a change of labelling and of a second spent exchanged, leg lengths.

    Returns
    -------
    ndarray of bool, shape (T,)
        True where the legs should be exchanged; all False when the leg length is unknown or
        there are fewer than two frames.
    """
    n = xy_px.shape[0]
    swapped = np.zeros(n, dtype=bool)
    leg_px = estimate_leg_length_px(xy_px)
    if n < 2 or not (np.isfinite(leg_px) and leg_px > 0 and fps > 0):
        return swapped
    joints = [[LEG_LANDMARKS[side][j] for j in SWAPPABLE_LEG_JOINTS] for side in SIDES]
    left, right = (xy_px[:, idx, :] / leg_px for idx in joints)
    # a joint counts between two frames only when both legs have it in both frames
    both = np.isfinite(left).all(axis=2) & np.isfinite(right).all(axis=2)
    pair = both[1:] & both[:-1]

    def moved(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.where(pair, np.linalg.norm(a - b, axis=2), 0.0).sum(axis=1)

    kept = moved(left[1:], left[:-1]) + moved(right[1:], right[:-1])
    crossed = moved(left[1:], right[:-1]) + moved(right[1:], left[:-1])
    prior = prior_leglen_per_s / fps
    # Viterbi over the states "as given" (cost c0) and "exchanged" (c1), in plain floats
    c0, c1 = 0.0, prior
    from_other = np.zeros((n, 2), dtype=bool)  # the best way into a state at t is a change
    for t, (k, x) in enumerate(zip(kept.tolist(), (crossed + switch_cost_leglen).tolist()), 1):
        stay0, change0, stay1, change1 = c0 + k, c1 + x, c1 + k, c0 + x
        from_other[t] = (change0 < stay0, change1 < stay1)
        c0, c1 = min(stay0, change0), min(stay1, change1) + prior
    state = int(c1 < c0)
    for t in range(n - 1, -1, -1):
        swapped[t] = bool(state)
        if from_other[t, state]:
            state = 1 - state
    return swapped


def near_leg_excess(xy_px: np.ndarray, near: Side) -> float:
    """How much longer the leg labelled ``near`` looks than the other, leg lengths.

    Median over frames of the difference of the projected hip-knee + knee-ankle lengths,
    divided by the leg length (``estimate_leg_length_px``). Apparent size falls as 1 / depth
    (pinhole camera; Hartley R, Zisserman A. Multiple View Geometry, 2nd ed. 2004, ch. 6):
    seen from the side, with the legs about 0.2 m apart and the camera 3-8 m away, the near
    leg looks 2-7 % longer. A pose estimator's depth and visibility follow its labels, so
    they cannot tell which leg is near; the picture's perspective can. NaN when unmeasurable.
    """
    leg_px = estimate_leg_length_px(xy_px)
    if not (np.isfinite(leg_px) and leg_px > 0):
        return float("nan")
    far: Side = "left" if near == "right" else "right"
    excess_px = leg_length_per_frame_px(xy_px, near) - leg_length_per_frame_px(xy_px, far)
    return nanmedian(excess_px / leg_px)


def swap_legs(landmarks: np.ndarray, frames: np.ndarray) -> np.ndarray:
    """Exchange the left and right ``SWAPPABLE_LEG_JOINTS`` where ``frames`` (T,) is True.

    Returns a copy of ``landmarks`` (T, 33, C); all channels move (x, y, z, visibility).
    """
    left = [LEG_LANDMARKS["left"][j] for j in SWAPPABLE_LEG_JOINTS]
    right = [LEG_LANDMARKS["right"][j] for j in SWAPPABLE_LEG_JOINTS]
    return _exchange(landmarks, frames, left, right)


def despike_runs(
    values: np.ndarray, window_frames: int, min_deviation: float, n_sigmas: float = 3.0
) -> np.ndarray:
    """Hampel filter over time within each finite run: replace isolated glitches.

    A pose estimator sometimes throws a landmark onto the other leg for one or two frames
    (common in side views where the legs overlap). A sample further than ``n_sigmas``
    robust standard deviations (1.4826 x MAD) from the running median of ``window_frames``
    is replaced by that median; other samples are untouched, so gait waveforms keep their
    peaks (Pearson RK. Outliers in process modeling and identification. IEEE Trans Control
    Syst Technol 2002;10:55-63).

    Parameters
    ----------
    values : ndarray, shape (T, ...)
        Signals along axis 0.
    window_frames : int
        Odd window length, frames (an even one is increased by one); < 3 disables.
    min_deviation : float
        Smallest deviation treated as a glitch, in the units of ``values``.
    n_sigmas : float
        Outlier threshold in robust standard deviations.

    Returns
    -------
    ndarray, same shape
    """
    out = values.copy()
    if window_frames < 3:
        return out
    window_frames += 1 - window_frames % 2
    flat = out.reshape(out.shape[0], -1)
    # columns with the same finite run are filtered in one call (the window spans time only)
    by_run: dict[tuple[int, int], list[int]] = {}
    for col in range(flat.shape[1]):
        for start, stop in finite_runs(np.isfinite(flat[:, col])):
            if stop - start >= window_frames:
                by_run.setdefault((start, stop), []).append(col)
    size = (window_frames, 1)
    for (start, stop), cols in by_run.items():
        run = flat[start:stop, cols]
        median = median_filter(run, size=size, mode="nearest")
        deviation = np.abs(run - median)
        t, c = np.nonzero(deviation > min_deviation)  # only these can be glitches
        mad = _running_median_at(deviation, t, c, window_frames)
        glitch = deviation[t, c] > n_sigmas * 1.4826 * mad
        run[t[glitch], c[glitch]] = median[t[glitch], c[glitch]]
        flat[start:stop, cols] = run
    return out


def _running_median_at(
    values: np.ndarray, rows: np.ndarray, cols: np.ndarray, window_frames: int
) -> np.ndarray:
    """``median_filter(values, (window_frames, 1), mode="nearest")[rows, cols]``, cheaply.

    Computes the running median only at the asked entries (the few glitch candidates of a
    Hampel filter), falling back to the whole filter when they are many.
    """
    if rows.size * window_frames > values.size:
        return median_filter(values, size=(window_frames, 1), mode="nearest")[rows, cols]
    half = window_frames // 2
    padded = np.pad(values, ((half, half), (0, 0)), mode="edge")  # scipy's "nearest"
    windows = padded[rows[:, None] + np.arange(window_frames), cols[:, None]]
    return np.median(windows, axis=1)


def fill_gaps(values: np.ndarray, timestamps_s: np.ndarray, max_gap_frames: int) -> np.ndarray:
    """Linearly interpolate interior NaN gaps of at most ``max_gap_frames`` frames.

    Parameters
    ----------
    values : ndarray, shape (T, ...)
        Signals along axis 0; every trailing column is filled independently.
    timestamps_s : ndarray, shape (T,)
        Sample times used as the interpolation abscissa, s.
    max_gap_frames : int
        Longest run of missing frames that is filled; longer gaps and leading or trailing
        gaps stay NaN.

    Returns
    -------
    ndarray, same shape as ``values``
    """
    out = np.array(values, dtype=float, copy=True)
    if max_gap_frames < 1 or out.shape[0] < 3:
        return out
    flat = out.reshape(out.shape[0], -1)
    for col in range(flat.shape[1]):
        y = flat[:, col]
        finite = np.isfinite(y)
        if finite.all() or finite.sum() < 2:
            continue
        runs = finite_runs(~finite)
        known = np.flatnonzero(finite)
        for start, stop in runs:
            if start == 0 or stop == len(y) or stop - start > max_gap_frames:
                continue
            idx = np.arange(start, stop)
            y[idx] = np.interp(timestamps_s[idx], timestamps_s[known], y[known])
    return out


def lowpass_runs(values: np.ndarray, fps: float, cutoff_hz: float, order: int) -> np.ndarray:
    """Zero-phase Butterworth low-pass of each contiguous finite run along axis 0.

    The filter runs forward and backward (``filtfilt``, in second-order sections for
    numerical stability), so the effective order is ``2 * order`` and there is no phase lag.
    The cut-off is clamped to 0.95 of the Nyquist frequency. Runs not longer than the
    filter's default pad length are returned unfiltered.

    Parameters
    ----------
    values : ndarray, shape (T, K, D)
        K landmarks with D coordinates; a landmark's coordinates share one NaN pattern.
    fps : float
        Sampling rate, Hz.
    cutoff_hz : float
        -3 dB cut-off of the one-way filter, Hz.
    order : int
        Butterworth order of the one-way filter.

    Returns
    -------
    ndarray, shape (T, K, D)

    References
    ----------
    Winter DA. Biomechanics and Motor Control of Human Movement, 4th ed. Wiley 2009, ch. 2
    (low-pass filtering of marker trajectories).
    """
    out = np.array(values, dtype=float, copy=True)
    wn = min(cutoff_hz / (0.5 * fps), _MAX_NORMALISED_CUTOFF)
    sos = butter(order, wn, btype="low", output="sos")
    padlen = 3 * (2 * len(sos) + 1 - min((sos[:, 2] == 0).sum(), (sos[:, 5] == 0).sum()))
    # landmarks with the same finite run are filtered in one call (columns are independent)
    by_run: dict[tuple[int, int], list[int]] = {}
    for k in range(out.shape[1]):
        finite = np.isfinite(out[:, k, :]).all(axis=1)
        for start, stop in finite_runs(finite):
            if stop - start > padlen:
                by_run.setdefault((int(start), int(stop)), []).append(k)
    for (start, stop), ks in by_run.items():
        out[start:stop, ks, :] = sosfiltfilt(sos, out[start:stop, ks, :], axis=0)
    return out


def walking_direction(xy_px: np.ndarray) -> int:
    """Which way the feet point in the image, from the median sign of toe x - heel x.

    Parameters
    ----------
    xy_px : ndarray, shape (T, 33, 2)
        Image coordinates, px.

    Returns
    -------
    int
        +1 if the toes point towards image +x, -1 towards -x, 0 if unknown or undecided.
    """
    dx = np.concatenate(
        [
            xy_px[:, LEG_LANDMARKS[s]["toe"], 0] - xy_px[:, LEG_LANDMARKS[s]["heel"], 0]
            for s in SIDES
        ]
    )
    med = nanmedian(np.sign(dx))
    if not np.isfinite(med) or med == 0:
        return 0
    return 1 if med > 0 else -1


def camera_roll_deg(xy_px: np.ndarray) -> float:
    """Clockwise tilt of the picture, deg, read from the trunk.

    The median over frames of the angle of the trunk axis (hip midpoint to shoulder
    midpoint) from image up. A walking person leans the trunk a few degrees forward (at most
    5 deg in all 548 phantom clips and samples upright), so only a larger angle says the
    camera was tilted. NaN without a trunk in any frame.
    """
    return nanmedian(trunk_angle_deg(xy_px))


def level_landmarks(landmarks: np.ndarray, roll_deg: float, width: int, height: int) -> np.ndarray:
    """Landmarks (T, 33, >=2) turned by ``-roll_deg`` about the picture's centre (x, y only).

    Undoes a clockwise camera tilt of ``roll_deg`` (``camera_roll_deg``); other channels
    (depth, visibility) are kept.
    """
    out = np.array(landmarks, dtype=float, copy=True)
    a = np.radians(roll_deg)
    cx, cy = width / 2.0, height / 2.0
    dx, dy = out[..., 0] - cx, out[..., 1] - cy
    out[..., 0] = cx + dx * np.cos(a) + dy * np.sin(a)
    out[..., 1] = cy - dx * np.sin(a) + dy * np.cos(a)
    return out


FACING_CAMERA, FACING_AWAY = 2, -2
"""Labels of ``facing_per_frame`` for frontal and posterior frames (side views: +1 / -1)."""


def facing_per_frame(
    xy_px: np.ndarray,
    leg_px: float,
    *,
    frontal_min_ratio: float = 0.6,
    sagittal_max_ratio: float = 0.3,
    min_foot_leglen: float = 0.05,
) -> np.ndarray:
    """Which way the subject faces in each frame (``detect_view`` and ``walking_direction``).

    The rules of those two, applied frame by frame.

    Parameters
    ----------
    xy_px : ndarray, shape (T, 33, 2)
        Image coordinates, px; NaN where unseen.
    leg_px : float
        Leg length, px.
    frontal_min_ratio, sagittal_max_ratio : float
        Width-ratio thresholds of ``detect_view`` (shoulder plus hip width over leg length).
    min_foot_leglen : float
        Smallest mean |toe x - heel x| of the feet, leg lengths, for a side-view direction.

    Returns
    -------
    ndarray of int, shape (T,)
        ``FACING_CAMERA`` (2) or ``FACING_AWAY`` (-2) in wide (frontal/posterior) frames;
        +1 / -1 when the toes point to image +x / -x in narrow (side) frames; 0 otherwise.
    """
    out = np.zeros(xy_px.shape[0], dtype=int)
    if not (np.isfinite(leg_px) and leg_px > 0):
        return out
    hip_dx = xy_px[:, LEFT_HIP, 0] - xy_px[:, RIGHT_HIP, 0]
    sh_dx = xy_px[:, LEFT_SHOULDER, 0] - xy_px[:, RIGHT_SHOULDER, 0]
    feet = np.stack([
        xy_px[:, LEG_LANDMARKS[s]["toe"], 0] - xy_px[:, LEG_LANDMARKS[s]["heel"], 0] for s in SIDES
    ])
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # frames with neither foot: NaN
        ratio = (np.abs(hip_dx) + np.abs(sh_dx)) / leg_px
        foot = np.nanmean(feet, axis=0) / leg_px
        wide = ratio >= frontal_min_ratio
        order = np.sign(hip_dx + sh_dx)
        out[wide & (order > 0)] = FACING_CAMERA
        out[wide & (order < 0)] = FACING_AWAY
        side = (ratio <= sagittal_max_ratio) & (np.abs(foot) >= min_foot_leglen)
        out[side] = np.sign(foot[side]).astype(int)
    return out


def straight_walk_span(
    facing: np.ndarray, fps: float, min_bout_s: float = 1.5, smooth_s: float = 1.0
) -> tuple[int, int] | None:
    """Frames [start, stop) of the longest walk in one direction, when the subject turned.

    The labels of ``facing_per_frame`` are smoothed by a running majority over ``smooth_s``
    (unknown frames abstain); runs of one label at least ``min_bout_s`` long are walks.

    Returns
    -------
    (start, stop) or None
        The longest walk when walks in at least two directions were found; None when the
        subject kept one direction (or turned only briefly), so the whole clip is scored.
    """
    facing = np.asarray(facing, dtype=int)
    n = facing.size
    if n == 0 or not fps > 0:
        return None
    width = max(1, int(round(smooth_s * fps)))
    kernel = np.ones(width)
    labels = np.array([-2, -1, 1, 2])
    votes = np.stack([np.convolve(facing == v, kernel, mode="same") for v in labels])
    smooth = np.where(votes.max(axis=0) > 0, labels[np.argmax(votes, axis=0)], 0)
    edges = np.flatnonzero(np.diff(smooth)) + 1
    starts, stops = np.r_[0, edges], np.r_[edges, n]
    walks = [
        (int(a), int(b), int(smooth[a]))
        for a, b in zip(starts, stops)
        if smooth[a] != 0 and b - a >= min_bout_s * fps
    ]
    if len({label for _, _, label in walks}) < 2:
        return None
    start, stop, _ = max(walks, key=lambda w: w[1] - w[0])
    return start, stop


def detect_view(
    xy_px: np.ndarray,
    z: np.ndarray | None = None,
    visibility: np.ndarray | None = None,
    *,
    frontal_min_ratio: float = 0.6,
    sagittal_max_ratio: float = 0.3,
) -> str:
    """Classify the camera view from body widths, side order, depth and visibility.

    1. Width ratio: median over frames of (|hip_L.x - hip_R.x| + |shoulder_L.x -
       shoulder_R.x|) / leg length. At least ``frontal_min_ratio`` -> frontal or posterior;
       at most ``sagittal_max_ratio`` -> sagittal; in between (or unknown) -> oblique.
    2. Frontal vs posterior: the subject's left hip and shoulder on the image right
       (x_left > x_right) means the subject faces the camera (frontal). If the side order is
       undecided, a visible nose (median visibility >= 0.5) means frontal.
    3. Sagittal left vs right: the leg nearer the camera (smaller MediaPipe z, median over
       hip, knee and ankle and frames) names the view (``sagittal_left``: left leg near);
       without usable z, the leg with the higher median visibility is taken as near.

    Parameters
    ----------
    xy_px : ndarray, shape (T, 33, 2)
        Image coordinates, px.
    z : ndarray, shape (T, 33), optional
        MediaPipe relative depth (smaller = nearer the camera); NaN where unknown.
    visibility : ndarray, shape (T, 33), optional
        MediaPipe visibility in [0, 1].
    frontal_min_ratio, sagittal_max_ratio : float
        Width-ratio thresholds (dimensionless).

    Returns
    -------
    str
        One of :data:`posescore.constants.VIEWS`; ``"oblique"`` when undeterminable.
    """
    leg_px = estimate_leg_length_px(xy_px)
    if not (np.isfinite(leg_px) and leg_px > 0):  # no body, or every joint at one point
        return "oblique"
    hip_dx = xy_px[:, LEFT_HIP, 0] - xy_px[:, RIGHT_HIP, 0]
    sh_dx = xy_px[:, LEFT_SHOULDER, 0] - xy_px[:, RIGHT_SHOULDER, 0]
    ratio = nanmedian((np.abs(hip_dx) + np.abs(sh_dx)) / leg_px)
    if not np.isfinite(ratio):
        return "oblique"
    if ratio >= frontal_min_ratio:
        order = nanmedian(np.concatenate([np.sign(hip_dx), np.sign(sh_dx)]))
        if np.isfinite(order) and order != 0:
            return "frontal" if order > 0 else "posterior"
        nose_vis = nanmedian(visibility[:, NOSE]) if visibility is not None else float("nan")
        return "frontal" if np.isfinite(nose_vis) and nose_vis >= 0.5 else "posterior"
    if ratio > sagittal_max_ratio:
        return "oblique"
    near = _near_side(z, visibility)
    return "oblique" if near is None else f"sagittal_{near}"


def _near_side(z: np.ndarray | None, visibility: np.ndarray | None) -> Side | None:
    """Side whose leg is nearer the camera, from depth, else from visibility; None if unknown."""
    left = [LEFT_HIP, LEFT_KNEE, LEFT_ANKLE]
    right = [RIGHT_HIP, RIGHT_KNEE, RIGHT_ANKLE]
    if z is not None:
        dz = nanmedian((z[:, left] - z[:, right]).ravel())
        if np.isfinite(dz) and dz != 0:
            return "left" if dz < 0 else "right"
    if visibility is not None:
        dv = nanmedian((visibility[:, left] - visibility[:, right]).ravel())
        if np.isfinite(dv) and dv != 0:
            return "left" if dv > 0 else "right"
    return None
