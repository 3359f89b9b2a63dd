"""Gait events (heel strike, toe off), strides and temporal gait parameters.

Two detectors, chosen by the camera view:

- sagittal and oblique views: Zeni et al. (2008), the foot position relative to the pelvis
  along the walking direction. Heel strike is a maximum of the heel's forward position, toe
  off a minimum of the toe's. Being relative to the pelvis, it works for walking across the
  frame and walking in place (treadmill) alike. Walking backward (the stance foot moves
  forward relative to the pelvis) is detected and the method time-reversed: heel strike
  (initial contact, by the toe) is a minimum of the toe's forward position, toe off a
  maximum of the heel's. Walking backward the toe's extreme comes several frames before it
  lands, so each initial contact is moved to the toe's landing nearby (the vertical
  criterion below): see ``snap_to_landings``.
- frontal and posterior views: the vertical heel (and toe) trajectory in the image (not
  relative to the pelvis, which bobs during the stride). Heel strike is the
  first frame after the swing apex at which the heel's downward velocity has fallen below
  10 % of its peak in that swing (the heel reaches its low plateau); toe off is the last frame
  before the toe's swing apex at which its upward velocity is still below 10 % of its peak.
  This is a velocity-threshold variant of the foot-velocity approach of O'Connor et al.
  (2007); see also Hreljac & Marshall (2000).

References
----------
Zeni JA, Richards JG, Higginson JS. Two simple methods for determining gait events during
treadmill and overground walking using kinematic data. Gait Posture 2008;27:710-714.

O'Connor CM, Thorpe SK, O'Malley MJ, Vaughan CL. Automatic detection of gait events using
kinematic data. Gait Posture 2007;25:469-474.

Hreljac A, Marshall RN. Algorithms to determine event timing during normal walking using
kinematic data. J Biomech 2000;33:783-786.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
from scipy.signal import find_peaks

from posescore.config import GaitConfig
from posescore.constants import SIDES, Side
from posescore.geometry import finite_runs
from posescore.signals.trajectories import Trajectories

logger = logging.getLogger(__name__)

MISSED_EVENT_RATIO = 1.6
"""A stride longer than this multiple of the side's median stride spans a missed heel strike."""

VELOCITY_FRACTION = 0.1
"""Vertical method: fraction of the peak swing velocity that marks the end/start of a plateau."""

PERIOD_DISTANCE_FRACTION = 0.6
"""Events of one foot are at least this fraction of the dominant stride period apart."""

LANDING_SNAP_FRACTION = 0.3
"""Side views: a foot landing within this fraction of the stride period of a Zeni heel strike
replaces it (see ``snap_to_landings``)."""

_VERTICAL_VIEWS = ("frontal", "posterior")


def dominant_period_frames(signal: np.ndarray, min_lag: int, max_lag: int) -> int | None:
    """Stride period of a (T,) signal from the first autocorrelation peak, frames.

    NaNs are interpolated over and the mean removed first. Returns None when no lag in
    ``[min_lag, max_lag]`` has an autocorrelation peak above 0.3 (no clear rhythm).
    """
    finite = np.isfinite(signal)
    if finite.sum() < 2 * max(min_lag, 2):
        return None
    t = np.arange(signal.size)
    x = np.interp(t, t[finite], signal[finite])
    x = x - x.mean()
    denom = float(np.dot(x, x))
    if denom <= 0:
        return None
    max_lag = min(max_lag, x.size - 2)
    lags = np.arange(max(min_lag, 1), max_lag + 1)
    if lags.size < 3:
        return None
    # unbiased estimate: each lag normalised by its overlap, so long lags are not damped
    acf = np.array([np.dot(x[:-lag], x[lag:]) / (x.size - lag) for lag in lags]) / (denom / x.size)
    peaks, _ = find_peaks(acf, height=0.3)
    return int(lags[peaks[0]]) if peaks.size else None


