"""The seeded appearance ("look") of a phantom figure and its scene, and colour maths."""

from __future__ import annotations

from typing import Literal

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

LowerGarment = Literal["trousers", "long_trousers", "cropped", "shorts", "skirt"]
Sleeve = Literal["short", "long", "none"]
ShirtPattern = Literal["plain", "stripes", "checks"]
HairStyle = Literal["short", "long", "bald"]

BGR = tuple[int, int, int]

MIN_COLOUR_DISTANCE_LAB = 30.0
"""Smallest CIE76 distance between a garment colour and the wall or floor colour."""

_RNG_STREAM_LOOK = 1


class PhantomLook(BaseModel):
    """Appearance of the phantom figure and its scene (colours are OpenCV BGR, 0-255)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    skin_bgr: BGR
    hair_bgr: BGR
    shirt_bgr: BGR
    trousers_bgr: BGR
    shoe_bgr: BGR
    wall_top_bgr: BGR
    wall_bottom_bgr: BGR
    floor_bgr: BGR
    body_height_m: float = Field(1.72, ge=1.4, le=2.1, description="Standing height, m.")
    body_height_frac: float = Field(
        0.68, ge=0.3, le=0.9, description="Standing height in the frame, fraction of frame height."
    )
    leg_scale: float = Field(1.0, ge=0.85, le=1.15, description="Leg length factor (1 = Winter).")
    shoulder_scale: float = Field(1.0, ge=0.85, le=1.15, description="Shoulder width factor.")
    girth_scale: float = Field(1.0, ge=0.8, le=1.25, description="Limb and trunk width factor.")
    horizontal_offset_frac: float = Field(
        0.0, ge=-0.3, le=0.3, description="Figure centre offset, fraction of frame width."
    )
    vertical_offset_frac: float = Field(
        0.0, ge=-1.0, le=1.0, description="Share of the free vertical margin used to shift down."
    )
    noise_sigma: float = Field(2.0, ge=0.0, le=20.0, description="Sensor noise SD, grey levels.")
    lower_garment: LowerGarment = Field(
        "trousers", description="trousers: to the ankle (original); long_trousers: over the "
        "ankle to the shoe; cropped: ankles bare; shorts; skirt (bare shanks).")
    sleeve: Sleeve = Field("short", description="Shirt sleeve: short (original), long, none.")
    shirt_pattern: ShirtPattern = "plain"
    pattern_bgr: BGR = (235, 235, 235)
    pattern_period_frac: float = Field(0.035, ge=0.01, le=0.1,
                                       description="Stripe/check period, fraction of height.")
    hair_style: HairStyle = "short"


def _lab(bgr: BGR) -> np.ndarray:
    pixel = np.array([[bgr]], dtype=np.uint8)
    return cv2.cvtColor(pixel, cv2.COLOR_BGR2LAB)[0, 0].astype(float)


def colour_distance(a: BGR, b: BGR) -> float:
    """CIE76 colour difference of two BGR colours (OpenCV 8-bit Lab, approximately Delta E)."""
    return float(np.linalg.norm(_lab(a) - _lab(b)))


def hsv_to_bgr(hue_deg: float, sat: float, val: float) -> BGR:
    """BGR colour (0-255) of a hue (deg), saturation and value (0-1)."""
    pixel = np.array([[[hue_deg / 2.0, sat * 255.0, val * 255.0]]], dtype=np.float32)
    pixel = np.clip(pixel, 0, [179, 255, 255]).astype(np.uint8)
    b, g, r = cv2.cvtColor(pixel, cv2.COLOR_HSV2BGR)[0, 0]
    return int(b), int(g), int(r)


_SKIN_TONES: tuple[BGR, ...] = (
    (189, 214, 241),
    (160, 193, 228),
    (125, 165, 214),
    (96, 136, 198),
    (70, 105, 160),
    (50, 75, 120),
)
_HAIR_COLOURS: tuple[BGR, ...] = ((20, 20, 25), (30, 45, 70), (40, 70, 110), (90, 130, 170))


def draw_look(seed: int) -> PhantomLook:
    """Draw a moderate, seeded appearance whose garments contrast with the wall and floor.

    Parameters
    ----------
    seed : int
        Look seed (the clip seed; the look uses its own random stream).

    Returns
    -------
    PhantomLook
        Colours, body size in frame, proportions and sensor noise level.

    """
    rng = np.random.default_rng([seed, _RNG_STREAM_LOOK])
    for _ in range(200):
        wall_hue = float(rng.uniform(0, 360))
        wall_val = float(rng.uniform(0.55, 0.95))
        wall_top = hsv_to_bgr(wall_hue, float(rng.uniform(0.03, 0.25)), wall_val)
        wall_bottom = hsv_to_bgr(wall_hue, float(rng.uniform(0.03, 0.25)), wall_val * 0.85)
        floor = hsv_to_bgr(float(rng.uniform(0, 360)), float(rng.uniform(0.05, 0.35)),
                            float(rng.uniform(0.3, 0.6)))
        shirt = hsv_to_bgr(float(rng.uniform(0, 360)), float(rng.uniform(0.3, 0.9)),
                            float(rng.uniform(0.3, 0.9)))
        trousers = hsv_to_bgr(float(rng.uniform(180, 260)), float(rng.uniform(0.1, 0.7)),
                               float(rng.uniform(0.15, 0.55)))
        shoe = hsv_to_bgr(float(rng.uniform(0, 360)), float(rng.uniform(0.0, 0.5)),
                           float(rng.choice([rng.uniform(0.05, 0.2), rng.uniform(0.8, 0.95)])))
        skin = _SKIN_TONES[int(rng.integers(len(_SKIN_TONES)))]
        hair = _HAIR_COLOURS[int(rng.integers(len(_HAIR_COLOURS)))]
        scene = (wall_top, wall_bottom, floor)
        if all(
            colour_distance(garment, back) >= MIN_COLOUR_DISTANCE_LAB
            for garment in (shirt, trousers, shoe, skin)
            for back in scene
        ) and colour_distance(trousers, shoe) >= MIN_COLOUR_DISTANCE_LAB / 2:
            break
    else:  # pragma: no cover - 200 draws always find a contrasting set in practice
        raise RuntimeError(f"no contrasting look found for seed {seed}")
    return PhantomLook(
        skin_bgr=skin,
        hair_bgr=hair,
        shirt_bgr=shirt,
        trousers_bgr=trousers,
        shoe_bgr=shoe,
        wall_top_bgr=wall_top,
        wall_bottom_bgr=wall_bottom,
        floor_bgr=floor,
        body_height_m=float(rng.uniform(1.55, 1.90)),
        body_height_frac=float(rng.uniform(0.55, 0.80)),
        leg_scale=float(rng.uniform(0.96, 1.04)),
        shoulder_scale=float(rng.uniform(0.93, 1.07)),
        girth_scale=float(rng.uniform(0.92, 1.12)),
        horizontal_offset_frac=float(rng.uniform(-0.08, 0.08)),
        vertical_offset_frac=float(rng.uniform(-0.6, 0.6)),
        noise_sigma=float(rng.uniform(1.0, 3.0)),
    )
