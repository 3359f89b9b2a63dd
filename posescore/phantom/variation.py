"""Scene, camera, distractor, occlusion and posture-mix parameters of a phantom clip.

Every field defaults to the original ("family 0") phantom: a plain gradient wall, a camera
5 m away, no shake, blur, compression, distractor or occluder, and all dystonic posture
components at full strength. ``families.draw_variation`` draws them for the other families.
"""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

BGR = tuple[int, int, int]

BackgroundKind = Literal["legacy", "plain", "gradient", "texture", "tiles", "furniture"]
DistractorMode = Literal["walk_in_place", "walk_across", "standing"]
OccluderKind = Literal["panel", "box"]


class PostureMix(BaseModel):
    """Per-clip factors on each dystonic posture component (1 = the nominal amplitude).

    The nominal amplitudes at severity 4 are ``kinematics.EQUINUS_MAX_DEG`` (ankle
    plantarflexion), ``INVERSION_MAX_DEG``, ``TOE_EXTENSION_MAX_DEG`` and
    ``STRIDE_REDUCTION_MAX``; a factor scales one component at every severity, so that some
    subjects show mostly equinus and others mostly inversion or toe extension.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    equinus: float = Field(1.0, ge=0.0, le=1.6, description="Factor on ankle equinus.")
    inversion: float = Field(1.0, ge=0.0, le=1.6, description="Factor on foot inversion.")
    toe_extension: float = Field(1.0, ge=0.0, le=1.6, description="Factor on toe extension.")
    stride_reduction: float = Field(1.0, ge=0.0, le=1.6, description="Factor on step shortening.")


class Distractor(BaseModel):
    """A second, healthy person further back in the scene (drawn behind the subject)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seed: int = Field(0, ge=0, description="Seed of the bystander's look and gait.")
    mode: DistractorMode = "walk_in_place"
    size_ratio: float = Field(0.6, ge=0.3, le=0.9,
                              description="Image height relative to the subject's.")
    x_frac: float = Field(0.35, ge=-0.75, le=0.75,
                          description="Horizontal centre, fraction of the frame width from the "
                                      "centre (beyond +-0.5 partly out of frame).")
    facing: Literal["left", "right", "camera"] = "right"
    """Image direction the bystander faces (``camera`` = frontal)."""


class Occluder(BaseModel):
    """An object in front of the subject for part of the clip (hides part of the body)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: OccluderKind = "panel"
    """``panel``: a tall board carried across the frame; ``box``: a low object standing in
    front of the feet for a time window."""
    start_s: float = Field(1.0, ge=0.0, description="First time the object is in frame, s.")
    duration_s: float = Field(1.0, gt=0.0, description="Time it is in frame, s.")
    width_frac: float = Field(0.15, gt=0.0, le=0.6,
                              description="Width, fraction of the subject's image height.")
    height_frac: float = Field(1.1, gt=0.0, le=1.5,
                               description="Height, fraction of the subject's image height.")
    colour_bgr: BGR = (90, 110, 140)


class PhantomScene(BaseModel):
    """Background, lighting, camera and image degradations of a clip.

    Post-processing order per frame: draw, lighting (contrast, brightness, gradient), blur,
    sensor noise, camera shake (warp), JPEG round trip, then rotation for storage.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    background: BackgroundKind = "legacy"
    background_seed: int = Field(0, ge=0, description="Seed of textures and furniture.")
    wall_texture: float = Field(0.0, ge=0.0, le=1.0, description="Texture strength 0-1.")
    camera_distance_m: float = Field(5.0, ge=2.0, le=12.0, description="Camera to subject, m.")
    camera_height_frac: float = Field(0.55, ge=0.25, le=0.9,
                                      description="Camera height, fraction of body height.")
    brightness: float = Field(1.0, ge=0.2, le=1.5, description="Global gain.")
    contrast: float = Field(1.0, ge=0.5, le=1.5, description="Contrast about mid-grey.")
    light_gradient: float = Field(0.0, ge=0.0, le=0.8,
                                  description="Gain ramp across the frame: gain 1 +- this / 2.")
    light_angle_deg: float = Field(0.0, description="Direction of the gain ramp, deg.")
    blur_sigma_px: float = Field(0.0, ge=0.0, le=5.0, description="Gaussian blur SD, px.")
    noise_sigma: Optional[float] = Field(
        None, ge=0.0, le=25.0, description="Sensor noise SD, grey levels; None = the look's.")
    jpeg_quality: Optional[int] = Field(
        None, ge=5, le=100, description="Per-frame JPEG round trip (block artefacts); None = off.")
    shake_px: float = Field(0.0, ge=0.0, le=30.0,
                            description="SD of the smooth camera translation jitter, px.")
    shake_deg: float = Field(0.0, ge=0.0, le=5.0,
                             description="SD of the smooth camera roll jitter, deg.")
    distractor: Optional[Distractor] = None
    occluder: Optional[Occluder] = None

    @property
    def is_legacy(self) -> bool:
        """True when the scene is the original phantom's (no extra image processing)."""
        return self == PhantomScene()