@dataclass(frozen=True, eq=False)
class GaitEvents:
    """Gait events of one leg.

    Attributes
    ----------
    side : {"left", "right"}
    heel_strike_idx : ndarray of int, shape (n_hs,)
        Frame indices of heel strikes, increasing.
    toe_off_idx : ndarray of int, shape (n_to,)
        Frame indices of toe offs, increasing.
    fps : float
        Frames per second, to convert frames to seconds.
    method : str
        ``"zeni"``, ``"zeni_backward"`` (walking backward), ``"vertical_heel"`` or
        ``"none"`` (no usable signal).
    min_stride_s, max_stride_s : float
        Plausible stride duration range, s; strides outside it are not used.
    unseen_idx : ndarray of int
        Frames without the body (the pelvis lost for longer than gap filling bridges, or a
        pause in the recording): no stride is measured across them.
    """

    side: Side
    heel_strike_idx: np.ndarray
    toe_off_idx: np.ndarray
    fps: float
    method: str = "none"
    min_stride_s: float = 0.0
    max_stride_s: float = float("inf")
    unseen_idx: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=int))

    @property
    def strides(self) -> np.ndarray:
        """Valid strides as ``[hs_start, hs_end]`` frame pairs, shape (n, 2).

        A stride joins consecutive heel strikes; it is dropped if it spans unseen frames
        (``unseen_idx``), if its duration is outside ``[min_stride_s, max_stride_s]``, or if
        it is longer than ``MISSED_EVENT_RATIO`` times the median of the remaining strides (a
        heel strike was missed inside it).
        """
        hs = np.asarray(self.heel_strike_idx, dtype=int)
        if hs.size < 2:
            return np.empty((0, 2), dtype=int)
        pairs = np.stack([hs[:-1], hs[1:]], axis=1)
        dur_s = (pairs[:, 1] - pairs[:, 0]) / self.fps
        unseen = np.asarray(self.unseen_idx, dtype=int)
        spans_unseen = (
            np.searchsorted(unseen, pairs[:, 0], side="right")
            < np.searchsorted(unseen, pairs[:, 1], side="left")
        )
        keep = (dur_s >= self.min_stride_s) & (dur_s <= self.max_stride_s) & ~spans_unseen
        if keep.any():
            keep &= dur_s <= MISSED_EVENT_RATIO * np.median(dur_s[keep])
        return pairs[keep]

    @property
    def stride_times_s(self) -> np.ndarray:
        """Duration of each valid stride, shape (n,), s."""
        s = self.strides
        return (s[:, 1] - s[:, 0]) / self.fps

    def toe_off_in(self, start: int, stop: int) -> int | None:
        """First toe off strictly inside the frame range (start, stop), or None."""
        to = np.asarray(self.toe_off_idx, dtype=int)
        inside = to[(to > start) & (to < stop)]
        return int(inside[0]) if inside.size else None

    @property
    def stance_fractions(self) -> np.ndarray:
        """Stance fraction (HS->TO over HS->HS) of each valid stride with a toe off, shape (m,)."""
        out = []
        for start, stop in self.strides:
            to = self.toe_off_in(start, stop)
            if to is not None:
                out.append((to - start) / (stop - start))
        return np.asarray(out, dtype=float)


def _empty(side: Side, fps: float, method: str, cfg: GaitConfig) -> GaitEvents:
    return GaitEvents(
        side=side,
        heel_strike_idx=np.empty(0, dtype=int),
        toe_off_idx=np.empty(0, dtype=int),
        fps=fps,
        method=method,
        min_stride_s=2 * cfg.min_step_time_s,
        max_stride_s=2 * cfg.max_step_time_s,
    )


def _peaks(signal: np.ndarray, distance: int, prominence: float) -> np.ndarray:
    """Peak indices of ``signal`` (T,), found separately in each finite run."""
    found = []
    for start, stop in finite_runs(np.isfinite(signal)):
        if stop - start >= 3:
            idx, _ = find_peaks(signal[start:stop], distance=distance, prominence=prominence)
            found.append(idx + start)
    return np.concatenate(found).astype(int) if found else np.empty(0, dtype=int)


