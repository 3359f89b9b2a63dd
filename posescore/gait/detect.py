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

import numpy as np
from scipy.signal import find_peaks

from posescore.config import GaitConfig
from posescore.constants import FRONTAL_PLANE_VIEWS, Side
from posescore.gait.events import GaitEvents
from posescore.geometry import finite_runs
from posescore.signals.trajectories import Trajectories

logger = logging.getLogger(__name__)

VELOCITY_FRACTION = 0.1
"""Vertical method: fraction of the peak swing velocity that marks the end/start of a plateau."""

PERIOD_DISTANCE_FRACTION = 0.6
"""Events of one foot are at least this fraction of the dominant stride period apart."""

LANDING_SNAP_FRACTION = 0.3
"""Side views: a foot landing within this fraction of the stride period of a Zeni heel strike
replaces it (see ``snap_to_landings``)."""


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


def gradient_in_runs(signal: np.ndarray) -> np.ndarray:
    """Per-frame derivative (``np.gradient``) of a (T,) signal within each finite run.

    Units of ``signal`` per frame; NaN where the signal is NaN and in runs of one frame.
    """
    velocity = np.full_like(signal, np.nan)
    for start, stop in finite_runs(np.isfinite(signal)):
        if stop - start >= 2:
            velocity[start:stop] = np.gradient(signal[start:stop])
    return velocity


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
    if traj.view in FRONTAL_PLANE_VIEWS:
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
    velocity = gradient_in_runs(heel_fwd)
    ok = np.isfinite(velocity) & np.isfinite(heel_y_px)
    if ok.sum() < 10:
        return False
    low = heel_y_px[ok] >= np.quantile(heel_y_px[ok], 1.0 - floor_share)
    return bool(np.median(velocity[ok][low]) > 0)


def _vertical_heel_strikes(height: np.ndarray, distance: int, prominence: float) -> np.ndarray:
    """First frame after each swing apex where the downward speed < 10 % of its peak.

    ``height`` (T,) is the heel height above the pelvis reference (up positive).
    """
    velocity = gradient_in_runs(height)
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
