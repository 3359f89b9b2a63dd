"""Clean pose trajectories: relabel legs, mask, gap-fill, despike, low-pass, detect the view.

The signal stage's entry point; each step is a pure function of arrays in a sibling module.
Image coordinates are pixels with y pointing down, as delivered by
:class:`posescore.types.PoseSequence`.
"""

from __future__ import annotations

import logging

import numpy as np

from posescore.config import SignalConfig
from posescore.geometry import estimate_leg_length_px
from posescore.signals.despike import despike_runs
from posescore.signals.filtering import fill_gaps, lowpass_runs, seen_xy
from posescore.signals.labels import (
    NEAR_LEG_MIN_EXCESS_LEGLEN,
    exchange_sides,
    leg_swap_frames,
    near_leg_excess,
    swap_legs,
)
from posescore.signals.trajectories import Trajectories
from posescore.signals.view import detect_view, named_facing_camera
from posescore.types import PoseSequence

logger = logging.getLogger(__name__)


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
