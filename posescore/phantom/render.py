"""Drawing the phantom with OpenCV: camera projection, scene background and the body.

Rendering only reads the 3D skeleton (``kinematics``); it never changes the motion.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from posescore.constants import SIDES
from posescore.phantom.body import BodyDims, foot_shape
from posescore.phantom.look import BGR, PhantomLook
from posescore.phantom.params import PhantomView

CAMERA_DISTANCE_M = 5.0
"""Camera to the body's mid-plane, m (mild perspective)."""
WALL_BEHIND_M = 2.5
"""Back wall behind the body's mid-plane, m."""
_SHIFT = 4
_ONE = 1 << _SHIFT
_AA = cv2.LINE_AA

_H = float(np.sqrt(0.5))
_VIEW_AXES = {
    # (image right, viewing direction) in world coordinates (X forward, Y up, Z right).
    "sagittal_left": ((-1.0, 0.0, 0.0), (0.0, 0.0, 1.0)),
    "sagittal_right": ((1.0, 0.0, 0.0), (0.0, 0.0, -1.0)),
    "frontal": ((0.0, 0.0, -1.0), (-1.0, 0.0, 0.0)),
    "posterior": ((0.0, 0.0, 1.0), (1.0, 0.0, 0.0)),
    # camera 45 deg to the front-left / front-right of the subject
    "oblique_left": ((-_H, 0.0, -_H), (-_H, 0.0, _H)),
    "oblique_right": ((_H, 0.0, -_H), (-_H, 0.0, -_H)),
}


@dataclass(frozen=True)
class Camera:
    """Pinhole camera looking horizontally; ``px_per_m`` is the scale at the reference plane.

    ``origin_m`` (world point on the optical axis, in the body's mid-plane) is imaged at
    ``centre_px``; the back wall stands ``wall_behind_m`` behind it.
    """

    view: PhantomView
    origin_m: np.ndarray
    px_per_m: float
    centre_px: tuple[float, float]
    distance_m: float = CAMERA_DISTANCE_M
    wall_behind_m: float = WALL_BEHIND_M

    @property
    def right(self) -> np.ndarray:
        """Image-right direction in the world."""
        return np.asarray(_VIEW_AXES[self.view][0])

    @property
    def forward(self) -> np.ndarray:
        """Viewing direction in the world (depth grows along it)."""
        return np.asarray(_VIEW_AXES[self.view][1])

    def depth_m(self, points: np.ndarray) -> np.ndarray:
        """Depth of world points behind the reference plane, m, shape (...)."""
        return (np.asarray(points) - self.origin_m) @ self.forward

    def scale(self, points: np.ndarray) -> np.ndarray:
        """Pixels per metre at the depth of each point, shape (...)."""
        return self.px_per_m * self.distance_m / (self.distance_m + self.depth_m(points))

    def project(self, points: np.ndarray) -> np.ndarray:
        """World points (..., 3) in metres to image pixels (..., 2), y down."""
        rel = np.asarray(points) - self.origin_m
        s = self.scale(points)
        return np.stack([self.centre_px[0] + s * (rel @ self.right),
                         self.centre_px[1] - s * rel[..., 1]], axis=-1)


def _shade(colour: BGR, factor: float) -> BGR:
    return tuple(int(np.clip(c * factor, 0, 255)) for c in colour)  # type: ignore[return-value]


def _fix(points_px: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(points_px) * _ONE).astype(np.int32)


def _fill_hull(img: np.ndarray, points_px: np.ndarray, colour: BGR) -> None:
    hull = cv2.convexHull(_fix(points_px.reshape(-1, 2)))
    cv2.fillConvexPoly(img, hull, colour, _AA, _SHIFT)


def _disc(img: np.ndarray, centre_px: np.ndarray, radius_px: float, colour: BGR) -> None:
    c = _fix(centre_px)
    cv2.circle(img, (int(c[0]), int(c[1])), int(round(radius_px * _ONE)), colour, -1, _AA,
               _SHIFT)