def detect_gait_events(
    traj: Trajectories,
    side: Side,
    cfg: GaitConfig,
    *,
    prominence_leglen: float = 0.05,
) -> GaitEvents:
    """Detect heel strikes and toe offs of one leg.

    Parameters
    ----------
    traj : Trajectories
        Cleaned trajectories; ``traj.view`` chooses the method (see module docstring).
    side : {"left", "right"}
        The subject's leg.
    cfg : GaitConfig
        ``min_step_time_s`` sets the minimum distance between events of the same foot
        (``2 * min_step_time_s``, one per stride); step-time limits bound valid strides.
    prominence_leglen : float
        Minimum peak prominence, leg lengths.

    Returns
    -------
    GaitEvents
        Empty (method ``"none"``) when leg length, pelvis or walking direction is unknown.
    """
    fps = traj.fps
    leg = traj.leg_length_px
    if not (np.isfinite(leg) and leg > 0) or traj.n_frames < 3:
        return _empty(side, fps, "none", cfg)
    distance = max(1, int(round(2 * cfg.min_step_time_s * fps)))
    pelvis = traj.pelvis_px
    heel = traj.point(side, "heel")
    toe = traj.point(side, "toe")
    if traj.view in _VERTICAL_VIEWS:
        # Absolute image height, not relative to the pelvis: the pelvis bobs by several
        # centimetres over a stride, which shifted the detected plateaus by 2-4 frames
        # (phantom check). The stance foot is still in the image whether the subject
        # walks in place or towards / away from a fixed camera.
        heel_up = -heel[:, 1] / leg
        toe_up = -toe[:, 1] / leg
        hs = _vertical_heel_strikes(heel_up, distance, prominence_leglen)
        to = _vertical_toe_offs(toe_up, distance, prominence_leglen)
        method = "vertical_heel"
    else:
        direction = traj.direction
        if direction == 0:
            logger.debug("walking direction unknown: no gait events for %s leg", side)
            return _empty(side, fps, "none", cfg)
        heel_fwd = direction * (heel[:, 0] - pelvis[:, 0]) / leg
        toe_fwd = direction * (toe[:, 0] - pelvis[:, 0]) / leg
        period = dominant_period_frames(
            heel_fwd, distance, int(round(2 * cfg.max_step_time_s * fps))
        )
        if period is not None:
            distance = max(distance, int(PERIOD_DISTANCE_FRACTION * period))
        if walks_backward(heel_fwd, heel[:, 1]):
            # time-reversed Zeni: the toe lands at its most posterior position and the
            # heel leaves the floor at its most anterior one
            hs = _peaks(-toe_fwd, distance, prominence_leglen)
            to = _peaks(heel_fwd, distance, prominence_leglen)
            # the toe's posterior extreme comes 5-7 frames before it lands: snap to the landing
            landings = _vertical_heel_strikes(-toe[:, 1] / leg, distance, prominence_leglen)
            stride_frames = period or distance / PERIOD_DISTANCE_FRACTION
            max_shift = int(round(LANDING_SNAP_FRACTION * stride_frames))
            hs = snap_to_landings(hs, landings, max_shift, traj.n_frames)
            method = "zeni_backward"
        else:
            hs = _peaks(heel_fwd, distance, prominence_leglen)
            to = _peaks(-toe_fwd, distance, prominence_leglen)
            method = "zeni"
    logger.debug("%s leg: %d heel strikes, %d toe offs (%s)", side, hs.size, to.size, method)
    return GaitEvents(
        side=side,
        heel_strike_idx=hs,
        toe_off_idx=to,
        fps=fps,
        method=method,
        min_stride_s=2 * cfg.min_step_time_s,
        max_stride_s=2 * cfg.max_step_time_s,
        unseen_idx=np.flatnonzero(~np.isfinite(pelvis[:, 0])),
    )


def snap_to_landings(
    zeni_idx: np.ndarray, landing_idx: np.ndarray, max_shift: int, n_frames: int
) -> np.ndarray:
    """Move each Zeni heel strike to the foot's landing nearest to it (within ``max_shift``).

    Zeni's extreme of the foot's forward position relative to the pelvis falls in terminal
    swing while the foot still descends; how long before contact depends on step length and
    speed (phantom, exact joints: 1-2 frames in place at full steps, 3-4 walking across with
    shorter steps, 5-7 for the toe walking backward). The landing (the contact point's
    downward image velocity falling below 10 % of its swing peak, ``_vertical_heel_strikes``)
    marks contact itself. Zeni keeps the count and spacing of the events, robust to vertical
    noise; a heel strike with no landing nearby (clip edge, occluded foot) is moved by the
    median shift of the others, so that all strides are measured between like events.

    Parameters
    ----------
    zeni_idx, landing_idx : ndarray of int
        Event frames of the two methods, increasing.
    max_shift : int
        Largest move to a landing, frames.
    n_frames : int
        Frames in the video: an event moved out of it is dropped.

    Returns
    -------
    ndarray of int
        Heel strike frames, increasing, without duplicates; Zeni's unchanged when no event
        has a landing nearby.
    """
    zeni_idx = np.asarray(zeni_idx, dtype=int)
    landing_idx = np.asarray(landing_idx, dtype=int)
    if not zeni_idx.size or not landing_idx.size:
        return zeni_idx
    nearest = landing_idx[np.argmin(np.abs(landing_idx[None, :] - zeni_idx[:, None]), axis=1)]
    shift = nearest - zeni_idx
    snapped = np.abs(shift) <= max_shift
    if not snapped.any():
        return zeni_idx
    typical = int(round(float(np.median(shift[snapped]))))
    moved = np.unique(np.where(snapped, nearest, zeni_idx + typical))
    return moved[(moved >= 0) & (moved < n_frames)]


