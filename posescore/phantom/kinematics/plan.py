"""The seeded gait plan of a phantom clip: cadence, stride times, jitter and posture strides.

Times in seconds, gait phase in strides. The draws of one seed do not depend on the dystonia
expression, so clips of one seed at different severities pair up stride for stride.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posescore.constants import SIDES, Side
from posescore.phantom.expression import LegExpression

STRIDE_TIME_CV = 0.02
EXCURSION_CV = 0.03
"""Seeded stride-to-stride variation of stride time and joint excursions (both legs)."""

_RNG_STREAM_GAIT = 2


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
