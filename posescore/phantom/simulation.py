"""The phantom's walk simulated on a fine time grid: joint angles, skeleton, floor contact.

No camera, no pictures: ``synth`` frames and draws the simulation, ``crowd`` simulates a
bystander with it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posescore.constants import SIDES, Side
from posescore.phantom.body import BodyDims, body_dims
from posescore.phantom.kinematics import (
    GaitPlan,
    LegAngles,
    Skeleton,
    add_swing_clearance,
    build_skeleton,
    floor_offsets_m,
    knee_stiffness,
    leg_angles,
    leg_phases,
    lower_for_landing,
    no_slip_progression_m,
    plan_gait,
    tremor_waveform,
)
from posescore.phantom.look import PhantomLook
from posescore.phantom.params import PhantomParams

OVERSAMPLE = 8
"""Kinematic samples per video frame (events and no-slip progression use the fine grid)."""


@dataclass(frozen=True)
class Simulation:
    """Kinematics of a clip on the fine time grid (``t_s``), world frame with floor at Y = 0.

    ``progression_m`` is the pelvis forward position actually applied, m;
    ``progression_fraction`` its share of the no-slip progression (0 = in place, 1 = the
    supporting foot never slides).
    """

    t_s: np.ndarray
    plan: GaitPlan
    dims: BodyDims
    phases: dict[Side, np.ndarray]
    skeleton: Skeleton
    clearance_m: dict[Side, np.ndarray]
    amplitude_scale: float
    progression_fraction: float
    progression_m: np.ndarray


def shifted(skeleton: Skeleton, offset: np.ndarray) -> Skeleton:
    """``skeleton`` with every point moved by ``offset`` (T, 3), m."""
    points = {name: p + offset for name, p in skeleton.points.items()}
    return Skeleton(points, skeleton.frames, skeleton.angles, skeleton.toe_extension_deg)


def simulate(
    params: PhantomParams, look: PhantomLook, amplitude_scale: float = 1.0
) -> Simulation:
    """Compute joint angles, forward kinematics and floor contact of a clip (no camera yet).

    The body stands on the floor (lowest sole point at Y = 0); the pelvis X follows the
    no-slip progression (``across``, ``towards``) or stays at 0 (``in_place``). Each leg
    walks with its expression (``params.leg_expressions()``).
    """
    n_fine = int(round(params.duration_s * params.fps)) * OVERSAMPLE
    t_s = np.arange(n_fine) / (params.fps * OVERSAMPLE)
    dims = body_dims(look.body_height_m, look.leg_scale, look.shoulder_scale)
    expression = params.leg_expressions()
    plan = plan_gait(params.seed, params.duration_s, expression, params.cadence_steps_per_min)
    phases = leg_phases(plan, t_s)
    tremor = tremor_waveform(t_s, params.seed)
    angles: dict[Side, LegAngles] = {
        side: leg_angles(phases[side], expression[side], plan.posture_present[side],
                         plan.hip_excursion_factor[side], plan.knee_excursion_factor[side],
                         amplitude_scale, tremor)
        for side in SIDES
    }
    samples_per_stride = params.fps * OVERSAMPLE * 120.0 / plan.cadence_steps_per_min
    # a stiff knee barely flexes to clear the floor: the hip lifts the foot instead
    knee_share = {side: (1.0 - knee_stiffness(expression[side])) ** 2 for side in SIDES}
    angles = add_swing_clearance(phases, angles, dims, samples_per_stride, knee_share=knee_share)
    angles = lower_for_landing(phases, angles, dims, samples_per_stride)
    relative = build_skeleton(phases, angles, dims)
    pelvis_height, clearance = floor_offsets_m(relative, dims)
    walks_on = params.walk != "in_place"
    progression = no_slip_progression_m(relative, dims) if walks_on else np.zeros_like(t_s)
    placed = shifted(relative, np.stack([progression, pelvis_height, np.zeros_like(t_s)], -1))
    return Simulation(t_s, plan, dims, phases, placed, clearance, amplitude_scale,
                      1.0 if walks_on else 0.0, progression)


def time_reversed(sim: Simulation) -> Simulation:
    """The same clip played backwards (``direction="backward"``), on the same time grid.

    Every per-sample array is reversed; the plan (stride starts) stays in forward time and
    ``synth._truth`` maps its stride spans through ``t -> t_last - t``.
    """
    rev = slice(None, None, -1)
    angles = {
        side: LegAngles(**{k: np.asarray(v)[rev] for k, v in vars(a).items()})
        for side, a in sim.skeleton.angles.items()
    }
    skeleton = Skeleton(
        points={k: v[rev] for k, v in sim.skeleton.points.items()},
        frames={k: v[rev] for k, v in sim.skeleton.frames.items()},
        angles=angles,
        toe_extension_deg={k: v[rev] for k, v in sim.skeleton.toe_extension_deg.items()},
    )
    return Simulation(
        sim.t_s,
        sim.plan,
        sim.dims,
        {k: v[rev] for k, v in sim.phases.items()},
        skeleton,
        {k: v[rev] for k, v in sim.clearance_m.items()},
        sim.amplitude_scale,
        sim.progression_fraction,
        sim.progression_m[rev],
    )