def walks_backward(heel_fwd: np.ndarray, heel_y_px: np.ndarray, floor_share: float = 0.3) -> bool:
    """Whether the foot moves forward relative to the pelvis while on the floor.

    In forward walking the stance foot travels backward relative to the pelvis; in backward
    walking forward. The stance frames are taken as the ``floor_share`` of frames in which
    the heel is lowest in the image (largest y); works walking in place and across.

    Parameters
    ----------
    heel_fwd : ndarray, shape (T,)
        Heel position relative to the pelvis along the facing direction, leg lengths.
    heel_y_px : ndarray, shape (T,)
        Heel image y, px (down).
    floor_share : float
        Share of frames taken as stance.

    Returns
    -------
    bool
        True for backward walking; False when forward or undecidable.
    """
    velocity = np.full_like(heel_fwd, np.nan)
    for start, stop in finite_runs(np.isfinite(heel_fwd)):
        if stop - start >= 2:
            velocity[start:stop] = np.gradient(heel_fwd[start:stop])
    ok = np.isfinite(velocity) & np.isfinite(heel_y_px)
    if ok.sum() < 10:
        return False
    low = heel_y_px[ok] >= np.quantile(heel_y_px[ok], 1.0 - floor_share)
    return bool(np.median(velocity[ok][low]) > 0)


def _vertical_heel_strikes(height: np.ndarray, distance: int, prominence: float) -> np.ndarray:
    """First frame after each swing apex where the downward speed < 10 % of its peak.

    ``height`` (T,) is the heel height above the pelvis reference (up positive).
    """
    velocity = np.full_like(height, np.nan)
    for start, stop in finite_runs(np.isfinite(height)):
        if stop - start >= 2:
            velocity[start:stop] = np.gradient(height[start:stop])
    apexes = _peaks(height, distance, prominence)
    out = []
    for i, apex in enumerate(apexes):
        stop = apexes[i + 1] if i + 1 < len(apexes) else len(height)
        window = velocity[apex:stop]
        finite = np.isfinite(window)
        if not finite.any():
            continue
        k_peak = int(np.nanargmin(window))
        peak = -window[k_peak]
        if not peak > 0:
            continue
        threshold = VELOCITY_FRACTION * peak
        speed = -window[k_peak:]
        after = np.flatnonzero(np.isfinite(speed) & (speed < threshold))
        if not after.size or not np.isfinite(speed[: after[0] + 1]).all():
            continue
        k = int(after[0])
        # sub-frame crossing between k - 1 and k, rounded to the nearest frame
        frac = (speed[k - 1] - threshold) / (speed[k - 1] - speed[k]) if k > 0 else 1.0
        out.append(apex + k_peak + int(round(k - 1 + frac)))
    return np.asarray(out, dtype=int)


def _vertical_toe_offs(height: np.ndarray, distance: int, prominence: float) -> np.ndarray:
    """Last frame before each swing apex where the upward speed < 10 % of its peak."""
    return (len(height) - 1 - _vertical_heel_strikes(height[::-1], distance, prominence))[::-1]