def _capsule(img: np.ndarray, a: np.ndarray, b: np.ndarray, ra: float, rb: float,
             colour: BGR) -> None:
    """Tapered limb from pixel point ``a`` (radius ``ra``) to ``b`` (radius ``rb``)."""
    d = b - a
    n = np.array([-d[1], d[0]]) / max(float(np.hypot(*d)), 1e-6)
    _fill_hull(img, np.array([a + n * ra, b + n * rb, b - n * rb, a - n * ra]), colour)
    _disc(img, a, ra, colour)
    _disc(img, b, rb, colour)


def _limb(img: np.ndarray, cam: Camera, p: np.ndarray, q: np.ndarray, rp_m: float, rq_m: float,
          colour: BGR, outline: bool = True) -> None:
    """Limb between world points with radii in metres; a thin darker outline gives edges."""
    a, b = cam.project(p), cam.project(q)
    ra, rb = rp_m * float(cam.scale(p)), rq_m * float(cam.scale(q))
    if outline:
        _capsule(img, a, b, ra + 1.0, rb + 1.0, _shade(colour, 0.6))
    _capsule(img, a, b, ra, rb, colour)


def background(look: PhantomLook, cam: Camera, width: int, height: int) -> np.ndarray:
    """Wall with a vertical gradient, floor below the wall's base line and a skirting line."""
    base_y = cam.centre_px[1] + cam.px_per_m * cam.distance_m / (
        cam.distance_m + cam.wall_behind_m) * cam.origin_m[1]
    base = int(np.clip(round(base_y), 1, height - 1))
    t = np.linspace(0.0, 1.0, base)[:, None]
    wall = (1 - t) * np.asarray(look.wall_top_bgr, float) + t * np.asarray(look.wall_bottom_bgr,
                                                                           float)
    img = np.empty((height, width, 3), dtype=np.uint8)
    img[:base] = np.round(wall[:, None, :]).astype(np.uint8)
    t = np.linspace(0.0, 1.0, height - base)[:, None]
    floor = np.asarray(look.floor_bgr, float) * (0.9 + 0.15 * t)
    img[base:] = np.round(np.clip(floor, 0, 255)[:, None, :]).astype(np.uint8)
    cv2.line(img, (0, base), (width - 1, base), _shade(look.floor_bgr, 0.6), 2, _AA)
    return img


def _shadow(img: np.ndarray, cam: Camera, pelvis: np.ndarray, dims: BodyDims) -> None:
    angle = np.linspace(0.0, 2 * np.pi, 24, endpoint=False)
    ring = np.stack([pelvis[0] + 0.35 * dims.height_m * np.cos(angle), np.zeros_like(angle),
                     pelvis[2] + 0.12 * dims.height_m * np.sin(angle)], -1)
    layer = img.copy()
    _fill_hull(layer, cam.project(ring), (0, 0, 0))
    cv2.addWeighted(layer, 0.18, img, 0.82, 0.0, dst=img)


def _along(p: np.ndarray, q: np.ndarray, t: float) -> np.ndarray:
    return p + t * (q - p)


