"""Parameters of a phantom clip (its look is drawn in ``look``, its family's in ``families``)."""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, model_validator

from posescore.phantom.expression import LegExpression, legacy_expression, severity_from_expression
from posescore.phantom.families import draw_family_look, draw_posture_mix, draw_scene
from posescore.phantom.look import PhantomLook, draw_look
from posescore.phantom.variation import PhantomScene, PostureMix

PhantomView = Literal["sagittal_left", "sagittal_right", "frontal", "posterior", "oblique_left",
                      "oblique_right"]
AffectedSide = Literal["left", "right", "none"]
WalkMode = Literal["in_place", "across", "towards"]
WalkDirection = Literal["forward", "backward"]


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
        return draw_family_look(self.seed, self.family)

    def resolved_scene(self) -> PhantomScene:
        """Return the given scene, or the one drawn from ``seed`` and ``family``."""
        if self.scene is not None:
            return self.scene
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
        return draw_posture_mix(self.seed, self.family)
