"""Joint and segment angles of a leg per frame: pure functions of landmark trajectories.

Angles are 2-D, in the image plane, computed from MediaPipe landmarks (Winter 2009's
segment-angle convention: a joint angle is the relative angle of its two adjacent segments).
Image y points down; the functions here flip it internally so that "up" is up. Every feature is
independent of the walking direction: unsigned angles are mirror-invariant and signed ones
are multiplied by the walking direction (+1 toes towards image +x, -1 towards -x).

References
----------
Winter DA. Biomechanics and Motor Control of Human Movement, 4th ed. Wiley 2009, ch. 3
(segment and joint angles).
"""

from __future__ import annotations

import numpy as np


def _up(v: np.ndarray) -> np.ndarray:
    """Image vectors (..., 2) with y down -> y up."""
    return np.stack([v[..., 0], -v[..., 1]], axis=-1)


def _signed_angle_deg(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Counter-clockwise angle from u to v (y-up vectors, shape (..., 2)), deg in (-180, 180]."""
    cross = u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0]
    dot = (u * v).sum(axis=-1)
    return np.degrees(np.arctan2(cross, dot))


def _angle_between_deg(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Unsigned angle between vectors (shape (..., 2)), deg in [0, 180]."""
    return np.abs(_signed_angle_deg(u, v))


def knee_flexion_deg(
    hip: np.ndarray, knee: np.ndarray, ankle: np.ndarray, direction: int = 0
) -> np.ndarray:
    """Knee flexion: angle between thigh (hip->knee) and shank (knee->ankle).

    Parameters
    ----------
    hip, knee, ankle : ndarray, shape (T, 2)
        Image coordinates, px, y down.
    direction : int
        Walking direction (+1 / -1) for a signed angle (negative = hyperextension); 0 gives
        the unsigned angle.

    Returns
    -------
    ndarray, shape (T,)
        Degrees; 0 = straight leg, positive = flexion.
    """
    thigh = _up(knee - hip)
    shank = _up(ankle - knee)
    if direction == 0:
        return _angle_between_deg(thigh, shank)
    return -direction * _signed_angle_deg(thigh, shank)


def hip_flexion_deg(
    shoulder: np.ndarray, hip: np.ndarray, knee: np.ndarray, direction: int = 0
) -> np.ndarray:
    """Hip flexion: angle of the thigh (hip->knee) from the trunk line (shoulder->hip).

    Parameters
    ----------
    shoulder, hip, knee : ndarray, shape (T, 2)
        Image coordinates of the same side, px, y down.
    direction : int
        Walking direction (+1 / -1) for a signed angle (negative = extension, knee behind the
        trunk line); 0 gives the unsigned angle.

    Returns
    -------
    ndarray, shape (T,)
        Degrees; 0 = thigh in line with the trunk, positive = flexion (knee forward).
    """
    trunk_down = _up(hip - shoulder)
    thigh = _up(knee - hip)
    if direction == 0:
        return _angle_between_deg(trunk_down, thigh)
    return direction * _signed_angle_deg(trunk_down, thigh)


def ankle_plantarflexion_deg(
    knee: np.ndarray, ankle: np.ndarray, heel: np.ndarray, toe: np.ndarray
) -> np.ndarray:
    """Ankle plantarflexion: angle between shank and foot minus 90 degrees.

    The shank is taken pointing up (ankle->knee) and the foot from heel to toe, so the angle
    is 90 degrees when the foot is perpendicular to the shank.

    Parameters
    ----------
    knee, ankle, heel, toe : ndarray, shape (T, 2)
        Image coordinates, px, y down.

    Returns
    -------
    ndarray, shape (T,)
        Degrees; 0 = foot perpendicular to shank, positive = plantarflexion (toe pointing
        down, away from the shin), negative = dorsiflexion. Independent of walking direction.
    """
    return _angle_between_deg(_up(knee - ankle), _up(toe - heel)) - 90.0


def foot_floor_angle_deg(heel: np.ndarray, toe: np.ndarray) -> np.ndarray:
    """Angle of the foot (heel->toe) to the image horizontal.

    Parameters
    ----------
    heel, toe : ndarray, shape (T, 2)
        Image coordinates, px, y down.

    Returns
    -------
    ndarray, shape (T,)
        Degrees in [-90, 90]; positive = toe higher than heel. Independent of walking
        direction (uses |dx|).
    """
    d = toe - heel
    return np.degrees(np.arctan2(-d[:, 1], np.abs(d[:, 0])))


def toe_height_leglen(heel: np.ndarray, toe: np.ndarray, leg_length_px: float) -> np.ndarray:
    """Height of the toe above the heel, leg lengths.

    Parameters
    ----------
    heel, toe : ndarray, shape (T, 2)
        Image coordinates, px, y down.
    leg_length_px : float
        Body scale, px.

    Returns
    -------
    ndarray, shape (T,)
        Positive = toe above heel.
    """
    return (heel[:, 1] - toe[:, 1]) / leg_length_px


def foot_inversion_deg(
    knee: np.ndarray,
    ankle: np.ndarray,
    heel: np.ndarray,
    toe: np.ndarray,
    medial_sign: float,
) -> np.ndarray:
    """Foot inversion in a frontal or posterior view (a rearfoot-angle analogue).

    The angle from the shank line (knee->ankle) to the line from the ankle to the sole
    centre (midpoint of heel and toe). Inversion rotates the foot about its long axis, which
    points at the camera in these views, so the sole centre swings medially in the image.

    Parameters
    ----------
    knee, ankle, heel, toe : ndarray, shape (T, 2)
        Image coordinates, px, y down.
    medial_sign : float
        +1 if the leg's medial side (towards the other leg) is image +x, -1 if -x.

    Returns
    -------
    ndarray, shape (T,)
        Degrees; positive = sole centre medial to the shank line (inversion / varus),
        negative = eversion. Includes any toe-out of the foot; compare sides or sessions.
    """
    shank = _up(ankle - knee)
    sole = _up(0.5 * (heel + toe) - ankle)
    return medial_sign * _signed_angle_deg(shank, sole)


def toe_extension_proxy_deg(ankle: np.ndarray, heel: np.ndarray, toe: np.ndarray) -> np.ndarray:
    """Toe-tip elevation relative to the rear foot, a proxy for great-toe extension.

    MediaPipe has no separate great-toe landmark: ``foot_index`` (31/32) is the tip of the
    foot, so toe extension is measured as how far the toe tip is rotated up towards the
    heel->ankle line: ``90 - angle(heel->ankle, heel->toe)``. It mixes real toe (MTP)
    extension with foot shape and landmark placement, so use it within a leg (swing vs the
    leg's other strides) or between legs and sessions, not as an absolute MTP angle.

    Parameters
    ----------
    ankle, heel, toe : ndarray, shape (T, 2)
        Image coordinates, px, y down.

    Returns
    -------
    ndarray, shape (T,)
        Degrees; larger = toe tip raised towards the shin. Independent of walking direction.
    """
    return 90.0 - _angle_between_deg(_up(ankle - heel), _up(toe - heel))


def lateral_offset_leglen(
    origin: np.ndarray, point: np.ndarray, medial_sign: float, leg_length_px: float
) -> np.ndarray:
    """Lateral position of a point relative to an origin (frontal or posterior view).

    Used for the ankle relative to its hip (circumduction) and, negated, for the sole centre
    (heel-toe midpoint) relative to the ankle: inversion turns the foot about its long axis,
    which points at the camera in these views, and carries the sole centre medially.

    Parameters
    ----------
    origin, point : ndarray, shape (T, 2)
        Image coordinates, px.
    medial_sign : float
        +1 if the leg's medial side is image +x, -1 if -x.
    leg_length_px : float
        Body scale, px.

    Returns
    -------
    ndarray, shape (T,)
        Leg lengths; positive = point lateral to the origin, negative = medial.
    """
    return -medial_sign * (point[:, 0] - origin[:, 0]) / leg_length_px