def _draw_leg(img: np.ndarray, cam: Camera, pts: dict[str, np.ndarray],
              frames: dict[str, np.ndarray], side: str, dims: BodyDims, look: PhantomLook,
              shade: float) -> None:
    h, g = dims.height_m, look.girth_scale
    trousers = _shade(look.trousers_bgr, shade)
    skin = _shade(look.skin_bgr, shade)
    hip, knee, ankle = pts[f"{side}_hip"], pts[f"{side}_knee"], pts[f"{side}_ankle"]
    ankle_top = ankle + np.array([0, 0.01 * h, 0])
    garment = look.lower_garment
    if garment in ("trousers", "long_trousers"):
        _limb(img, cam, knee, ankle_top, 0.034 * h * g, 0.025 * h * g, trousers)
        _limb(img, cam, hip, knee, 0.05 * h * g, 0.035 * h * g, trousers)
    else:
        _limb(img, cam, knee, ankle_top, 0.03 * h * g, 0.019 * h * g, skin)
        if garment == "cropped":
            _limb(img, cam, knee, _along(knee, ankle, 0.62), 0.035 * h * g, 0.03 * h * g,
                  trousers)
        if garment == "cropped":
            _limb(img, cam, hip, knee, 0.05 * h * g, 0.035 * h * g, trousers)
        else:
            _limb(img, cam, hip, knee, 0.047 * h * g, 0.032 * h * g, skin)
            if garment == "shorts":
                _limb(img, cam, hip, _along(hip, knee, 0.5), 0.056 * h * g, 0.05 * h * g,
                      trousers)
    shape = foot_shape(dims)
    shoe = _shade(look.shoe_bgr, shade)
    sole = _shade(look.shoe_bgr, 0.4 * shade) if sum(look.shoe_bgr) > 300 else (
        _shade((205, 205, 205), shade))
    for origin, frame, upper, block in (
        (pts[f"{side}_ankle"], frames[f"{side}_foot"], shape["rear"], shape["rear_sole_block"]),
        (pts[f"{side}_mtp"], frames[f"{side}_toe"], shape["toe"], shape["toe_sole_block"]),
    ):
        _fill_hull(img, cam.project(origin + block @ frame.T), sole)
        _fill_hull(img, cam.project(origin + upper @ frame.T), shoe)
    if garment == "long_trousers":  # the hem falls over the ankle onto the shoe
        down = (ankle - knee) / max(float(np.linalg.norm(ankle - knee)), 1e-9)
        hem = ankle + down * 0.025 * h - np.array([0, 0.004 * h, 0])
        _limb(img, cam, _along(knee, ankle, 0.75), hem, 0.029 * h * g, 0.032 * h * g,
              trousers)


def _draw_arm(img: np.ndarray, cam: Camera, pts: dict[str, np.ndarray], side: str,
              dims: BodyDims, look: PhantomLook, shade: float) -> None:
    h, g = dims.height_m, look.girth_scale
    skin, shirt = _shade(look.skin_bgr, shade), _shade(look.shirt_bgr, shade)
    fore = shirt if look.sleeve == "long" else skin
    upper = skin if look.sleeve == "none" else shirt
    _limb(img, cam, pts[f"{side}_elbow"], pts[f"{side}_wrist"], 0.024 * h * g, 0.018 * h * g,
          fore)
    _limb(img, cam, pts[f"{side}_wrist"], pts[f"{side}_hand"], 0.02 * h, 0.024 * h, skin)
    _limb(img, cam, pts[f"{side}_shoulder"], pts[f"{side}_elbow"], 0.029 * h * g,
          0.025 * h * g, upper)


def _ring(centre: np.ndarray, frame: np.ndarray, half_width: float, half_depth: float,
          n: int = 16) -> np.ndarray:
    angle = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
    local = np.stack([half_depth * np.cos(angle), np.zeros(n), half_width * np.sin(angle)], -1)
    return centre + local @ frame.T


