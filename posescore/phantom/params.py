"""Parameters of a phantom clip and the seeded appearance ("look") of its figure."""

from __future__ import annotations

from typing import Literal, Optional

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from posescore.phantom.expression import LegExpression, legacy_expression, severity_from_expression
from posescore.phantom.variation import PhantomScene, PostureMix

PhantomView = Literal["sagittal_left", "sagittal_right", "frontal", "posterior", "oblique_left",
                      "oblique_right"]
LowerGarment = Literal["trousers", "long_trousers", "cropped", "shorts", "skirt"]
Sleeve = Literal["short", "long", "none"]
ShirtPattern = Literal["plain", "stripes", "checks"]
HairStyle = Literal["short", "long", "bald"]
AffectedSide = Literal["left", "right", "none"]
WalkMode = Literal["in_place", "across", "towards"]
WalkDirection = Literal["forward", "backward"]

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


class PhantomParams(BaseModel):
    """What to render: the subject's dystonia, the camera view, the clip and the look.

    ``sagittal_left`` means the subject's LEFT side faces the camera (the left leg is the near
    leg); ``frontal`` means the subject faces the camera, ``posterior`` that it walks away
    from it (the camera behind, the subject's left on the image left); ``oblique_left`` is
    half way between (camera 45 deg to the front-left). ``in_place`` is treadmill-like
    walking (pelvis horizontally still); ``across`` walks across the frame (sagittal views
    only) and stays fully in frame for the whole clip; ``towards`` walks towards the camera
    (frontal view only, as down a corridor), so the figure grows in the picture as it
    approaches.

    ``family`` selects the distribution that ``look``, ``scene`` and ``posture_mix`` are
    drawn from when they are None (see ``posescore.phantom.families``); family 0 is the
    original phantom. ``width`` x ``height`` is the upright (display) frame size;
    ``rotation_deg`` stores the frames rotated, with that clockwise display rotation in the
    container (a phone's portrait video; needs ffmpeg, see ``writer``); ``bitrate_kbps``
    re-encodes as low-bitrate H.264 (needs ffmpeg).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    affected_side: AffectedSide = Field("none", description="Leg with focal dystonia.")
    severity: float = Field(
        0.0, ge=0.0, le=4.0, description="BFMDRS-like severity factor of that leg, 0-4."
    )
    view: PhantomView = "sagittal_left"
    seed: int = Field(0, ge=0, description="Seed of the look, gait jitter and noise.")
    fps: float = Field(30.0, ge=5.0, le=240.0, description="Frame rate, frames/s.")
    duration_s: float = Field(6.0, ge=0.5, le=120.0, description="Clip length, s.")
    width: int = Field(640, ge=160, le=3840, description="Frame width, px.")
    height: int = Field(480, ge=120, le=2160, description="Frame height, px.")
    walk: WalkMode = "in_place"
    direction: WalkDirection = Field(
        "forward",
        description="forward, or backward: the forward walk played in reverse (backward "
        "walking is close to time-reversed forward walking; toe contacts first).",
    )
    cadence_steps_per_min: Optional[float] = Field(
        None, ge=40.0, le=180.0, description="Cadence, steps/min; None = drawn from the seed."
    )
    look: Optional[PhantomLook] = Field(None, description="Appearance; None = drawn from seed.")
    family: int = Field(0, ge=0, le=5, description="Style family (``families.FAMILY_NAMES``).")
    scene: Optional[PhantomScene] = Field(
        None, description="Background, lighting, camera, extras; None = drawn from seed.")
    posture_mix: Optional[PostureMix] = Field(
        None, description="Posture component factors of the original phantom's expression "
        "(used when ``expression`` is None); None = drawn from seed and family.")
    expression: Optional[LegExpression] = Field(
        None, description="The affected leg's dystonia expression (``expression`` module); "
        "``severity`` must then be its rule severity. None = the original phantom's single "
        "picture at ``severity``, scaled by ``posture_mix``.")
    rotation_deg: Literal[0, 90, 180, 270] = Field(
        0, description="Clockwise rotation that turns the stored frames upright.")
    bitrate_kbps: Optional[int] = Field(
        None, ge=50, le=50_000,
        description="H.264 at this bitrate, kbit/s (needs ffmpeg); None = OpenCV mp4v.")

    @model_validator(mode="after")
    def _check_combination(self) -> PhantomParams:
        if self.affected_side == "none" and self.severity != 0.0:
            raise ValueError("severity must be 0 when affected_side is 'none'")
        if self.walk == "across" and not self.view.startswith("sagittal"):
            raise ValueError("walk='across' needs a sagittal view (others are in_place only)")
        if self.walk == "towards" and self.view != "frontal":
            raise ValueError("walk='towards' needs the frontal view")
        if self.expression is not None:
            rule = severity_from_expression(self.expression)
            if self.affected_side == "none" or abs(rule - self.severity) > 0.01:
                raise ValueError(f"severity {self.severity:g} of the affected leg must be its "
                                 f"expression's rule severity ({rule:.2f})")
        return self

    def resolved_look(self) -> PhantomLook:
        """Return the given look, or the one drawn from ``seed`` (and ``family``)."""
        if self.look is not None:
            return self.look
        if self.family == 0:
            return draw_look(self.seed)
        from posescore.phantom.families import draw_family_look

        return draw_family_look(self.seed, self.family)

    def resolved_scene(self) -> PhantomScene:
        """Return the given scene, or the one drawn from ``seed`` and ``family``."""
        if self.scene is not None:
            return self.scene
        from posescore.phantom.families import draw_scene

        return draw_scene(self.seed, self.family, self.duration_s)

    def leg_expressions(self) -> dict[str, LegExpression]:
        """The dystonia expression of each leg (healthy legs: ``LegExpression()``)."""
        affected = (self.expression if self.expression is not None
                    else legacy_expression(self.severity, self.resolved_posture_mix()))
        return {side: affected if side == self.affected_side else LegExpression()
                for side in ("left", "right")}

    def resolved_posture_mix(self) -> PostureMix:
        """Return the given posture mix, or the one drawn from ``seed`` and ``family``."""
        if self.posture_mix is not None:
            return self.posture_mix
        from posescore.phantom.families import draw_posture_mix

        return draw_posture_mix(self.seed, self.family)


def _lab(bgr: BGR) -> np.ndarray:
    pixel = np.array([[bgr]], dtype=np.uint8)
    return cv2.cvtColor(pixel, cv2.COLOR_BGR2LAB)[0, 0].astype(float)


def colour_distance(a: BGR, b: BGR) -> float:
    """CIE76 colour difference of two BGR colours (OpenCV 8-bit Lab, approximately Delta E)."""
    return float(np.linalg.norm(_lab(a) - _lab(b)))


def _hsv_to_bgr(hue_deg: float, sat: float, val: float) -> BGR:
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
        wall_top = _hsv_to_bgr(wall_hue, float(rng.uniform(0.03, 0.25)), wall_val)
        wall_bottom = _hsv_to_bgr(wall_hue, float(rng.uniform(0.03, 0.25)), wall_val * 0.85)
        floor = _hsv_to_bgr(float(rng.uniform(0, 360)), float(rng.uniform(0.05, 0.35)),
                            float(rng.uniform(0.3, 0.6)))
        shirt = _hsv_to_bgr(float(rng.uniform(0, 360)), float(rng.uniform(0.3, 0.9)),
                            float(rng.uniform(0.3, 0.9)))
        trousers = _hsv_to_bgr(float(rng.uniform(180, 260)), float(rng.uniform(0.1, 0.7)),
                               float(rng.uniform(0.15, 0.55)))
        shoe = _hsv_to_bgr(float(rng.uniform(0, 360)), float(rng.uniform(0.0, 0.5)),
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
