"""Gait kinematics of the phantom walker: normative joint angles, dystonia, forward kinematics.

World frame (metres): X forward (walking direction), Y up, Z the subject's right; the floor
is Y = 0. Every leg is computed in a leg frame (x forward, y up, z lateral, i.e. away from the
midline) and mirrored into the world for the left leg. All functions are pure: arrays in,
arrays out.

References
----------
Winter DA (2009). Biomechanics and Motor Control of Human Movement, 4th ed., Wiley:
normative sagittal joint angles of natural cadence walking (Appendix A), approximated here
by periodic cubic splines through key points.

"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy.interpolate import CubicSpline
from scipy.ndimage import gaussian_filter1d

from posescore.constants import SIDES, Side
from posescore.phantom.body import BodyDims, foot_shape
from posescore.phantom.expression import LegExpression

# --- normative gait cycle (0 = initial contact of the leg, 1 = its next initial contact) ---
_HIP_KNOTS = (
    (0.00, 0.10, 0.20, 0.30, 0.40, 0.50, 0.55, 0.62, 0.70, 0.80, 0.87, 0.94, 1.00),
    (30.0, 27.0, 18.0, 9.0, 0.0, -8.0, -10.0, -4.0, 12.0, 27.0, 32.0, 31.0, 30.0),
)
_KNEE_KNOTS = (
    (0.00, 0.06, 0.14, 0.25, 0.38, 0.45, 0.52, 0.60, 0.67, 0.72, 0.80, 0.88, 0.95, 1.00),
    (5.0, 13.0, 18.0, 12.0, 5.0, 6.0, 15.0, 37.0, 57.0, 60.0, 48.0, 22.0, 6.0, 5.0),
)
_ANKLE_DORSI_KNOTS = (
    (0.00, 0.07, 0.15, 0.30, 0.43, 0.50, 0.56, 0.62, 0.70, 0.80, 0.90, 1.00),
    (0.0, -5.0, -1.0, 5.0, 10.0, 7.0, -2.0, -15.0, -9.0, -1.0, 1.0, 0.0),
)


def _periodic_spline(knots: tuple[tuple[float, ...], tuple[float, ...]]) -> CubicSpline:
    return CubicSpline(np.asarray(knots[0]), np.asarray(knots[1]), bc_type="periodic")


_HIP_SPLINE = _periodic_spline(_HIP_KNOTS)
_KNEE_SPLINE = _periodic_spline(_KNEE_KNOTS)
_ANKLE_SPLINE = _periodic_spline(_ANKLE_DORSI_KNOTS)
HIP_MEAN_FLEXION_DEG = float(_HIP_SPLINE.integrate(0.0, 1.0))
"""Cycle mean of the normative hip flexion, deg; stride scaling acts around it."""

PELVIC_TILT_DEG = 10.0
"""Anterior pelvic tilt, deg: the thigh's angle to the vertical is hip flexion minus this."""

TOE_OFF_PHASE = 0.60
"""Nominal toe-off of the normative cycle, fraction of the stride."""

# --- dystonia on the affected leg: see ``expression`` for its components and severity ---
POSTURE_WINDOW_OFFSET = 1.0 - TOE_OFF_PHASE
"""A posture window runs from the toe-off before a heel strike to the next toe-off."""
POSTURE_RAMP = 0.2
"""Ramp in/out length of an isolated posture, fraction of the stride."""
KNEE_SWING_BASE_DEG = 10.0
"""Knee flexion below which a swing posture does not act: a stiff knee removes a share of
the swing flexion above it (normative peak about 60 deg)."""
TREMOR_BAND_HZ = (4.0, 8.0)
"""Frequency band of the phantom's irregular foot tremor, Hz."""
SWING_CLEARANCE_M = 0.015
"""Target lowest-sole clearance of the swing foot at mid-swing, m."""
_CLEARANCE_END_PHASE = 0.95
LANDING_START_PHASE = 0.85
"""From this phase to initial contact the swing foot descends onto the floor (see
``lower_for_landing``)."""
_DOUBLE_SUPPORT_END_PHASE = TOE_OFF_PHASE - 0.5
"""The other foot's toe-off: both feet are on the floor from initial contact to here."""