def _draw_torso(img: np.ndarray, cam: Camera, pts: dict[str, np.ndarray], trunk: np.ndarray,
                dims: BodyDims, look: PhantomLook) -> None:
    h, g = dims.height_m, look.girth_scale
    pelvis, up = pts["pelvis"], trunk[:, 1]
    sw = dims.shoulder_half_width_m
    pelvis_rings = [
        _ring(pelvis + up * 0.09 * h, trunk, 0.092 * h * g, 0.062 * h * g),
        _ring(pelvis, trunk, 0.105 * h * g, 0.07 * h * g),
        _ring(pelvis - up * 0.07 * h, trunk, 0.085 * h * g, 0.062 * h * g),
    ]
    shirt_rings = [
        _ring(pelvis + up * 0.015 * h, trunk, 0.1 * h * g, 0.068 * h * g),
        _ring(pelvis + up * 0.5 * dims.trunk_m, trunk, 0.092 * h * g, 0.064 * h * g),
        _ring(pelvis + up * 0.8 * dims.trunk_m, trunk, sw - 0.005 * h, 0.072 * h * g),
        _ring(pts["shoulder_mid"] + up * 0.025 * h, trunk, sw - 0.02 * h, 0.05 * h * g),
    ]
    groups = [(pelvis_rings, look.trousers_bgr), (shirt_rings, look.shirt_bgr)]
    if look.lower_garment == "skirt":
        knee_y = 0.5 * (pts["left_knee"] + pts["right_knee"])[1]
        length = 0.8 * max(float(pelvis[1] - knee_y), 0.1 * h)  # hem above the knees
        groups.insert(1, ([pelvis_rings[0], pelvis_rings[1],
                           _ring(pelvis - up * length, trunk, 0.15 * h * g, 0.13 * h * g)],
                          look.trousers_bgr))
    for rings, colour in groups:
        for a, b in zip(rings[:-1], rings[1:]):
            _fill_hull(img, cam.project(np.concatenate([a, b])), _shade(colour, 0.6))
        for a, b in zip(rings[:-1], rings[1:]):
            mid_a, mid_b = a.mean(0), b.mean(0)
            _fill_hull(img, cam.project(np.concatenate([mid_a + 0.96 * (a - mid_a),
                                                        mid_b + 0.96 * (b - mid_b)])), colour)
    if look.shirt_pattern != "plain":
        _pattern(img, cam, shirt_rings, pts["pelvis"], dims, look)


def _pattern(img: np.ndarray, cam: Camera, rings: list[np.ndarray], anchor: np.ndarray,
             dims: BodyDims, look: PhantomLook) -> None:
    """Stripes or checks on the shirt, anchored to the pelvis so they move with the body."""
    polys = [cam.project(np.concatenate([a.mean(0) + 0.93 * (a - a.mean(0)),
                                         b.mean(0) + 0.93 * (b - b.mean(0))]))
             for a, b in zip(rings[:-1], rings[1:])]
    allp = np.concatenate(polys)
    height, width = img.shape[:2]
    x0, y0 = (max(0, int(np.floor(v))) for v in allp.min(0))
    x1 = min(width, int(np.ceil(allp[:, 0].max())) + 1)
    y1 = min(height, int(np.ceil(allp[:, 1].max())) + 1)
    if x1 <= x0 or y1 <= y0:
        return
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    for poly in polys:
        hull = cv2.convexHull(np.round(poly - [x0, y0]).astype(np.int32))
        cv2.fillConvexPoly(mask, hull, 255)
    period = max(3.0, look.pattern_period_frac * dims.height_m * float(cam.scale(anchor)))
    ax, ay = cam.project(anchor)
    ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    on = np.mod(ys - ay, period) < 0.5 * period
    if look.shirt_pattern == "checks":
        on = on ^ (np.mod(xs - ax, period) < 0.5 * period)
    sel = (mask > 0) & on
    roi = img[y0:y1, x0:x1]
    roi[sel] = (0.35 * roi[sel] + 0.65 * np.asarray(look.pattern_bgr, float)).astype(np.uint8)


