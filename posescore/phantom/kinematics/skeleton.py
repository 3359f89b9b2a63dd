"""Forward kinematics of the phantom: its 3D body from the leg angles, and the floor contact.

World frame (metres): X forward (walking direction), Y up, Z the subject's right; the floor
is Y = 0. Every leg is computed in a leg frame (x forward, y up, z lateral, i.e. away from the
midline) and mirrored into the world for the left leg. All functions are pure: arrays in,
arrays out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posescore.constants import SIDES, Side, other_side
from posescore.phantom.body import BodyDims, foot_shape
from posescore.phantom.kinematics.cycle import HIP_MEAN_FLEXION_DEG, PELVIC_TILT_DEG, LegAngles


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
        mirror = _MIRROR[side]
        flexion = 0.8 * (angles[other_side(side)].hip_flexion_deg - HIP_MEAN_FLEXION_DEG) - 2.0
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


def lowest_sole_m(skeleton: Skeleton, dims: BodyDims) -> dict[Side, np.ndarray]:
    """Per leg, (T,) height of that foot's lowest sole point, m (world Y, before the floor)."""
    return {side: sole_points(skeleton, dims, side)[:, :, 1].min(axis=1) for side in SIDES}


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
    lowest = lowest_sole_m(skeleton, dims)
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
