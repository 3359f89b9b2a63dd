"""Synthetic walkers built from sinusoids, with exact ground truth, for unit tests.

Sagittal walker: a planar two-leg linkage (thigh, shank, foot) with known joint angles,
seen from the side. Frontal walker: vertical legs whose feet lift in swing, seen from the
front (or back), with a known foot inversion. Both return a PoseSequence (T, 33, 4).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.signal import find_peaks

from posescore import constants as c
from posescore.types import PoseSequence

THIGH_PX = 100.0
SHANK_PX = 100.0
FOOT_PX = 50.0
LEG_PX = THIGH_PX + SHANK_PX
WIDTH, HEIGHT = 1280, 720


@dataclass
class Truth:
    """Exact ground truth of a synthetic walk, per side."""

    stride_s: float
    hs_times_s: dict = field(default_factory=dict)
    to_times_s: dict = field(default_factory=dict)
    toe_liftoff_times_s: dict = field(default_factory=dict)
    """The toe's lift-off: last time before its swing apex that its upward speed is below 10 %
    of that swing's peak (the initial contact of the time-reversed, backward walk)."""
    # sagittal-plane angles at the true heel strikes, deg, per side
    knee_flexion_hs_deg: dict = field(default_factory=dict)
    foot_floor_hs_deg: dict = field(default_factory=dict)
    knee_flexion_range_deg: dict = field(default_factory=dict)

    @property
    def cadence_steps_per_min(self) -> float:
        return 120.0 / self.stride_s


def _wrap(p: np.ndarray) -> np.ndarray:
    return (p + 0.5) % 1.0 - 0.5


def _landings(height_up: np.ndarray, distance: int) -> np.ndarray:
    """Indices where a foot point comes to rest after each swing apex of ``height_up`` (n,).

    The first sample after the apex at which the downward speed has fallen below 10 % of the
    largest downward speed of that descent.
    """
    apexes, _ = find_peaks(height_up, distance=distance, prominence=0.05 * LEG_PX)
    speed = -np.gradient(height_up)
    out = []
    for i, apex in enumerate(apexes):
        stop = apexes[i + 1] if i + 1 < len(apexes) else len(height_up)
        k_peak = apex + int(np.argmax(speed[apex:stop]))
        below = np.flatnonzero(speed[k_peak:stop] < 0.1 * speed[k_peak])
        if below.size:
            out.append(k_peak + int(below[0]))
    return np.asarray(out, dtype=int)


def _leg_angles(phase: np.ndarray, pf_deg: float, pf_amp_deg: float):
    """Thigh angle from vertical (+ forward), knee flexion and plantarflexion, deg."""
    thigh = 5.0 + 20.0 * np.cos(2 * np.pi * phase)
    knee = 5.0 + 55.0 * np.exp(-((_wrap(phase - 0.72) / 0.12) ** 2))
    ankle = pf_deg + pf_amp_deg * np.sin(2 * np.pi * phase)
    return thigh, knee, ankle


def _leg_points(phase, pf_deg, pf_amp_deg):
    """Knee, ankle, heel, toe relative to the hip, y up, walking towards +x; shape (n, 2)."""
    th, kn, an = (np.radians(a) for a in _leg_angles(phase, pf_deg, pf_amp_deg))
    shank = th - kn
    knee = THIGH_PX * np.stack([np.sin(th), -np.cos(th)], axis=1)
    ankle = knee + SHANK_PX * np.stack([np.sin(shank), -np.cos(shank)], axis=1)
    f = np.stack([np.cos(shank - an), np.sin(shank - an)], axis=1)
    n = np.stack([-f[:, 1], f[:, 0]], axis=1)
    heel = ankle - 0.25 * FOOT_PX * f - 0.3 * FOOT_PX * n
    toe = heel + FOOT_PX * f
    return knee, ankle, heel, toe