def _draw_head(img: np.ndarray, cam: Camera, pts: dict[str, np.ndarray], trunk: np.ndarray,
               dims: BodyDims, look: PhantomLook) -> None:
    h = dims.height_m
    centre, r_m = pts["head"], dims.head_radius_m
    fwd, up, lat = trunk[:, 0], trunk[:, 1], trunk[:, 2]
    skin = look.skin_bgr
    hair_bgr = _shade(skin, 0.93) if look.hair_style == "bald" else look.hair_bgr
    if look.hair_style == "long":  # hair falling behind the head to the shoulders
        back = np.array([centre + r_m * (-0.75 * fwd + 0.5 * up + s * 0.85 * lat)
                         for s in (-1.0, 1.0)]
                        + [centre + r_m * (-0.85 * fwd - 1.9 * up + s * 0.95 * lat)
                           for s in (-1.0, 1.0)]
                        + [centre + r_m * (-0.1 * fwd - 1.7 * up + s * 0.95 * lat)
                           for s in (-1.0, 1.0)])
        _fill_hull(img, cam.project(back), _shade(look.hair_bgr, 0.85))
    _limb(img, cam, pts["shoulder_mid"], centre - up * 0.6 * r_m, 0.03 * h, 0.028 * h,
          _shade(skin, 0.9), outline=False)
    jaw = np.array([centre + r_m * (0.72 * fwd - 0.95 * up), centre + r_m * (0.2 * fwd - 0.9 * up),
                    centre + r_m * (-0.2 * fwd - 0.6 * up + 0.7 * lat),
                    centre + r_m * (-0.2 * fwd - 0.6 * up - 0.7 * lat),
                    centre + r_m * (0.55 * fwd - 0.5 * up + 0.55 * lat),
                    centre + r_m * (0.55 * fwd - 0.5 * up - 0.55 * lat)])
    _fill_hull(img, cam.project(jaw), skin)

    c_px = cam.project(centre)
    r_px = r_m * float(cam.scale(centre))
    height, width = img.shape[:2]
    x0 = int(max(0, np.floor(c_px[0] - r_px - 1)))
    x1 = int(min(width, np.ceil(c_px[0] + r_px + 2)))
    y0 = int(max(0, np.floor(c_px[1] - r_px - 1)))
    y1 = int(min(height, np.ceil(c_px[1] + r_px + 2)))
    if x1 > x0 and y1 > y0:
        ys, xs = np.mgrid[y0:y1, x0:x1].astype(float)
        dx, dy = (xs + 0.0 - c_px[0]) / r_px, (ys - c_px[1]) / r_px
        rho = np.sqrt(dx * dx + dy * dy)
        dz = np.sqrt(np.clip(1.0 - rho * rho, 0.0, None))
        normal = (dx[..., None] * cam.right + (-dy)[..., None] * np.array([0.0, 1.0, 0.0])
                  - dz[..., None] * cam.forward)
        n_fwd, n_up = normal @ fwd, normal @ up
        hair = (n_up > 0.55 - 0.45 * np.clip(-n_fwd, 0.0, 1.0)) | ((n_fwd < -0.4) & (n_up > -0.55))
        base = np.where(hair[..., None], np.asarray(hair_bgr, float), np.asarray(skin, float))
        light = 0.8 + 0.25 * np.clip(dz * 0.8 + 0.35 * (-dy), 0.0, 1.0)
        colour = base * light[..., None]
        alpha = np.clip((1.0 - rho) * r_px + 0.5, 0.0, 1.0)[..., None]
        roi = img[y0:y1, x0:x1].astype(float)
        img[y0:y1, x0:x1] = np.round(roi * (1 - alpha) + np.clip(colour, 0, 255) * alpha).astype(
            np.uint8)

    to_cam = -cam.forward

    def on_head(f: float, u: float, s: float) -> tuple[np.ndarray, float]:
        d = f * fwd + u * up + s * lat
        d = d / np.linalg.norm(d)
        return centre + r_m * d, float(d @ to_cam)

    dark = _shade(skin, 0.75)
    for s in (-1.0, 1.0):
        ear, vis = on_head(-0.05, -0.05, s)
        if vis > 0.15:
            e = cam.project(ear)
            cv2.ellipse(img, tuple(_fix(e)), (int(0.17 * r_px * _ONE), int(0.26 * r_px * _ONE)),
                        0, 0, 360, dark, -1, _AA, _SHIFT)
        eye, vis = on_head(0.8, 0.12, 0.5 * s)
        if vis > 0.2:
            e = cam.project(eye)
            rx = max(1.0, 0.16 * r_px * (0.4 + 0.6 * vis))
            cv2.ellipse(img, tuple(_fix(e)), (int(rx * _ONE), int(max(0.8, 0.09 * r_px) * _ONE)),
                        0, 0, 360, (235, 240, 240), -1, _AA, _SHIFT)
            _disc(img, e + (cam.project(eye + 0.1 * r_m * fwd) - e), max(0.8, 0.07 * r_px),
                  (40, 30, 30))
            brow, _ = on_head(0.78, 0.32, 0.5 * s)
            b = cam.project(np.array([brow - 0.12 * r_m * lat, brow + 0.12 * r_m * lat]))
            cv2.line(img, tuple(_fix(b[0])), tuple(_fix(b[1])), _shade(look.hair_bgr, 1.0),
                     max(1, int(0.06 * r_px)), _AA, _SHIFT)
    nose = np.array([centre + r_m * (0.97 * fwd + 0.12 * up),
                     centre + r_m * (1.2 * fwd - 0.18 * up),
                     centre + r_m * (0.97 * fwd - 0.3 * up)])
    _fill_hull(img, cam.project(nose), _shade(skin, 0.85))
    mouth = [on_head(0.92, -0.5, s) for s in (-0.22, 0.0, 0.22)]
    if mouth[1][1] > 0.0:
        m = cam.project(np.array([p for p, _ in mouth]))
        cv2.polylines(img, [_fix(m)], False, (70, 60, 150), max(1, int(0.07 * r_px)), _AA, _SHIFT)


