"""Swing clearance and landing of the phantom's feet: leg angles corrected against the floor.

A swing foot must neither scuff the floor nor hover above it before contact; the correction
acts on hip and knee flexion through the numerical sensitivity of the foot's height (m/deg).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

import numpy as np
from scipy.ndimage import gaussian_filter1d

from posescore.constants import SIDES, Side, other_side
from posescore.phantom.body import BodyDims
from posescore.phantom.kinematics.cycle import TOE_OFF_PHASE, LegAngles, smoothstep
from posescore.phantom.kinematics.skeleton import build_skeleton, lowest_sole_m

SWING_CLEARANCE_M = 0.015
"""Target lowest-sole clearance of the swing foot at mid-swing, m."""
_CLEARANCE_END_PHASE = 0.95
LANDING_START_PHASE = 0.85
"""From this phase to initial contact the swing foot descends onto the floor (see
``lower_for_landing``)."""
_DOUBLE_SUPPORT_END_PHASE = TOE_OFF_PHASE - 0.5
"""The other foot's toe-off: both feet are on the floor from initial contact to here."""


def _sole_height_and_gain(
    phases: dict[Side, np.ndarray], angles: dict[Side, LegAngles], dims: BodyDims,
    knee_too: bool,
) -> tuple[dict[Side, np.ndarray], dict[Side, np.ndarray]]:
    """Each foot's lowest sole height (T,), m, and its gain per deg of flexion.

    The gain is how much 1 deg more hip flexion (and knee flexion, ``knee_too``) raises the
    sole, m/deg, at least 2 mm (numerical sensitivity).
    """
    low = lowest_sole_m(build_skeleton(phases, angles, dims), dims)
    bump_knee = 1.0 if knee_too else 0.0
    bumped = {side: replace(a, hip_flexion_deg=a.hip_flexion_deg + 1.0,
                            knee_flexion_deg=a.knee_flexion_deg + bump_knee)
              for side, a in angles.items()}
    low_bumped = lowest_sole_m(build_skeleton(phases, bumped, dims), dims)
    gain = {side: np.clip(low_bumped[side] - low[side], 2e-3, None) for side in SIDES}
    return low, gain


LegCorrection = Callable[[Side, np.ndarray, np.ndarray, np.ndarray, LegAngles], LegAngles]
"""``(side, phase u, sole height above the other foot's m, gain m/deg, angles) -> angles``."""


def _correct_against_floor(
    phases: dict[Side, np.ndarray],
    angles: dict[Side, LegAngles],
    dims: BodyDims,
    iterations: int,
    knee_too: bool,
    correct: LegCorrection,
) -> dict[Side, LegAngles]:
    """Apply ``correct`` to both legs ``iterations`` times, measuring the soles before each pass.

    ``correct`` gets the phase within the stride, the height of the leg's lowest sole point
    above the other foot's (T,), m, and its gain (``_sole_height_and_gain``), m/deg.
    """
    for _ in range(iterations):
        low, gain = _sole_height_and_gain(phases, angles, dims, knee_too=knee_too)
        angles = {
            side: correct(side, np.mod(phases[side], 1.0), low[side] - low[other_side(side)],
                          gain[side], angles[side])
            for side in SIDES
        }
    return angles