def sagittal_walker(
    *,
    fps: float = 30.0,
    duration_s: float = 8.0,
    stride_s: float = 1.1,
    speed_px_s: float = 120.0,
    direction: int = 1,
    near: str = "left",
    pf_deg: dict | None = None,
    pf_amp_deg: float = 5.0,
    t0_s: float = 0.3,
) -> tuple[PoseSequence, Truth]:
    """Side view of a walker; ``direction`` +1 walks towards image +x, -1 mirrors x."""
    pf_deg = pf_deg or {"left": 0.0, "right": 0.0}
    n = int(round(duration_s * fps))
    t = np.arange(n) / fps
    lm = np.zeros((n, c.N_LANDMARKS, 4))
    lm[:, :, 3] = 0.99
    pelvis_x = 300.0 + speed_px_s * t - speed_px_s * duration_s / 2
    pelvis_y = 300.0 + 4.0 * np.cos(4 * np.pi * (t - t0_s) / stride_s)  # image y, down
    phase_offset = {"left": 0.0, "right": 0.5}
    truth = Truth(stride_s=stride_s)
    for side in c.SIDES:
        lm_idx = c.LEG_LANDMARKS[side]
        dx_hip = -2.0 if side == "left" else 2.0
        phase = (t - t0_s) / stride_s - phase_offset[side]
        pts = _leg_points(phase, pf_deg[side], pf_amp_deg)
        hip_x = pelvis_x + dx_hip
        for joint, rel in zip(("knee", "ankle", "heel", "toe"), pts):
            lm[:, lm_idx[joint], 0] = hip_x + rel[:, 0]
            lm[:, lm_idx[joint], 1] = pelvis_y - rel[:, 1]
        lm[:, lm_idx["hip"], 0] = hip_x
        lm[:, lm_idx["hip"], 1] = pelvis_y
        lm[:, lm_idx["shoulder"], 0] = hip_x
        lm[:, lm_idx["shoulder"], 1] = pelvis_y - 160.0
        z = -20.0 if side == near else 20.0
        for joint in ("hip", "knee", "ankle", "heel", "toe"):
            lm[:, lm_idx[joint], 2] = z
        # dense ground truth
        # one stride beyond each end, so that events near the ends are defined too
        td = np.arange(-stride_s, duration_s + stride_s, 1 / (fps * 50))
        ph = (td - t0_s) / stride_s - phase_offset[side]
        knee_d, ankle_d, heel_d, toe_d = _leg_points(ph, pf_deg[side], pf_amp_deg)
        dist = int(0.6 * stride_s * fps * 50)
        hs, _ = find_peaks(heel_d[:, 0], distance=dist)
        to, _ = find_peaks(-toe_d[:, 0], distance=dist)
        truth.hs_times_s[side] = td[hs]
        truth.to_times_s[side] = td[to]
        lift = toe_d.shape[0] - 1 - _landings(toe_d[::-1, 1], dist)[::-1]
        truth.toe_liftoff_times_s[side] = td[lift]
        th, kn, an = _leg_angles(ph, pf_deg[side], pf_amp_deg)
        if hs.size:
            truth.knee_flexion_hs_deg[side] = float(np.mean(kn[hs]))
            truth.foot_floor_hs_deg[side] = float(np.mean((th - kn - an)[hs]))
        truth.knee_flexion_range_deg[side] = float(np.ptp(kn))
    lm[:, c.NOSE, 0] = pelvis_x + 15.0
    lm[:, c.NOSE, 1] = pelvis_y - 220.0
    if direction == -1:
        lm[:, :, 0] = WIDTH - lm[:, :, 0]
    pose = PoseSequence(landmarks=lm, timestamps_s=t, fps=fps, width=WIDTH, height=HEIGHT)
    return pose, truth