def draw_frame(base: np.ndarray, cam: Camera, pts: dict[str, np.ndarray],
               frames: dict[str, np.ndarray], dims: BodyDims, look: PhantomLook) -> np.ndarray:
    """Draw one frame of the body over a copy of the background.

    Parameters
    ----------
    base : ndarray, (H, W, 3) uint8
        Background (BGR).
    cam : Camera
        Projection.
    pts : dict
        World positions (3,) of this frame's joints (``Skeleton.points`` at one time).
    frames : dict
        (3, 3) segment frames of this frame.
    dims, look
        Body size and appearance.

    Returns
    -------
    ndarray, (H, W, 3) uint8
        Far limbs are drawn first and darker; the trunk covers the tops of the thighs.

    """
    img = base.copy()
    _shadow(img, cam, pts["pelvis"], dims)
    torso_depth = float(cam.depth_m(pts["pelvis"]))

    def shade(depth: float) -> float:
        return float(np.clip(0.92 - 1.2 * (depth - torso_depth), 0.78, 1.0))

    leg_depth = {s: float(cam.depth_m((pts[f"{s}_hip"] + pts[f"{s}_ankle"]) / 2)) for s in SIDES}
    arm_depth = {s: float(cam.depth_m((pts[f"{s}_elbow"] + pts[f"{s}_wrist"]) / 2))
                 for s in SIDES}
    arms = sorted(SIDES, key=lambda s: -arm_depth[s])
    for s in arms:
        if arm_depth[s] > torso_depth:
            _draw_arm(img, cam, pts, s, dims, look, shade(arm_depth[s]))
    for s in sorted(SIDES, key=lambda s: -leg_depth[s]):
        _draw_leg(img, cam, pts, frames, s, dims, look, shade(leg_depth[s]))
    _draw_torso(img, cam, pts, frames["trunk"], dims, look)
    _draw_head(img, cam, pts, frames["trunk"], dims, look)
    for s in arms:
        if arm_depth[s] <= torso_depth:
            _draw_arm(img, cam, pts, s, dims, look, shade(arm_depth[s]))
    return img
