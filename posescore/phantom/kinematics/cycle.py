"""Joint angles of one phantom leg: the normative gait cycle, stride jitter and its dystonia.

Angles in degrees, gait phase in strides (0 = the leg's initial contact). All functions are
pure: arrays in, arrays out.

References
----------
Winter DA (2009). Biomechanics and Motor Control of Human Movement, 4th ed., Wiley:
normative sagittal joint angles of natural cadence walking (Appendix A), approximated here
by periodic cubic splines through key points.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.interpolate import CubicSpline
from scipy.ndimage import gaussian_filter1d

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

_RNG_STREAM_TREMOR = 5


def smoothstep(x: np.ndarray) -> np.ndarray:
    """Cubic ease ``3 x^2 - 2 x^3`` of ``x`` clipped to [0, 1], flat at both ends."""
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
    ramp_in = np.where(prev, 1.0, smoothstep(w / POSTURE_RAMP))
    ramp_out = np.where(nxt, 1.0, smoothstep((1.0 - w) / POSTURE_RAMP))
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
    rise = smoothstep((u - TOE_OFF_PHASE) / 0.12)
    relax = 1.0 - smoothstep(u / 0.1)
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
    stance = smoothstep(u / 0.1) * (1.0 - smoothstep((u - 0.5) / 0.12))
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
        toe_roll_weight=1.0 - smoothstep((u - TOE_OFF_PHASE) / 0.1),
        activation=act,
    )