STRIDE_TIME_CV = 0.02
EXCURSION_CV = 0.03
"""Seeded stride-to-stride variation of stride time and joint excursions (both legs)."""

_RNG_STREAM_GAIT = 2
_RNG_STREAM_TREMOR = 5


# --- small rotation helpers: angle arrays (T,) in radians -> (T, 3, 3) ---
def _rot_x(a: np.ndarray) -> np.ndarray:
    c, s, o, i = np.cos(a), np.sin(a), np.zeros_like(a), np.ones_like(a)
    return np.stack([np.stack([i, o, o], -1), np.stack([o, c, -s], -1),
                     np.stack([o, s, c], -1)], -2)


def _rot_y(a: np.ndarray) -> np.ndarray:
    c, s, o, i = np.cos(a), np.sin(a), np.zeros_like(a), np.ones_like(a)
    return np.stack([np.stack([c, o, s], -1), np.stack([o, i, o], -1),
                     np.stack([-s, o, c], -1)], -2)


def _rot_z(a: np.ndarray) -> np.ndarray:
    c, s, o, i = np.cos(a), np.sin(a), np.zeros_like(a), np.ones_like(a)
    return np.stack([np.stack([c, -s, o], -1), np.stack([s, c, o], -1),
                     np.stack([o, o, i], -1)], -2)


def _apply(frames: np.ndarray, local: np.ndarray) -> np.ndarray:
    """(T, 3, 3) frames times a (3,) or (N, 3) local vector set -> (T, 3) or (T, N, 3)."""
    if local.ndim == 1:
        return np.einsum("tij,j->ti", frames, local)
    return np.einsum("tij,nj->tni", frames, local)