def add_swing_clearance(
    phases: dict[Side, np.ndarray],
    angles: dict[Side, LegAngles],
    dims: BodyDims,
    samples_per_stride: float,
    iterations: int = 6,
    knee_share: dict[Side, float] | None = None,
) -> dict[Side, LegAngles]:
    """Add swing knee and hip flexion where a swing foot would scuff the floor.

    The swing foot's lowest sole point should clear the stance foot's by
    ``SWING_CLEARANCE_M`` times a half-sine over swing (0 at toe-off and at initial
    contact). The missing height is converted to knee flexion (plus half as much hip flexion)
    through the numerical sensitivity of the foot height, smoothed over time, and the
    correction is iterated.

    Parameters
    ----------
    phases : dict
        Gait phase per leg, (T,) strides, sampled uniformly in time.
    angles : dict
        Leg angles per leg.
    dims : BodyDims
        Segment dimensions.
    samples_per_stride : float
        Samples per stride, to smooth over about 4 % of a stride.
    iterations : int
        Correction passes.
    knee_share : dict, optional
        Share (0-1) of the extra flexion each leg's knee takes (default 1); a stiff knee
        takes less and the hip lifts the foot instead.

    Returns
    -------
    dict
        Leg angles with the extra swing flexion (at most 10 deg per pass) in
        ``hip_flexion_deg`` and ``knee_flexion_deg``.

    """
    sigma = max(1.0, 0.04 * samples_per_stride)

    def lift(
        side: Side, u: np.ndarray, above_m: np.ndarray, gain: np.ndarray, a: LegAngles
    ) -> LegAngles:
        swing = (u > TOE_OFF_PHASE) & (u < _CLEARANCE_END_PHASE)
        target = SWING_CLEARANCE_M * np.sin(
            np.pi * (u - TOE_OFF_PHASE) / (_CLEARANCE_END_PHASE - TOE_OFF_PHASE))
        deficit = np.where(swing, np.clip(target - above_m, 0.0, None), 0.0)
        extra = np.clip(gaussian_filter1d(deficit / gain, sigma), 0.0, 10.0)
        extra = extra * np.sin(np.pi * np.clip((u - TOE_OFF_PHASE) / (1 - TOE_OFF_PHASE),
                                               0.0, 1.0)) ** 0.5
        share = 1.0 if knee_share is None else knee_share[side]
        return replace(a, hip_flexion_deg=a.hip_flexion_deg + extra,
                       knee_flexion_deg=a.knee_flexion_deg + share * extra)

    return _correct_against_floor(phases, angles, dims, iterations, True, lift)


def lower_for_landing(
    phases: dict[Side, np.ndarray],
    angles: dict[Side, LegAngles],
    dims: BodyDims,
    samples_per_stride: float,
    iterations: int = 6,
) -> dict[Side, LegAngles]:
    """Take out hip flexion in terminal swing where the foot would hover above the floor.

    From ``LANDING_START_PHASE`` to initial contact the swing foot's lowest sole point
    should come down to the stance foot's along ``SWING_CLEARANCE_M * sin(pi * (u - toe
    off) / (1 - toe off))``, which reaches 0 at contact with a downward speed of about
    0.1 m/s. Without this the normative angles leave the heel about 1 cm up for several
    frames, and contact happens when the trailing foot rises, with no visible landing. The
    excess height becomes less hip flexion (numerical sensitivity, as in
    ``add_swing_clearance``), ramped in over 0.1 of a stride before and out over 0.2 after
    contact so that the angle stays smooth, and the correction is iterated.
    """
    sigma = max(1.0, 0.04 * samples_per_stride)

    def lower(
        side: Side, u: np.ndarray, above_m: np.ndarray, gain: np.ndarray, a: LegAngles
    ) -> LegAngles:
        late = u >= LANDING_START_PHASE
        double_support = u < _DOUBLE_SUPPORT_END_PHASE
        target = np.where(late, SWING_CLEARANCE_M * np.sin(
            np.pi * (u - TOE_OFF_PHASE) / (1 - TOE_OFF_PHASE)), 0.0)
        excess = np.where(late | double_support, np.clip(above_m - target, 0.0, None), 0.0)
        drop_deg = np.clip(gaussian_filter1d(excess / gain, sigma), 0.0, 8.0)
        ramp_in = smoothstep((u - LANDING_START_PHASE + 0.1) / 0.1)
        ramp_out = 1.0 - smoothstep((u - _DOUBLE_SUPPORT_END_PHASE) / 0.2)
        taper = np.where(u >= 0.5, ramp_in, ramp_out)
        return replace(a, hip_flexion_deg=a.hip_flexion_deg - drop_deg * taper)

    return _correct_against_floor(phases, angles, dims, iterations, False, lower)
