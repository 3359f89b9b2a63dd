"""Body model of the phantom: segment dimensions and shoe geometry.

References
----------
Winter DA (2009). Biomechanics and Motor Control of Human Movement, 4th ed., Wiley:
anthropometric segment lengths as fractions of standing height (Fig. 4.1).

"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class BodyDims:
    """Segment lengths and widths of the phantom, metres (Winter 2009 fractions of height)."""

    height_m: float
    thigh_m: float
    shank_m: float
    ankle_height_m: float
    foot_m: float
    hip_half_width_m: float
    trunk_m: float
    shoulder_half_width_m: float
    upper_arm_m: float
    forearm_m: float
    hand_m: float
    neck_to_head_m: float
    head_radius_m: float

    @property
    def leg_m(self) -> float:
        """Hip joint to floor in upright stance, m."""
        return self.thigh_m + self.shank_m + self.ankle_height_m


def body_dims(height_m: float, leg_scale: float = 1.0, shoulder_scale: float = 1.0) -> BodyDims:
    """Segment dimensions from standing height; legs longer by ``leg_scale``, trunk shorter.

    Parameters
    ----------
    height_m : float
        Standing height, m.
    leg_scale, shoulder_scale : float
        Factors on thigh + shank length and on shoulder width (1 = Winter's proportions).

    """
    h = height_m
    thigh, shank = 0.245 * h * leg_scale, 0.246 * h * leg_scale
    ankle, head_r, neck = 0.039 * h, 0.062 * h, 0.12 * h
    return BodyDims(
        height_m=h,
        thigh_m=thigh,
        shank_m=shank,
        ankle_height_m=ankle,
        foot_m=0.152 * h,
        hip_half_width_m=0.056 * h,
        trunk_m=h - ankle - thigh - shank - neck - head_r,
        shoulder_half_width_m=0.1 * h * shoulder_scale,
        upper_arm_m=0.186 * h,
        forearm_m=0.146 * h,
        hand_m=0.09 * h,
        neck_to_head_m=neck,
        head_radius_m=head_r,
    )


def foot_shape(dims: BodyDims) -> dict[str, np.ndarray]:
    """Shoe geometry in the foot and toe frames (x forward, y up, z lateral), metres.

    Returns
    -------
    dict
        ``rear`` (N, 3): hull points of the shoe from heel to the ball, in the foot frame
        (origin at the ankle joint centre, sole at y = -ankle height); ``toe`` (M, 3): toe box
        in the toe frame (origin at the ball joint); ``mtp`` (3,): the ball joint in the foot
        frame; ``heel`` (3,) and ``toe_tip`` (3,): landmark points (heel in the foot frame, toe
        tip in the toe frame); ``rear_sole`` and ``toe_sole``: the sole's bottom corners
        (floor contact); ``rear_sole_block`` and ``toe_sole_block``: hull points of the sole.

    """
    length, h = dims.foot_m, dims.ankle_height_m
    mtp_x, mtp_y = 0.55 * length, -0.65 * h
    toe_len = 0.20 * length
    wh, wa, wm, wt = 0.13 * length, 0.15 * length, 0.20 * length, 0.12 * length

    def ring(x: float, y_lo: float, y_hi: float, half_width: float) -> list[list[float]]:
        return [[x, y, s * half_width] for y in (y_lo, y_hi) for s in (-1.0, 1.0)]

    t = 0.25 * h  # sole thickness
    rear = np.array(
        ring(-0.25 * length, -0.7 * h, 0.25 * h, wh)
        + ring(0.0, -h + t, 0.45 * h, wa)
        + ring(0.15 * length, -h + t, 0.1 * h, wa)
        + ring(0.35 * length, -h + t, -0.3 * h, 0.9 * wm)
        + ring(mtp_x, -h + t, mtp_y + 0.3 * h, wm)
    )
    sole_rel = -h - mtp_y
    toe = np.array(
        ring(0.0, sole_rel + t, 0.3 * h, wm)
        + ring(0.6 * toe_len, sole_rel + t, 0.15 * h, 0.85 * wm)
        + ring(toe_len, sole_rel + t, 0.0, wt)
    )
    rear_sole = np.array(ring(-0.2 * length, -h, -h, wh)[:2] + ring(mtp_x, -h, -h, wm)[:2]
                         + [[-0.25 * length, -0.8 * h, 0.0]])
    toe_sole = np.array(ring(toe_len, sole_rel + 0.1 * h, sole_rel + 0.1 * h, wt)[:2]
                        + ring(0.0, sole_rel, sole_rel, wm)[:2])
    rear_sole_block = np.array(
        ring(-0.25 * length, -0.8 * h, -0.55 * h, 0.9 * wh) + ring(-0.2 * length, -h, -h + t, wh)
        + ring(0.35 * length, -h, -h + t, 0.9 * wm) + ring(mtp_x, -h, -h + t, wm))
    toe_sole_block = np.array(ring(0.0, sole_rel, sole_rel + t, wm)
                              + ring(toe_len, sole_rel + 0.1 * h, sole_rel + t, wt))
    return {
        "rear": rear,
        "toe": toe,
        "mtp": np.array([mtp_x, mtp_y, 0.0]),
        "heel": np.array([-0.25 * length, -0.75 * h, 0.0]),
        "toe_tip": np.array([toe_len, sole_rel + 0.3 * h, 0.0]),
        "rear_sole": rear_sole,
        "toe_sole": toe_sole,
        "rear_sole_block": rear_sole_block,
        "toe_sole_block": toe_sole_block,
    }
