"""Gait kinematics of the phantom walker as a package: pure array functions.

``cycle`` (normative joint angles of a leg and its dystonia expression), ``plan`` (the seeded
cadence, strides and posture strides of a clip), ``skeleton`` (forward kinematics to a 3D
body and its floor contact) and ``contact`` (swing clearance and landing of the feet). The
names below are the ones the rest of posescore uses; modules inside the package import each
other directly, never through this file.
"""

from posescore.phantom.kinematics.contact import add_swing_clearance, lower_for_landing
from posescore.phantom.kinematics.cycle import (
    LegAngles,
    knee_stiffness,
    leg_angles,
    posture_activation,
    tremor_waveform,
)
from posescore.phantom.kinematics.plan import (
    GaitPlan,
    choose_posture_strides,
    leg_phases,
    plan_gait,
    stride_spans_s,
)
from posescore.phantom.kinematics.skeleton import (
    Skeleton,
    build_skeleton,
    floor_offsets_m,
    no_slip_progression_m,
)

__all__ = [
    "GaitPlan",
    "LegAngles",
    "Skeleton",
    "add_swing_clearance",
    "build_skeleton",
    "choose_posture_strides",
    "floor_offsets_m",
    "knee_stiffness",
    "leg_angles",
    "leg_phases",
    "lower_for_landing",
    "no_slip_progression_m",
    "plan_gait",
    "posture_activation",
    "stride_spans_s",
    "tremor_waveform",
]