def frontal_walker(
    *,
    fps: float = 30.0,
    duration_s: float = 8.0,
    stride_s: float = 1.1,
    facing_camera: bool = True,
    inversion_deg: dict | None = None,
    lift_px: float = 30.0,
    t0_s: float = 0.3,
) -> tuple[PoseSequence, Truth]:
    """Front (or back) view of a walker on a treadmill; feet lift in swing (phase 0.6-1)."""
    inversion_deg = inversion_deg or {"left": 0.0, "right": 0.0}
    n = int(round(duration_s * fps))
    t = np.arange(n) / fps
    lm = np.zeros((n, c.N_LANDMARKS, 4))
    lm[:, :, 3] = 0.99
    cx, pelvis_y = 640.0, 300.0
    # subject's left on image right when facing the camera
    lateral = {"left": 1.0, "right": -1.0} if facing_camera else {"left": -1.0, "right": 1.0}
    phase_offset = {"left": 0.0, "right": 0.5}
    truth = Truth(stride_s=stride_s)
    for side in c.SIDES:
        lm_idx = c.LEG_LANDMARKS[side]
        hip_x = cx + 40.0 * lateral[side]
        phase = ((t - t0_s) / stride_s - phase_offset[side]) % 1.0
        swing = phase >= 0.6
        lift = np.where(swing, 0.5 * lift_px * (1 - np.cos(2 * np.pi * (phase - 0.6) / 0.4)), 0.0)
        ankle_y = pelvis_y + LEG_PX - lift
        medial = -lateral[side]  # towards the other leg, image x
        a = np.radians(inversion_deg[side])
        # sole points below the ankle, rotated medially by the inversion angle (y down)
        sole_dir = np.array([np.sin(a) * medial, np.cos(a)])
        ankle = np.stack([np.full(n, hip_x), ankle_y], axis=1)
        heel = ankle + 15.0 * sole_dir
        toe = ankle + 25.0 * sole_dir
        knee = np.stack([np.full(n, hip_x), pelvis_y + THIGH_PX - 0.5 * lift], axis=1)
        for joint, xy in (("knee", knee), ("ankle", ankle), ("heel", heel), ("toe", toe)):
            lm[:, lm_idx[joint], :2] = xy
        lm[:, lm_idx["hip"], :2] = np.stack([np.full(n, hip_x), np.full(n, pelvis_y)], 1)
        lm[:, lm_idx["shoulder"], :2] = np.stack(
            [np.full(n, cx + 60.0 * lateral[side]), np.full(n, pelvis_y - 160.0)], 1
        )
        k = np.arange(-2, int(duration_s / stride_s) + 3)
        hs = t0_s + (k + phase_offset[side]) * stride_s
        truth.hs_times_s[side] = hs[(hs >= 0) & (hs < duration_s)]
        to = hs + 0.6 * stride_s
        truth.to_times_s[side] = to[(to >= 0) & (to < duration_s)]
    lm[:, c.NOSE, :2] = [cx, pelvis_y - 220.0]
    if not facing_camera:
        lm[:, c.NOSE, 3] = 0.1
    pose = PoseSequence(landmarks=lm, timestamps_s=t, fps=fps, width=WIDTH, height=HEIGHT)
    return pose, truth


def with_perspective(landmarks: np.ndarray, near: str, scale: float) -> np.ndarray:
    """A copy with the ``near`` leg drawn ``scale`` times larger about its hip, as a camera
    draws the leg nearer to it."""
    out = landmarks.copy()
    hip = out[:, c.LEG_LANDMARKS[near]["hip"], None, :2]
    joints = [c.LEG_LANDMARKS[near][j] for j in ("knee", "ankle", "heel", "toe")]
    out[:, joints, :2] = hip + scale * (out[:, joints, :2] - hip)
    return out


def legs_misnamed(landmarks: np.ndarray) -> np.ndarray:
    """A copy whose knees and feet carry the other leg's name in every frame; depth and
    visibility keep their names, as MediaPipe's follow its labels."""
    out = landmarks.copy()
    left = [c.LEG_LANDMARKS["left"][j] for j in ("knee", "ankle", "heel", "toe")]
    right = [c.LEG_LANDMARKS["right"][j] for j in ("knee", "ankle", "heel", "toe")]
    out[:, left, :2], out[:, right, :2] = landmarks[:, right, :2], landmarks[:, left, :2]
    return out