def _smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def normative_angles_deg(phase: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Normative sagittal hip flexion, knee flexion and ankle dorsiflexion, deg.

    Parameters
    ----------
    phase : ndarray
        Gait phase in strides (0 = initial contact); only the fractional part matters.

    Returns
    -------
    hip_flexion_deg, knee_flexion_deg, ankle_dorsiflexion_deg : ndarray
        Same shape as ``phase``. Approximates Winter (2009), natural cadence.

    """
    u = np.mod(phase, 1.0)
    return _HIP_SPLINE(u), _KNEE_SPLINE(u), _ANKLE_SPLINE(u)


def choose_posture_strides(probability: float, order: np.ndarray, u: float,
                           n_strides: int, bouts: bool = False) -> np.ndarray:
    """Mark strides with the posture: n of the candidates, n by stochastic rounding.

    Parameters
    ----------
    probability : float
        Share of candidate strides that carry the posture, 0-1.
    order : ndarray of int, shape (K,)
        Seeded permutation of the candidate stride indices.
    u : float
        Seeded uniform number in [0, 1) for rounding ``K * probability``.
    n_strides : int
        Length of the returned mask.
    bouts : bool
        False: the first n of ``order`` (scattered); True: n consecutive candidates from
        the rank of ``order[0]`` on (the posture comes in one bout).

    Returns
    -------
    ndarray of bool, shape (n_strides,)
        For a fixed ``order`` and ``u`` the chosen scattered sets are nested and grow with
        ``probability``; on average a share ``probability`` of the candidates is chosen.

    """
    n = len(order) if probability >= 1.0 else int(np.floor(probability * len(order) + u))
    present = np.zeros(n_strides, dtype=bool)
    if bouts and n:
        ranked = np.sort(order)
        start = min(int(np.searchsorted(ranked, order[0])), len(ranked) - n)
        present[ranked[start:start + n]] = True
    else:
        present[order[:n]] = True
    return present


def tremor_waveform(t_s: np.ndarray, seed: int) -> np.ndarray:
    """Irregular tremor of unit amplitude, (T,): frequency and amplitude wander in the band.

    The instantaneous frequency drifts within ``TREMOR_BAND_HZ`` and the amplitude between
    0.5 and 1 (smoothed noise over about 0.3 s), as dystonic tremor is irregular (Albanese
    et al. 2013, Mov Disord 28:863).
    """
    rng = np.random.default_rng([seed, _RNG_STREAM_TREMOR])
    if len(t_s) < 2:
        return np.zeros_like(t_s)
    dt = float(t_s[1] - t_s[0])
    sigma = max(1.0, 0.3 / dt)
    lo, hi = TREMOR_BAND_HZ

    def wander(scale: float) -> np.ndarray:
        x = gaussian_filter1d(rng.standard_normal(len(t_s)), sigma)
        return np.clip(x / (x.std() + 1e-12) * scale, -1.0, 1.0)

    freq_hz = 0.5 * (lo + hi) + 0.5 * (hi - lo) * wander(0.8)
    amplitude = 0.75 + 0.25 * wander(1.0)
    phase = 2.0 * np.pi * np.cumsum(freq_hz) * dt + rng.uniform(0.0, 2.0 * np.pi)
    return amplitude * np.sin(phase)


def posture_activation(phase: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Dystonic posture activation in [0, 1] over time.

    Posture window ``j`` runs from phase ``j - 0.4`` (toe-off before heel strike ``j``) to
    ``j + 0.6``. The posture ramps in smoothly over the first ``POSTURE_RAMP`` of a window
    unless the previous window also carries it, and out over the last part likewise.

    Parameters
    ----------
    phase : ndarray, shape (T,)
        Gait phase of the leg, strides; must lie within the windows covered by ``present``.
    present : ndarray of bool, shape (K,)
        Posture present per window index (window ``j`` contains heel strike ``j``).

    """
    shifted = phase + POSTURE_WINDOW_OFFSET
    j = np.floor(shifted).astype(int)
    w = shifted - j
    last = len(present) - 1
    cur = present[np.clip(j, 0, last)]
    prev = present[np.clip(j - 1, 0, last)]
    nxt = present[np.clip(j + 1, 0, last)]
    ramp_in = np.where(prev, 1.0, _smoothstep(w / POSTURE_RAMP))
    ramp_out = np.where(nxt, 1.0, _smoothstep((1.0 - w) / POSTURE_RAMP))
    return cur * ramp_in * ramp_out


@dataclass(frozen=True)
class LegAngles:
    """Joint angles of one leg over time, deg (arrays of shape (T,))."""

    hip_flexion_deg: np.ndarray
    hip_adduction_deg: np.ndarray
    knee_flexion_deg: np.ndarray
    ankle_plantarflexion_deg: np.ndarray
    foot_inversion_deg: np.ndarray
    foot_adduction_deg: np.ndarray
    toe_extension_dystonic_deg: np.ndarray
    toe_roll_weight: np.ndarray
    """1 in stance (toes may roll flat on the floor), 0 in swing."""
    activation: np.ndarray
    """Dystonic posture activation, 0-1."""


def _swing_window(u: np.ndarray) -> np.ndarray:
    """1 from early swing through initial contact, relaxing over loading response.

    It rises after toe off so that it does not stack on the normal push-off plantarflexion.
    """
    rise = _smoothstep((u - TOE_OFF_PHASE) / 0.12)
    relax = 1.0 - _smoothstep(u / 0.1)
    return np.where(u >= 0.5, rise, relax)


PEAK_SWING_FLEXION_DEG = float(_KNEE_SPLINE(0.72))
"""Peak swing knee flexion of the normative cycle, deg (about 60; Winter 2009)."""


def knee_stiffness(expression: LegExpression) -> float:
    """Share (0-1) of the swing knee flexion above ``KNEE_SWING_BASE_DEG`` a stiff knee loses."""
    return float(min(expression.knee_stiff_deg / (PEAK_SWING_FLEXION_DEG - KNEE_SWING_BASE_DEG),
                     1.0))


def leg_angles(
    phase: np.ndarray,
    expression: LegExpression,
    present: np.ndarray,
    hip_excursion_factor: np.ndarray,
    knee_excursion_factor: np.ndarray,
    amplitude_scale: float = 1.0,
    tremor: np.ndarray | None = None,
) -> LegAngles:
    """Joint angles of one leg: normative cycle, jitter and its dystonia expression.

    Parameters
    ----------
    phase : ndarray, shape (T,)
        Gait phase of the leg, strides (integers at initial contact).
    expression : LegExpression
        The leg's dystonia (``LegExpression()`` = healthy); every component acts while the
        posture is present (``posture_activation``).
    present : ndarray of bool, shape (K,)
        Posture present per posture window (see ``posture_activation``).
    hip_excursion_factor, knee_excursion_factor : ndarray, shape (K,)
        Seeded stride-to-stride factors (about 1) on the excursions, per stride index.
    amplitude_scale : float
        Global factor on hip and knee excursion (slow walking), 1 = normative.
    tremor : ndarray, shape (T,), optional
        Unit tremor waveform (``tremor_waveform``); scaled by ``expression.tremor_deg`` on
        the ankle and half as much on inversion.

    """
    e = expression
    hip_n, knee_n, dorsi_n = normative_angles_deg(phase)
    centres = np.arange(len(hip_excursion_factor)) + 0.5
    hip_jit = np.interp(phase, centres, hip_excursion_factor)
    knee_jit = np.interp(phase, centres, knee_excursion_factor)
    act = (posture_activation(phase, present) if e.posture_fraction > 0
           else np.zeros_like(phase))
    u = np.mod(phase, 1.0)
    swing = np.where(u >= TOE_OFF_PHASE, np.sin(np.pi * (u - TOE_OFF_PHASE)
                                                / (1.0 - TOE_OFF_PHASE)) ** 2, 0.0)
    stance = _smoothstep(u / 0.1) * (1.0 - _smoothstep((u - 0.5) / 0.12))
    timing = np.ones_like(u) if e.equinus_timing == "sustained" else _swing_window(u)
    equinus = e.equinus_deg * act * timing
    stride_cut = np.minimum(e.step_shortening * act, 0.7)
    stride_scale = amplitude_scale * hip_jit * (1.0 - stride_cut)
    hip = HIP_MEAN_FLEXION_DEG + (hip_n - HIP_MEAN_FLEXION_DEG) * stride_scale
    knee = knee_n * (0.5 + 0.5 * amplitude_scale) * knee_jit
    swing_flexion = np.where(u >= 0.5, np.clip(knee - KNEE_SWING_BASE_DEG, 0.0, None), 0.0)
    knee = knee - knee_stiffness(e) * swing_flexion * act
    knee = knee + act * (e.knee_steppage_deg * swing + e.knee_crouch_deg * stance)
    if e.knee_hyperextension_deg > 0:
        w = act * stance
        knee = (1.0 - w) * knee - w * e.knee_hyperextension_deg
    shake = np.zeros_like(u) if tremor is None else e.tremor_deg * act * tremor
    inversion = e.inversion_deg * act + 0.5 * shake
    return LegAngles(
        hip_flexion_deg=hip + 0.5 * e.knee_steppage_deg * act * swing,
        hip_adduction_deg=-e.circumduction_per_stiff * e.knee_stiff_deg * act * swing,
        knee_flexion_deg=knee,
        ankle_plantarflexion_deg=-dorsi_n * knee_jit + equinus + shake,
        foot_inversion_deg=inversion,
        foot_adduction_deg=-6.0 + e.adduction_deg * act,
        toe_extension_dystonic_deg=e.toe_extension_deg * act,
        toe_roll_weight=1.0 - _smoothstep((u - TOE_OFF_PHASE) / 0.1),
        activation=act,
    )


@dataclass(frozen=True)
class GaitPlan:
    """Seeded timing and stride-level randomness of one clip (independent of severity draws).

    ``cycle_starts_s`` are the left leg's model initial contacts (the right leg is half a
    stride later); per-stride arrays are indexed by stride number from ``cycle_starts_s[0]``.
    """

    cycle_starts_s: np.ndarray
    cadence_steps_per_min: float
    expression: dict[Side, LegExpression]
    posture_present: dict[Side, np.ndarray]
    hip_excursion_factor: dict[Side, np.ndarray]
    knee_excursion_factor: dict[Side, np.ndarray]


def plan_gait(
    seed: int,
    duration_s: float,
    expression: dict[Side, LegExpression],
    cadence_steps_per_min: float | None = None,
) -> GaitPlan:
    """Draw cadence, stride times, stride jitter and posture strides for a clip.

    Parameters
    ----------
    seed : int
        Clip seed (own random stream; the draws do not depend on the expression, so clips
        of one seed at different severities pair up stride for stride).
    duration_s : float
        Clip length, s.
    expression : dict
        The dystonia expression per leg (its ``posture_fraction`` and ``posture_pattern``
        choose the posture strides).
    cadence_steps_per_min : float, optional
        Cadence; None = drawn in 95-120 steps/min and reduced by the larger
        ``cadence_reduction`` of the two legs.

    """
    rng = np.random.default_rng([seed, _RNG_STREAM_GAIT])
    drawn_cadence = float(rng.uniform(95.0, 120.0))
    start_phase = float(rng.uniform(0.0, 1.0))
    if cadence_steps_per_min is None:
        slow = max(e.cadence_reduction for e in expression.values())
        cadence_steps_per_min = drawn_cadence * (1.0 - slow)
    stride_s = 120.0 / cadence_steps_per_min
    n = int(np.ceil(duration_s / stride_s / (1.0 - 3 * STRIDE_TIME_CV))) + 6
    jitter = np.clip(rng.normal(0.0, STRIDE_TIME_CV, n), -3 * STRIDE_TIME_CV, 3 * STRIDE_TIME_CV)
    strides = stride_s * (1.0 + jitter)
    starts = np.concatenate([[0.0], np.cumsum(strides)]) - (2.0 + start_phase) * stride_s
    present, hip_f, knee_f = {}, {}, {}
    for side in SIDES:
        e = expression[side]
        # Strides inside the clip and outside it are drawn separately, so the clip itself
        # shows the intended share of strides with the posture.
        begin, end = stride_spans_s(starts, side)
        in_clip = (end > 0.0) & (begin < duration_s)
        present[side] = np.zeros(len(in_clip), dtype=bool)
        for candidates in (np.flatnonzero(in_clip), np.flatnonzero(~in_clip)):
            order = rng.permutation(candidates)
            present[side] |= choose_posture_strides(
                e.posture_fraction, order, float(rng.uniform()), len(in_clip),
                bouts=e.posture_pattern == "bouts")
        hip_f[side] = 1.0 + np.clip(rng.normal(0.0, EXCURSION_CV, n + 1), -0.1, 0.1)
        knee_f[side] = 1.0 + np.clip(rng.normal(0.0, EXCURSION_CV, n + 1), -0.1, 0.1)
    return GaitPlan(
        cycle_starts_s=starts,
        cadence_steps_per_min=float(cadence_steps_per_min),
        expression=dict(expression),
        posture_present=present,
        hip_excursion_factor=hip_f,
        knee_excursion_factor=knee_f,
    )


def stride_spans_s(cycle_starts_s: np.ndarray, side: Side) -> tuple[np.ndarray, np.ndarray]:
    """Start and end times (s) of each model stride of a leg, indexed like the plan's arrays.

    The right leg's stride ``k`` starts half a left stride after the left's stride ``k``.
    """
    index = np.arange(len(cycle_starts_s), dtype=float)
    k = index[:-1] + (0.0 if side == "left" else 0.5)
    return np.interp(k, index, cycle_starts_s), np.interp(k + 1.0, index, cycle_starts_s)


def leg_phases(plan: GaitPlan, t_s: np.ndarray) -> dict[Side, np.ndarray]:
    """Gait phase (strides) of each leg at times ``t_s``; the right leg lags by half a stride."""
    left = np.interp(t_s, plan.cycle_starts_s, np.arange(len(plan.cycle_starts_s), dtype=float))
    return {"left": left, "right": left - 0.5}


@dataclass(frozen=True)
class Skeleton:
    """3D body over time, before the floor and progression are applied to the pelvis.

    ``points`` maps names (``left_knee``, ``pelvis``, ``head``...) to (T, 3) world positions in
    metres with the pelvis centre at X = 0, Y = 0. ``frames`` maps segment names to (T, 3, 3)
    linear maps from segment coordinates (x forward, y up, z lateral) to world; for the left
    side they include the mirror. ``angles`` holds the leg angles, ``toe_extension_deg`` the
    total toe (ball joint) extension per leg, deg.
    """

    points: dict[str, np.ndarray]
    frames: dict[str, np.ndarray]
    angles: dict[Side, LegAngles]
    toe_extension_deg: dict[Side, np.ndarray]


_MIRROR = {"left": np.diag([1.0, 1.0, -1.0]), "right": np.eye(3)}
_LATERAL_SIGN = {"left": -1.0, "right": 1.0}


def _soft_relu_deg(x: np.ndarray, width_deg: float = 2.0) -> np.ndarray:
    return 0.5 * (x + np.sqrt(x * x + width_deg * width_deg)) - 0.5 * width_deg


def build_skeleton(
    phases: dict[Side, np.ndarray], angles: dict[Side, LegAngles], dims: BodyDims
) -> Skeleton:
    """Forward kinematics of legs, trunk, arms and head, pelvis centre at the origin.

    Parameters
    ----------
    phases : dict
        Gait phase per leg, (T,) strides.
    angles : dict
        Leg angles per leg.
    dims : BodyDims
        Segment dimensions.

    """
    left_phase = phases["left"]
    cyc = 2.0 * np.pi * left_phase
    pelvis_yaw = np.deg2rad(4.0) * np.cos(cyc)  # left hip forward at left initial contact
    sway_to_left_m = 0.02 * np.sin(cyc)
    pelvis = np.stack([np.zeros_like(cyc), np.zeros_like(cyc), -sway_to_left_m], -1)
    points: dict[str, np.ndarray] = {"pelvis": pelvis}
    frames: dict[str, np.ndarray] = {}
    toe_ext: dict[Side, np.ndarray] = {}
    shape = foot_shape(dims)
    yaw_frame = _rot_y(-pelvis_yaw)
    for side in SIDES:
        a = angles[side]
        mirror = _MIRROR[side]
        hip = pelvis + _apply(yaw_frame, np.array([0.0, 0.0, _LATERAL_SIGN[side]
                                                   * dims.hip_half_width_m]))
        thigh_pitch_deg = a.hip_flexion_deg - PELVIC_TILT_DEG
        thigh = _rot_z(np.deg2rad(thigh_pitch_deg)) @ _rot_x(np.deg2rad(a.hip_adduction_deg))
        shank = thigh @ _rot_z(-np.deg2rad(a.knee_flexion_deg))
        foot = (shank @ _rot_y(np.deg2rad(a.foot_adduction_deg))
                @ _rot_z(-np.deg2rad(a.ankle_plantarflexion_deg))
                @ _rot_x(np.deg2rad(a.foot_inversion_deg)))
        toe_down_pitch_deg = -np.rad2deg(np.arcsin(np.clip(foot[:, 1, 0], -1.0, 1.0)))
        total_toe = _soft_relu_deg(toe_down_pitch_deg) * a.toe_roll_weight
        total_toe = total_toe + a.toe_extension_dystonic_deg
        toe = foot @ _rot_z(np.deg2rad(total_toe))
        knee = hip + _apply(mirror @ thigh, np.array([0.0, -dims.thigh_m, 0.0]))
        ankle = knee + _apply(mirror @ shank, np.array([0.0, -dims.shank_m, 0.0]))
        foot_w, toe_w = mirror @ foot, mirror @ toe
        mtp = ankle + _apply(foot_w, shape["mtp"])
        points.update({
            f"{side}_hip": hip,
            f"{side}_knee": knee,
            f"{side}_ankle": ankle,
            f"{side}_heel": ankle + _apply(foot_w, shape["heel"]),
            f"{side}_mtp": mtp,
            f"{side}_toe": mtp + _apply(toe_w, shape["toe_tip"]),
        })
        frames.update({f"{side}_thigh": mirror @ thigh, f"{side}_shank": mirror @ shank,
                       f"{side}_foot": foot_w, f"{side}_toe": toe_w})
        toe_ext[side] = total_toe

    lean = np.full_like(cyc, np.deg2rad(-4.0))
    trunk = _rot_y(0.6 * pelvis_yaw) @ _rot_z(lean)
    shoulder_mid = pelvis + _apply(trunk, np.array([0.0, dims.trunk_m, 0.0]))
    points["shoulder_mid"] = shoulder_mid
    points["head"] = shoulder_mid + _apply(trunk, np.array([0.02 * dims.height_m,
                                                            dims.neck_to_head_m, 0.0]))
    frames["trunk"] = trunk
    for side in SIDES:
        other = "right" if side == "left" else "left"
        mirror = _MIRROR[side]
        flexion = 0.8 * (angles[other].hip_flexion_deg - HIP_MEAN_FLEXION_DEG) - 2.0
        upper = _rot_z(np.deg2rad(flexion)) @ _rot_x(np.deg2rad(-8.0))
        fore = upper @ _rot_z(np.deg2rad(18.0 + 0.5 * np.clip(flexion, 0.0, None)))
        shoulder = shoulder_mid + _apply(trunk, np.array([0.0, 0.0, _LATERAL_SIGN[side]
                                                          * dims.shoulder_half_width_m]))
        elbow = shoulder + _apply(trunk @ mirror @ upper, np.array([0.0, -dims.upper_arm_m, 0]))
        wrist = elbow + _apply(trunk @ mirror @ fore, np.array([0.0, -dims.forearm_m, 0.0]))
        hand = wrist + _apply(trunk @ mirror @ fore, np.array([0.0, -0.5 * dims.hand_m, 0.0]))
        points.update({f"{side}_shoulder": shoulder, f"{side}_elbow": elbow,
                       f"{side}_wrist": wrist, f"{side}_hand": hand})
    return Skeleton(points=points, frames=frames, angles=dict(angles), toe_extension_deg=toe_ext)


def sole_points(skeleton: Skeleton, dims: BodyDims, side: Side) -> np.ndarray:
    """World positions of the shoe sole corners of one foot, (T, N, 3) metres."""
    shape = foot_shape(dims)
    ankle = skeleton.points[f"{side}_ankle"][:, None, :]
    mtp = skeleton.points[f"{side}_mtp"][:, None, :]
    rear = ankle + _apply(skeleton.frames[f"{side}_foot"], shape["rear_sole"])
    toe = mtp + _apply(skeleton.frames[f"{side}_toe"], shape["toe_sole"])
    return np.concatenate([rear, toe], axis=1)


def floor_offsets_m(
    skeleton: Skeleton, dims: BodyDims
) -> tuple[np.ndarray, dict[Side, np.ndarray]]:
    """Pelvis height that puts the lowest sole point on the floor, and each foot's clearance.

    Returns
    -------
    pelvis_height_m : ndarray, shape (T,)
        Pelvis centre height above the floor, m.
    clearance_m : dict
        Per leg, (T,) height of that foot's lowest sole point above the floor, m (>= 0).

    """
    lowest = {side: sole_points(skeleton, dims, side)[:, :, 1].min(axis=1) for side in SIDES}
    pelvis_height = -np.minimum(lowest["left"], lowest["right"])
    return pelvis_height, {side: lowest[side] + pelvis_height for side in SIDES}


def no_slip_progression_m(skeleton: Skeleton, dims: BodyDims) -> np.ndarray:
    """Pelvis forward position that keeps the lowest (supporting) sole point still, m.

    Integrates, sample by sample, minus the forward motion (relative to the pelvis) of the
    sole point that is lowest at that sample. Sample finely (several per video frame).

    Returns
    -------
    ndarray, shape (T,)
        Pelvis X, starting at 0.

    """
    soles = np.concatenate([sole_points(skeleton, dims, s) for s in SIDES], axis=1)
    contact = np.argmin(soles[:, :, 1], axis=1)
    x = soles[:, :, 0]
    idx = np.arange(len(contact))
    step = x[idx[1:], contact[1:]] - x[idx[:-1], contact[1:]]
    return np.concatenate([[0.0], -np.cumsum(step)])


def _lowest_sole_m(skeleton: Skeleton, dims: BodyDims) -> dict[Side, np.ndarray]:
    return {side: sole_points(skeleton, dims, side)[:, :, 1].min(axis=1) for side in SIDES}


def _sole_height_and_gain(
    phases: dict[Side, np.ndarray], angles: dict[Side, LegAngles], dims: BodyDims,
    knee_too: bool,
) -> tuple[dict[Side, np.ndarray], dict[Side, np.ndarray]]:
    """Each foot's lowest sole height (T,), m, and its gain per deg of flexion.

    The gain is how much 1 deg more hip flexion (and knee flexion, ``knee_too``) raises the
    sole, m/deg, at least 2 mm (numerical sensitivity).
    """
    low = _lowest_sole_m(build_skeleton(phases, angles, dims), dims)
    bump_knee = 1.0 if knee_too else 0.0
    bumped = {side: replace(a, hip_flexion_deg=a.hip_flexion_deg + 1.0,
                            knee_flexion_deg=a.knee_flexion_deg + bump_knee)
              for side, a in angles.items()}
    low_bumped = _lowest_sole_m(build_skeleton(phases, bumped, dims), dims)
    gain = {side: np.clip(low_bumped[side] - low[side], 2e-3, None) for side in SIDES}
    return low, gain


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
    for _ in range(iterations):
        low, gain = _sole_height_and_gain(phases, angles, dims, knee_too=True)
        new = {}
        for side in SIDES:
            other = "right" if side == "left" else "left"
            u = np.mod(phases[side], 1.0)
            swing = (u > TOE_OFF_PHASE) & (u < _CLEARANCE_END_PHASE)
            target = SWING_CLEARANCE_M * np.sin(
                np.pi * (u - TOE_OFF_PHASE) / (_CLEARANCE_END_PHASE - TOE_OFF_PHASE))
            deficit = np.where(swing, np.clip(target - (low[side] - low[other]), 0.0, None), 0.0)
            extra = np.clip(gaussian_filter1d(deficit / gain[side], sigma), 0.0, 10.0)
            extra = extra * np.sin(np.pi * np.clip((u - TOE_OFF_PHASE) / (1 - TOE_OFF_PHASE),
                                                   0.0, 1.0)) ** 0.5
            a = angles[side]
            share = 1.0 if knee_share is None else knee_share[side]
            new[side] = replace(a, hip_flexion_deg=a.hip_flexion_deg + extra,
                                knee_flexion_deg=a.knee_flexion_deg + share * extra)
        angles = new
    return angles


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
    for _ in range(iterations):
        low, gain = _sole_height_and_gain(phases, angles, dims, knee_too=False)
        new = {}
        for side in SIDES:
            other = "right" if side == "left" else "left"
            u = np.mod(phases[side], 1.0)
            late = u >= LANDING_START_PHASE
            double_support = u < _DOUBLE_SUPPORT_END_PHASE
            target = np.where(late, SWING_CLEARANCE_M * np.sin(
                np.pi * (u - TOE_OFF_PHASE) / (1 - TOE_OFF_PHASE)), 0.0)
            excess = np.where(late | double_support,
                              np.clip(low[side] - low[other] - target, 0.0, None), 0.0)
            lower = np.clip(gaussian_filter1d(excess / gain[side], sigma), 0.0, 8.0)
            ramp_in = _smoothstep((u - LANDING_START_PHASE + 0.1) / 0.1)
            ramp_out = 1.0 - _smoothstep((u - _DOUBLE_SUPPORT_END_PHASE) / 0.2)
            taper = np.where(u >= 0.5, ramp_in, ramp_out)
            a = angles[side]
            new[side] = replace(a, hip_flexion_deg=a.hip_flexion_deg - lower * taper)
        angles = new
    return angles
