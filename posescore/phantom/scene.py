"""Scene of a phantom clip: background kinds, occluders, lighting, degradations, camera shake.

Pure image functions over OpenCV BGR uint8 frames; ``synth`` calls them in this order per
frame: background (once), figure(s), occluder, ``Degrader`` (blur, lighting, noise, shake,
JPEG). The original phantom (``PhantomScene()``) only adds sensor noise, exactly as before.
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy.ndimage import gaussian_filter1d

from posescore.phantom.look import PhantomLook
from posescore.phantom.render import Camera, _shade, background
from posescore.phantom.variation import Occluder, PhantomScene

_AA = cv2.LINE_AA


def wall_base_y(cam: Camera, height: int) -> int:
    """Image row of the line where the back wall meets the floor."""
    base_y = cam.centre_px[1] + cam.px_per_m * cam.distance_m / (
        cam.distance_m + cam.wall_behind_m) * cam.origin_m[1]
    return int(np.clip(round(base_y), 1, height - 1))


def _smooth_noise(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """Multi-scale value noise in about [-1, 1], shape (H, W), float32."""
    out = np.zeros((height, width), np.float32)
    for cells, weight in ((6, 0.5), (24, 0.3), (96, 0.2)):
        small = rng.standard_normal((max(2, cells * height // width), cells)).astype(np.float32)
        out += weight * cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
    return np.clip(out / 0.7, -1.5, 1.5)


def _tiles(img: np.ndarray, cam: Camera, rng: np.random.Generator,
           colour: tuple[int, int, int]) -> None:
    """Perspective floor tile joints (the floor plane Y = 0, seen by ``cam``)."""
    tile = float(rng.uniform(0.3, 0.6))
    floor_origin = np.array([cam.origin_m[0], 0.0, cam.origin_m[2]])
    near, far = -0.6 * cam.distance_m, cam.wall_behind_m
    span = 3.0 * cam.distance_m
    for a in np.arange(-span, span + 1e-9, tile):
        p = np.stack([floor_origin + a * cam.right + d * cam.forward for d in (near, far)])
        q = cam.project(p)
        cv2.line(img, tuple(np.round(q[0]).astype(int)), tuple(np.round(q[1]).astype(int)),
                 colour, 1, _AA)
    for d in np.arange(far, near, -tile):
        p = np.stack([floor_origin + a * cam.right + d * cam.forward for a in (-span, span)])
        q = cam.project(p)
        cv2.line(img, tuple(np.round(q[0]).astype(int)), tuple(np.round(q[1]).astype(int)),
                 colour, 1, _AA)


def _furniture(img: np.ndarray, cam: Camera, base: int, rng: np.random.Generator,
               look: PhantomLook) -> None:
    """A doorframe, picture frames and a cupboard or table on the back wall."""
    height, width = img.shape[:2]
    s = cam.px_per_m * cam.distance_m / (cam.distance_m + cam.wall_behind_m)  # px per m on the wall
    wall = np.asarray(look.wall_bottom_bgr, float)

    def colour() -> tuple[int, int, int]:
        c = rng.uniform(40, 220, 3)
        c = np.where(np.abs(c - wall) < 40, 255 - c, c)
        return int(c[0]), int(c[1]), int(c[2])

    # doorframe: 0.9 m x 2.05 m
    x = int(rng.uniform(0.0, width))
    w_px, h_px = int(0.9 * s), int(2.05 * s)
    frame = colour()
    cv2.rectangle(img, (x, base - h_px), (x + w_px, base), _shade(frame, 0.8), -1)
    t = max(2, int(0.07 * s))
    inner = tuple(int(v) for v in np.clip(np.asarray(frame) * 0.5, 0, 255))
    cv2.rectangle(img, (x + t, base - h_px + t), (x + w_px - t, base), inner, -1)
    for _ in range(int(rng.integers(1, 4))):  # pictures at 1.3-1.8 m
        pw, ph = int(rng.uniform(0.3, 0.8) * s), int(rng.uniform(0.25, 0.6) * s)
        px = int(rng.uniform(-0.1, 1.0) * width)
        py = int(base - rng.uniform(1.3, 1.8) * s)
        cv2.rectangle(img, (px, py), (px + pw, py + ph), colour(), -1)
        cv2.rectangle(img, (px, py), (px + pw, py + ph), _shade(colour(), 0.5),
                      max(1, int(0.03 * s)))
    # cupboard (box) or table (top and two legs), on the floor at the wall
    fx = int(rng.uniform(-0.1, 1.0) * width)
    fw, c = int(rng.uniform(0.6, 1.4) * s), colour()
    if rng.random() < 0.5:
        fh = int(rng.uniform(0.8, 1.9) * s)
        cv2.rectangle(img, (fx, base - fh), (fx + fw, base), c, -1)
        cv2.line(img, (fx + fw // 2, base - fh), (fx + fw // 2, base), _shade(c, 0.6),
                 max(1, int(0.02 * s)))
    else:
        th, leg = int(0.75 * s), max(2, int(0.05 * s))
        cv2.rectangle(img, (fx, base - th), (fx + fw, base - th + leg), c, -1)
        for lx in (fx + leg, fx + fw - 2 * leg):
            cv2.rectangle(img, (lx, base - th), (lx + leg, base), _shade(c, 0.8), -1)


def scene_background(look: PhantomLook, scene: PhantomScene, cam: Camera, width: int,
                     height: int) -> np.ndarray:
    """Background image of the clip (BGR uint8, (H, W, 3)) for the scene's background kind.

    ``legacy``: the original wall gradient and floor. ``plain``: flat wall and floor.
    ``gradient``: a diagonal wall gradient. ``texture``: the original plus value noise on
    wall and floor. ``tiles``: perspective floor tiles (and a lightly textured wall).
    ``furniture``: a doorframe, pictures and a cupboard or table.
    """
    kind = scene.background
    img = background(look, cam, width, height)
    if kind == "legacy":
        return img
    rng = np.random.default_rng([scene.background_seed, 21])
    base = wall_base_y(cam, height)
    if kind == "plain":
        img[:base] = look.wall_top_bgr
        img[base:] = look.floor_bgr
    elif kind == "gradient":
        angle = rng.uniform(0, 2 * np.pi)
        ys, xs = np.mgrid[0:base, 0:width].astype(np.float32)
        proj = np.cos(angle) * xs / width + np.sin(angle) * ys / max(base, 1)
        t = ((proj - proj.min()) / max(float(np.ptp(proj)), 1e-6))[..., None]
        img[:base] = np.round((1 - t) * np.asarray(look.wall_top_bgr, np.float32)
                              + t * np.asarray(look.wall_bottom_bgr, np.float32)).astype(np.uint8)
    if kind in ("texture", "tiles", "furniture"):
        amp = 28.0 * scene.wall_texture * (1.0 if kind == "texture" else 0.4)
        noise = _smooth_noise(rng, height, width)[..., None] * amp
        img = np.clip(img.astype(np.float32) + noise, 0, 255).astype(np.uint8)
    if kind == "tiles":
        layer = img.copy()
        _tiles(layer, cam, rng, _shade(look.floor_bgr, 0.55))
        img[base:] = layer[base:]
    if kind == "furniture":
        _furniture(img, cam, base, rng, look)
    if kind != "legacy":
        cv2.line(img, (0, base), (width - 1, base), _shade(look.floor_bgr, 0.6), 2, _AA)
    return img


def occluder_rect(occ: Occluder, t_s: float, width: int, floor_y: float, figure_px: float,
                  figure_x: float) -> tuple[int, int, int, int] | None:
    """Pixel rectangle (x0, y0, x1, y1) of the occluder at time ``t_s``, or None if absent.

    A ``panel`` moves across the whole frame (left to right) during its window, its foot a
    little in front of the subject's; a ``box`` stands in front of the subject's feet.
    """
    if not occ.start_s <= t_s < occ.start_s + occ.duration_s:
        return None
    w = occ.width_frac * figure_px
    h = occ.height_frac * figure_px
    bottom = floor_y + 0.04 * figure_px
    if occ.kind == "panel":
        u = (t_s - occ.start_s) / occ.duration_s
        cx = -w + u * (width + 2 * w)
    else:
        cx = figure_x
    return (int(round(cx - w / 2)), int(round(bottom - h)), int(round(cx + w / 2)),
            int(round(bottom)))


def draw_occluder(img: np.ndarray, occ: Occluder, rect: tuple[int, int, int, int]) -> None:
    """Fill the occluder's rectangle with its colour and a darker edge."""
    x0, y0, x1, y1 = rect
    cv2.rectangle(img, (x0, y0), (x1, y1), occ.colour_bgr, -1)
    cv2.rectangle(img, (x0, y0), (x1, y1), _shade(occ.colour_bgr, 0.6),
                  max(1, (x1 - x0) // 15))


def shake_path(n_frames: int, fps: float, scene: PhantomScene, width: int, height: int,
               rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Smooth hand-held jitter: per-frame (dx_px, dy_px, roll_deg) and the affine maps.

    Returns
    -------
    path : ndarray, shape (T, 3)
        Translation (px, image axes) and roll about the frame centre (deg, image y down).
    affines : ndarray, shape (T, 2, 3)
        ``cv2.warpAffine`` matrices; a point p maps to ``A[:, :2] @ p + A[:, 2]``.

    """
    path = np.zeros((n_frames, 3))
    if scene.shake_px > 0 or scene.shake_deg > 0:
        white = rng.standard_normal((n_frames, 3))
        smooth = gaussian_filter1d(white, sigma=max(1.0, 0.12 * fps), axis=0, mode="reflect")
        smooth /= np.maximum(smooth.std(axis=0), 1e-9)
        path = smooth * np.array([scene.shake_px, scene.shake_px, scene.shake_deg])
    affines = np.stack([cv2.getRotationMatrix2D((width / 2, height / 2), float(a), 1.0)
                        + np.array([[0, 0, dx], [0, 0, dy]]) for dx, dy, a in path])
    return path, affines


def gain_map(scene: PhantomScene, width: int, height: int) -> np.ndarray:
    """Per-pixel lighting gain, (H, W, 1) float32: brightness times the lighting ramp."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    a = np.deg2rad(scene.light_angle_deg)
    proj = (np.cos(a) * (xs / width - 0.5) + np.sin(a) * (ys / height - 0.5)) * 2.0
    proj /= max(float(np.abs(proj).max()), 1e-6)
    return (scene.brightness * (1.0 + 0.5 * scene.light_gradient * proj))[..., None]


NOISE_BANK = 3
"""Pre-drawn noise fields per clip; each frame uses one at a random offset (speed)."""
_NOISE_PAD = 48


class Degrader:
    """Per-frame image degradation of a scene: blur, lighting, sensor noise, shake, JPEG.

    Lighting is ``out = gain * (contrast * (x - 128) + 128)`` with ``gain`` from
    ``gain_map``; the noise is Gaussian, SD ``noise_sigma`` grey levels, cut from one of
    ``NOISE_BANK`` pre-drawn fields at a random offset per frame.
    """

    def __init__(self, scene: PhantomScene, noise_sigma: float, width: int, height: int,
                 rng: np.random.Generator):
        self.scene, self.rng = scene, rng
        gain = gain_map(scene, width, height)
        self._a = np.ascontiguousarray(np.broadcast_to(gain * scene.contrast,
                                                       (height, width, 3)), np.float32)
        self._b = np.ascontiguousarray(np.broadcast_to(
            gain * 128.0 * (1.0 - scene.contrast) + 0.5, (height, width, 3)), np.float32)
        self._noise = [rng.standard_normal((height + _NOISE_PAD, width + _NOISE_PAD, 3),
                                           dtype=np.float32) * noise_sigma
                       for _ in range(NOISE_BANK if noise_sigma > 0 else 0)]

    def __call__(self, img: np.ndarray, affine: np.ndarray) -> np.ndarray:
        """Degrade one frame (BGR uint8) and apply the camera shake ``affine`` (2, 3)."""
        scene = self.scene
        if scene.blur_sigma_px > 0:
            img = cv2.GaussianBlur(img, (0, 0), scene.blur_sigma_px)
        x = img.astype(np.float32)
        np.multiply(x, self._a, out=x)
        np.add(x, self._b, out=x)
        if self._noise:
            k, dy, dx = (int(v) for v in self.rng.integers(0, [len(self._noise), _NOISE_PAD,
                                                               _NOISE_PAD]))
            h, w = x.shape[:2]
            np.add(x, self._noise[k][dy:dy + h, dx:dx + w], out=x)
        np.clip(x, 0, 255, out=x)
        out = x.astype(np.uint8)
        if np.any(affine != np.array([[1, 0, 0], [0, 1, 0]])):
            out = cv2.warpAffine(out, affine, (out.shape[1], out.shape[0]),
                                 flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT101)
        if scene.jpeg_quality is not None:
            ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, scene.jpeg_quality])
            if ok:
                out = cv2.imdecode(buf, cv2.IMREAD_COLOR)
        return out