def _none_if_nan(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


CADENCE_DISAGREEMENT = 0.2
"""Event cadence further than this (relative) from the step-rhythm cadence is replaced by it."""


RHYTHM_MIN_STD_LEGLEN = 0.02
"""Smallest variation of the ankle separation that counts as stepping, leg lengths."""


def step_rhythm_cadence(traj: Trajectories, cfg: GaitConfig = GaitConfig()) -> float | None:
    """Cadence from the step rhythm of the two ankles' separation, steps/min.

    The distance between the ankles along the image axis that shows the steps (x in side and
    oblique views, y in frontal / posterior views) peaks once per step whichever leg is in
    front, so its period is the step time even when the pose estimator swaps the left and
    right leg labels (common for the far leg in side views), which corrupts per-leg events.

    Returns
    -------
    float or None
        ``60 / step period``; None without a clear rhythm. Integer-frame period: at 30 fps
        and ~17-frame steps the resolution is about 3 %.
    """
    fps = traj.fps
    leg = traj.leg_length_px
    if not (np.isfinite(leg) and leg > 0) or traj.n_frames < 3:
        return None
    axis = 1 if traj.view in _VERTICAL_VIEWS else 0
    gap = np.abs(traj.point("left", "ankle")[:, axis] - traj.point("right", "ankle")[:, axis])
    gap = gap / leg
    finite = gap[np.isfinite(gap)]
    if finite.size < 3 or np.std(finite) < RHYTHM_MIN_STD_LEGLEN:
        return None  # no stepping
    period = dominant_period_frames(
        gap,
        max(1, int(round(cfg.min_step_time_s * fps))),
        int(round(cfg.max_step_time_s * fps)),
    )
    return 60.0 * fps / period if period else None


def gait_summary(
    events_by_side: dict[Side, GaitEvents],
    fps: float,
    traj: Trajectories | None = None,
    cfg: GaitConfig = GaitConfig(),
) -> dict[str, float | None]:
    """Temporal gait parameters from both legs' events; never raises, None when unmeasurable.

    With ``traj`` the event cadence is checked against :func:`step_rhythm_cadence`: when they
    differ by more than ``CADENCE_DISAGREEMENT`` (left/right label swaps add events to a
    leg), the step-rhythm value is reported and ``cadence_source`` says so; unless the events
    give about twice the rhythm (the rhythm then found the stride, not the step).

    Cadence is robust to a missed heel strike: per leg, the number of strides between its
    first and last valid heel strike is ``round(span / median stride)``, so a missing event
    does not remove a stride; cadence = 2 strides x 60 / mean stride time, averaged over the
    legs that have strides. When frames without the body lie between those heel strikes (a
    pause in the recording), whose time the frames do not count, it is 2 x 60 / the median
    stride time.

    Parameters
    ----------
    events_by_side : dict
        ``{"left": GaitEvents, "right": GaitEvents}``; a side may be missing.
    fps : float
        Frames per second (used when the events do not carry their own).
    traj : Trajectories, optional
        Cleaned trajectories for the step-rhythm cadence check.
    cfg : GaitConfig
        Step-time limits of the step-rhythm search.

    Returns
    -------
    dict
        ``cadence_steps_per_min``, ``cadence_source`` (``events`` or ``step_rhythm``),
        ``stride_time_s`` (median of valid strides of both legs),
        ``stride_time_cv`` (std / mean of the same), ``step_count`` (heel strikes of both
        feet, int), ``{side}_stance_fraction`` and ``{side}_swing_fraction`` (means).
    """
    out: dict[str, float | None] = {}
    cadences = []
    all_strides = []
    step_count = 0
    for side in SIDES:
        ev = events_by_side.get(side)
        stance = ev.stance_fractions if ev is not None else np.empty(0)
        out[f"{side}_stance_fraction"] = _none_if_nan(np.mean(stance)) if stance.size else None
        out[f"{side}_swing_fraction"] = _none_if_nan(1.0 - np.mean(stance)) if stance.size else None
        if ev is None:
            continue
        step_count += int(np.asarray(ev.heel_strike_idx).size)
        strides = ev.strides
        if strides.size == 0:
            continue
        rate = ev.fps if ev.fps > 0 else fps
        times = (strides[:, 1] - strides[:, 0]) / rate
        all_strides.append(times)
        span_s = (strides[-1, 1] - strides[0, 0]) / rate
        unseen = np.asarray(ev.unseen_idx)
        if np.any((unseen > strides[0, 0]) & (unseen < strides[-1, 1])):
            # a pause or loss inside: frames do not count its time, the strides do
            cadences.append(2 * 60.0 / float(np.median(times)))
            continue
        n_strides = max(1, int(round(span_s / np.median(times))))
        cadences.append(2 * 60.0 * n_strides / span_s)
    pooled = np.concatenate(all_strides) if all_strides else np.empty(0)
    out["cadence_steps_per_min"] = float(np.mean(cadences)) if cadences else None
    out["cadence_source"] = "events" if cadences else None  # type: ignore[assignment]
    if traj is not None:
        rhythm = step_rhythm_cadence(traj, cfg)
        event_cadence = out["cadence_steps_per_min"]
        ratio = event_cadence / rhythm if rhythm and event_cadence else None
        # a ratio near 2 means the rhythm locked onto the stride, not the step (asymmetric
        # steps): the events are then more trustworthy
        harmonic = ratio is not None and abs(ratio - 2.0) < 2 * CADENCE_DISAGREEMENT
        if (
            rhythm is not None
            and not harmonic
            and (ratio is None or abs(ratio - 1.0) > CADENCE_DISAGREEMENT)
        ):
            logger.debug("event cadence %s replaced by step rhythm %.1f", event_cadence, rhythm)
            out["cadence_steps_per_min"] = rhythm
            out["cadence_source"] = "step_rhythm"  # type: ignore[assignment]
    out["stride_time_s"] = float(np.median(pooled)) if pooled.size else None
    out["stride_time_cv"] = float(np.std(pooled) / np.mean(pooled)) if pooled.size >= 2 else None
    out["step_count"] = step_count
    return out
