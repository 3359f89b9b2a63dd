"""Style families: seeded distributions of looks, scenes, posture mixes and video formats.

A family is a recipe for drawing everything that is not the dystonia itself, so that an
evaluator can train on some families and test on others (``generate_dataset(...,
hold_out_families=...)``). Family 0 is the original phantom (``look.draw_look``, legacy
scene, full posture components, 640x480 at 30 fps) and is never changed. The others:

===  ============  ===========================================================================
id   name          what it draws
===  ============  ===========================================================================
1    studio        plain or gradient walls, trousers, short/long sleeves, even light,
                   landscape 480p-720p at 30 fps, figure 55-85 % of the frame height
2    home          furniture, doorframes and pictures or textured walls; shorts, skirts,
                   cropped trousers, striped/checked shirts; a lighting gradient, mild blur;
                   sometimes a bystander or an occluder; 25/30 fps, 480p-720p, 15 % portrait
3    corridor      tiled floor, textured walls, long trousers over the ankles, long sleeves; a
                   distant camera (small figure, 35-60 %); bystanders and occluders; 60 fps,
                   720p-1080p
4    phone         portrait phone video (stored rotated with rotation metadata, or upright),
                   hand-held shake, compression artefacts, sometimes low light and noise, a
                   close camera with strong perspective, bystanders; 30/60 fps
5    mixed         every option of families 1-4 drawn independently
===  ============  ===========================================================================

Each draw uses its own random stream of the clip seed, so a (seed, family) pair always gives
the same clip. Skin tone (a continuous range from very light to very dark), hair, body
height and proportions are drawn from the same wide ranges in every family >= 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from posescore.phantom.look import (
    BGR,
    MIN_COLOUR_DISTANCE_LAB,
    PhantomLook,
    colour_distance,
    draw_look,
    hsv_to_bgr,
)
from posescore.phantom.variation import Distractor, Occluder, PhantomScene, PostureMix

FAMILY_NAMES = {0: "original", 1: "studio", 2: "home", 3: "corridor", 4: "phone", 5: "mixed"}
FAMILIES = tuple(FAMILY_NAMES)
VARIED_FAMILIES = tuple(f for f in FAMILIES if f != 0)

_STREAM_LOOK, _STREAM_SCENE, _STREAM_MIX, _STREAM_FORMAT = 11, 12, 13, 14

SKIN_TONE_ANCHORS: tuple[BGR, ...] = (
    (205, 226, 248), (175, 205, 236), (140, 180, 222), (110, 155, 200), (85, 125, 175),
    (62, 95, 140), (45, 66, 100), (32, 45, 68),
)
"""Skin tones from very light to very dark (BGR); a tone is interpolated between them."""
HAIR_COLOURS: tuple[BGR, ...] = (
    (20, 20, 25), (30, 45, 70), (40, 70, 110), (90, 130, 170), (60, 90, 160), (170, 170, 175),
    (215, 215, 215),
)

# family -> option weights; keys not given fall back to family 5's (uniform) choices
_RECIPES: dict[int, dict[str, Any]] = {
    1: {"background": {"plain": 1, "gradient": 1}, "lower": {"trousers": 3, "long_trousers": 1},
        "sleeve": {"short": 1, "long": 1}, "pattern": {"plain": 1}, "height": (0.55, 0.85),
        "distance": (4.0, 6.0), "distractor": 0.0, "occluder": 0.0, "shake": 0.0,
        "jpeg": 0.0, "low_light": 0.0, "gradient": (0.0, 0.15), "blur": (0.0, 0.3)},
    2: {"background": {"furniture": 3, "texture": 1}, "lower": {"shorts": 2, "skirt": 2,
        "cropped": 2, "trousers": 1}, "sleeve": {"short": 2, "none": 1, "long": 1},
        "pattern": {"stripes": 2, "checks": 1, "plain": 1}, "height": (0.45, 0.8),
        "distance": (3.0, 5.0), "distractor": 0.3, "occluder": 0.15, "shake": 0.2,
        "jpeg": 0.2, "low_light": 0.1, "gradient": (0.2, 0.6), "blur": (0.3, 1.2)},
    3: {"background": {"tiles": 2, "texture": 1}, "lower": {"long_trousers": 3, "trousers": 1,
        "cropped": 1}, "sleeve": {"long": 3, "short": 1}, "pattern": {"plain": 2, "stripes": 1},
        "height": (0.35, 0.6), "distance": (6.0, 10.0), "distractor": 0.45, "occluder": 0.3,
        "shake": 0.1, "jpeg": 0.2, "low_light": 0.0, "gradient": (0.0, 0.3), "blur": (0.0, 0.8)},
    4: {"height": (0.4, 0.85), "distance": (2.5, 4.0), "distractor": 0.35, "occluder": 0.15,
        "shake": 0.9, "jpeg": 0.7, "low_light": 0.15, "gradient": (0.0, 0.5),
        "blur": (0.0, 1.5)},
    5: {"background": {"plain": 1, "gradient": 1, "texture": 1, "tiles": 1, "furniture": 1},
        "lower": {"trousers": 1, "long_trousers": 1, "cropped": 1, "shorts": 1, "skirt": 1},
        "sleeve": {"short": 1, "long": 1, "none": 1},
        "pattern": {"plain": 2, "stripes": 1, "checks": 1}, "height": (0.35, 0.85),
        "distance": (2.5, 10.0), "distractor": 0.3, "occluder": 0.2, "shake": 0.4,
        "jpeg": 0.35, "low_light": 0.1, "gradient": (0.0, 0.6), "blur": (0.0, 1.5)},
}
_FORMATS: dict[int, dict[str, Any]] = {
    # (width, height) upright; rotation used for portrait sizes only
    1: {"fps": (30.0,), "sizes": ((640, 480), (960, 540), (1280, 720)), "portrait": 0.0,
        "low_bitrate": 0.0},
    2: {"fps": (25.0, 30.0), "sizes": ((640, 480), (854, 480), (1280, 720)), "portrait": 0.15,
        "low_bitrate": 0.2},
    3: {"fps": (60.0,), "sizes": ((1280, 720), (1920, 1080)), "portrait": 0.0,
        "low_bitrate": 0.0},
    4: {"fps": (30.0, 60.0), "sizes": ((720, 1280), (1080, 1920), (480, 854)), "portrait": 1.0,
        "low_bitrate": 0.5},
    5: {"fps": (25.0, 30.0, 60.0), "sizes": ((640, 480), (854, 480), (1280, 720),
                                            (1920, 1080)), "portrait": 0.3, "low_bitrate": 0.25},
}
PORTRAIT_SIZES = ((720, 1280), (480, 854), (1080, 1920))
LOW_LIGHT = {"brightness": (0.45, 0.65), "contrast": (0.8, 1.0), "noise_sigma": (3.0, 6.0)}
"""Ranges of a low-light scene. Low light is a deliberately hard variation: measured with
MediaPipe on a dark-clothed figure, brightness 0.6 / contrast 0.9 gave 84 % detection and
brightness <= 0.5 with noise and compression gave 0-20 % (bench/phantom_check.py); it is
therefore drawn rarely (families 4 and 5) and never together with JPEG."""


def family_recipe(family: int) -> dict[str, Any]:
    """Option weights and ranges of a family >= 1 (unset keys come from family 5)."""
    if family not in _RECIPES:
        raise ValueError(f"unknown phantom family {family}; known: {sorted(FAMILY_NAMES)}")
    return {**_RECIPES[5], **_RECIPES[family]}


def _choice(rng: np.random.Generator, weights: dict[str, float]) -> str:
    keys = list(weights)
    p = np.asarray([weights[k] for k in keys], float)
    return keys[int(rng.choice(len(keys), p=p / p.sum()))]


def skin_tone(t: float) -> BGR:
    """Skin colour at ``t`` in [0, 1] (0 = very light, 1 = very dark), BGR."""
    anchors = np.asarray(SKIN_TONE_ANCHORS, float)
    x = np.clip(t, 0.0, 1.0) * (len(anchors) - 1)
    i = min(int(x), len(anchors) - 2)
    c = anchors[i] + (x - i) * (anchors[i + 1] - anchors[i])
    return int(round(c[0])), int(round(c[1])), int(round(c[2]))


def draw_family_look(seed: int, family: int) -> PhantomLook:
    """Draw a look of a family >= 1: wide skin, hair, clothing, proportions and placement.

    Garments keep a CIE76 distance of at least ``MIN_COLOUR_DISTANCE_LAB / 2`` from the wall
    and floor (real clothes sometimes match the wall; the original family keeps the full
    distance).
    """
    if family == 0:
        return draw_look(seed)
    r = family_recipe(family)
    rng = np.random.default_rng([seed, _STREAM_LOOK, family])
    skin = skin_tone(float(rng.uniform()))
    min_dist = MIN_COLOUR_DISTANCE_LAB / 2
    for _ in range(300):
        wall_hue = float(rng.uniform(0, 360))
        wall_val = float(rng.uniform(0.35, 0.97))
        wall_top = hsv_to_bgr(wall_hue, float(rng.uniform(0.0, 0.4)), wall_val)
        wall_bottom = hsv_to_bgr(wall_hue, float(rng.uniform(0.0, 0.4)),
                                  wall_val * float(rng.uniform(0.7, 1.0)))
        floor = hsv_to_bgr(float(rng.uniform(0, 360)), float(rng.uniform(0.0, 0.5)),
                            float(rng.uniform(0.2, 0.8)))
        shirt = hsv_to_bgr(float(rng.uniform(0, 360)), float(rng.uniform(0.0, 0.95)),
                            float(rng.uniform(0.1, 0.95)))
        trousers = hsv_to_bgr(float(rng.uniform(0, 360)), float(rng.uniform(0.0, 0.8)),
                               float(rng.uniform(0.08, 0.8)))
        shoe = hsv_to_bgr(float(rng.uniform(0, 360)), float(rng.uniform(0.0, 0.7)),
                           float(rng.choice([rng.uniform(0.05, 0.25), rng.uniform(0.7, 0.97)])))
        scene = (wall_top, wall_bottom, floor)
        if all(colour_distance(g, b) >= min_dist for g in (shirt, trousers, shoe, skin)
               for b in scene) and colour_distance(trousers, shoe) >= min_dist:
            break
    else:  # pragma: no cover
        raise RuntimeError(f"no contrasting look found for seed {seed}")
    pattern = _choice(rng, r["pattern"])
    lo, hi = r["height"]
    return PhantomLook(
        skin_bgr=skin,
        hair_bgr=HAIR_COLOURS[int(rng.integers(len(HAIR_COLOURS)))],
        shirt_bgr=shirt,
        trousers_bgr=trousers,
        shoe_bgr=shoe,
        wall_top_bgr=wall_top,
        wall_bottom_bgr=wall_bottom,
        floor_bgr=floor,
        body_height_m=float(rng.uniform(1.45, 2.0)),
        body_height_frac=float(rng.uniform(lo, hi)),
        leg_scale=float(rng.uniform(0.88, 1.12)),
        shoulder_scale=float(rng.uniform(0.88, 1.12)),
        girth_scale=float(rng.uniform(0.82, 1.22)),
        horizontal_offset_frac=float(rng.uniform(-0.2, 0.2)),
        vertical_offset_frac=float(rng.uniform(-0.8, 0.8)),
        noise_sigma=float(rng.uniform(0.5, 3.5)),
        lower_garment=_choice(rng, r["lower"]),  # type: ignore[arg-type]
        sleeve=_choice(rng, r["sleeve"]),  # type: ignore[arg-type]
        shirt_pattern=pattern,  # type: ignore[arg-type]
        pattern_bgr=hsv_to_bgr(float(rng.uniform(0, 360)), float(rng.uniform(0.0, 0.8)),
                                float(rng.uniform(0.2, 1.0))),
        pattern_period_frac=float(rng.uniform(0.02, 0.06)),
        hair_style=_choice(rng, {"short": 3, "long": 2, "bald": 1}),  # type: ignore[arg-type]
    )


def draw_scene(seed: int, family: int, duration_s: float = 6.0) -> PhantomScene:
    """Draw the background, lighting, camera, degradations and extras of a clip.

    ``duration_s`` bounds the occluder's time window (it starts at least 1.5 s before the
    end when the clip is long enough).
    """
    if family == 0:
        return PhantomScene()
    r = family_recipe(family)
    rng = np.random.default_rng([seed, _STREAM_SCENE, family])
    low_light = rng.random() < r["low_light"]
    shake = rng.random() < r["shake"]
    jpeg = rng.random() < r["jpeg"] and not low_light  # dim + JPEG: see LOW_LIGHT
    distractor = None
    if rng.random() < r["distractor"]:
        side = 1.0 if rng.random() < 0.5 else -1.0
        distractor = Distractor(
            seed=int(rng.integers(0, 2**31 - 1)),
            mode=_choice(rng, {"walk_in_place": 1, "walk_across": 1, "standing": 1}),  # type: ignore[arg-type]
            size_ratio=float(rng.uniform(0.4, 0.75)),
            x_frac=side * float(rng.uniform(0.28, 0.62)),
            facing=_choice(rng, {"left": 2, "right": 2, "camera": 1}),  # type: ignore[arg-type]
        )
    occluder = None
    if rng.random() < r["occluder"]:
        kind = _choice(rng, {"panel": 2, "box": 1})
        occluder = Occluder(
            kind=kind,  # type: ignore[arg-type]
            start_s=float(rng.uniform(0.2, max(0.3, duration_s - 1.5))),
            duration_s=float(rng.uniform(0.5, 1.2)),
            width_frac=float(rng.uniform(0.08, 0.2) if kind == "panel" else rng.uniform(0.2, 0.4)),
            height_frac=float(rng.uniform(1.0, 1.3) if kind == "panel"
                              else rng.uniform(0.12, 0.25)),
            colour_bgr=hsv_to_bgr(float(rng.uniform(0, 360)), float(rng.uniform(0.1, 0.6)),
                                   float(rng.uniform(0.25, 0.8))),
        )
    g_lo, g_hi = r["gradient"]
    b_lo, b_hi = r["blur"]
    d_lo, d_hi = r["distance"]
    return PhantomScene(
        background=_choice(rng, r["background"]),  # type: ignore[arg-type]
        background_seed=int(rng.integers(0, 2**31 - 1)),
        wall_texture=float(rng.uniform(0.2, 1.0)),
        camera_distance_m=float(rng.uniform(d_lo, d_hi)),
        camera_height_frac=float(rng.uniform(0.4, 0.75)),
        brightness=float(rng.uniform(*LOW_LIGHT["brightness"]) if low_light
                         else rng.uniform(0.8, 1.2)),
        contrast=float(rng.uniform(*LOW_LIGHT["contrast"]) if low_light
                       else rng.uniform(0.8, 1.2)),
        light_gradient=float(rng.uniform(g_lo, g_hi)),
        light_angle_deg=float(rng.uniform(0, 360)),
        blur_sigma_px=float(rng.uniform(b_lo, b_hi)),
        noise_sigma=float(rng.uniform(*LOW_LIGHT["noise_sigma"])) if low_light else None,
        jpeg_quality=int(rng.integers(20, 60)) if jpeg else None,
        shake_px=float(rng.uniform(1.0, 5.0)) if shake else 0.0,
        shake_deg=float(rng.uniform(0.2, 1.2)) if shake else 0.0,
        distractor=distractor,
        occluder=occluder,
    )


def draw_posture_mix(seed: int, family: int) -> PostureMix:
    """Per-subject factors on equinus, inversion, toe extension (mean 1) and step shortening.

    The three posture factors are ``0.25 + 2.25 * w`` with ``w`` Dirichlet(1.2, 1.2, 1.2)
    (capped at 1.6), so one component often dominates; family 0 keeps every factor at 1.
    """
    if family == 0:
        return PostureMix()
    rng = np.random.default_rng([seed, _STREAM_MIX, family])
    w = rng.dirichlet([1.2, 1.2, 1.2])
    f = np.minimum(0.25 + 2.25 * w, 1.6)
    return PostureMix(equinus=round(float(f[0]), 3), inversion=round(float(f[1]), 3),
                      toe_extension=round(float(f[2]), 3),
                      stride_reduction=round(float(rng.uniform(0.6, 1.4)), 3))


def draw_format(seed: int, family: int, ffmpeg_ok: bool = True) -> dict[str, Any]:
    """Frame rate, upright size and stored rotation of a clip of this family.

    Portrait clips are stored rotated (``rotation_deg`` 90 or 270) and some clips are
    re-encoded as low-bitrate H.264 (``bitrate_kbps``: 0.04-0.12 bit per pixel per frame)
    when ``ffmpeg_ok``; without ffmpeg they are written upright in ``mp4v``.
    """
    if family == 0:
        return {"fps": 30.0, "width": 640, "height": 480, "rotation_deg": 0,
                "bitrate_kbps": None}
    spec = _FORMATS[family]
    rng = np.random.default_rng([seed, _STREAM_FORMAT, family])
    fps = float(spec["fps"][int(rng.integers(len(spec["fps"])))])
    portrait = rng.random() < spec["portrait"]
    sizes: Sequence[tuple[int, int]] = PORTRAIT_SIZES if portrait else spec["sizes"]
    width, height = sizes[int(rng.integers(len(sizes)))]
    rotation = 0
    if portrait and ffmpeg_ok and rng.random() < 0.8:
        rotation = (90, 270)[int(rng.integers(2))]
    bitrate = None
    if ffmpeg_ok and rng.random() < spec["low_bitrate"]:
        bits_per_pixel = float(rng.uniform(0.04, 0.12))
        bitrate = max(100, int(round(bits_per_pixel * width * height * fps / 1000.0)))
    return {"fps": fps, "width": int(width), "height": int(height), "rotation_deg": rotation,
            "bitrate_kbps": bitrate}
