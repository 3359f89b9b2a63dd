"""Settings of the analysis: signal, gait, feature, quality, phenomenology, model, visit."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from pydantic import Field

from posescore.config.base import Section, View


class SignalConfig(Section):
    """Cleaning trajectories."""

    visibility_threshold: float = Field(
        0.5, ge=0, le=1, description="Landmarks below this visibility count as missing."
    )
    max_gap_s: float = Field(0.25, ge=0, description="Longest gap filled by interpolation, s.")
    correct_leg_swaps: bool = Field(
        True,
        description="Undo the pose estimator's exchanges of the left and right leg labels "
        "(signals.leg_swap_frames).",
    )
    despike_window_s: float = Field(
        0.17, ge=0, description="Hampel-filter window removing landmark glitches, s (0 = off)."
    )
    despike_min_leglen: float = Field(
        0.1, ge=0, description="Smallest landmark jump treated as a glitch, leg lengths."
    )
    lowpass_cutoff_hz: float = Field(
        8.0, gt=0, description="Butterworth low-pass cut-off for joint positions, Hz."
    )
    filter_order: int = Field(4, ge=1, le=8, description="Butterworth order (zero-phase).")
    view: Optional[View] = Field(
        None, description="The camera view when the filmer states it (a visit manifest's view "
        "column, `score --view`); None = detected from the landmarks. In a posterior view the "
        "left and right names follow the body's own geometry (signals.named_facing_camera).")


class GaitConfig(Section):
    """Gait event detection."""

    min_step_time_s: float = Field(0.25, gt=0, description="Shortest plausible step, s.")
    max_step_time_s: float = Field(2.0, gt=0, description="Longest plausible step, s.")
    level_tilted_camera: bool = Field(
        True,
        description="When the trunk leans more than level_min_roll_deg from image up "
        "(signals.camera_roll_deg), take the camera as tilted and turn the landmarks level "
        "before measuring (angles to the floor, heights in the image).",
    )
    level_min_roll_deg: float = Field(
        7.0,
        ge=0,
        description="Smallest trunk angle from image up taken as camera tilt, deg (walking "
        "lean stays within 5 deg in every phantom clip and sample).",
    )
    longest_straight_walk: bool = Field(
        True,
        description="When the subject turns (walks to the end of the room and back), score "
        "only the longest stretch walked in one direction (signals.straight_walk_span); the "
        "events and the side/near leg of the other stretches would contradict it.",
    )
    min_walk_bout_s: float = Field(
        1.5, gt=0, description="Shortest stretch in one direction that counts as a walk, s."
    )


class FeatureConfig(Section):
    """Kinematic features."""

    plantarflexion_posture_threshold_deg: float = Field(
        10.0,
        description="Ankle plantarflexion at heel strike above which a stride shows the "
        "plantarflexed (equinus) posture, deg.",
    )


class QualityConfig(Section):
    """When a readable video can support a score, and what it warns about: every gate.

    (Whether a file is a readable video at all, ``VideoConfig``, is the reader's refusal
    policy: ``posescore.video``.)
    """

    min_strides_per_leg: int = Field(
        2, ge=1, description="Fewest complete strides per leg for a score (and twice as many "
        "steps)."
    )
    min_strides_per_measure: int = Field(
        2, ge=1, description="Fewest valid strides of a leg for a stride-based measure "
        "(feature, comparison); fewer leave the measure unmeasured."
    )
    low_light_luma: float = Field(
        40.0, ge=0, le=255,
        description="Mean luminance (0-255, ITU-R BT.601 luma) of the first frame below which "
        "the video is flagged as dark in quality.warnings (and later frames are looked at): "
        "MediaPipe still finds the body, but its leg landmarks drift (a sample darkened to 30 "
        "read 2.19 instead of 2.95).",
    )
    repeated_frames_warn_fraction: float = Field(
        0.2, ge=0, le=1, description="Share of frames repeating the previous picture above "
        "which quality.warnings says so."
    )

    min_body_height_px: float = Field(
        150.0, ge=0, description="Smallest median body height (nose to heel) in the frame, px."
    )
    min_pose_fraction: float = Field(
        0.6, ge=0, le=1, description="Frames with a body, fraction (or min_pose_s)."
    )
    min_pose_s: float = Field(
        4.0, ge=0, description="Time with a body that is enough however long the clip (a "
        "walker who enters and leaves the picture), s; the stride counts still apply.",
    )
    min_luma: float = Field(
        40.0, ge=0, le=255,
        description="Darkest picture (mean luminance 0-255, VideoMeta.luma) a score is given "
        "for. Below it MediaPipe's leg landmarks drift: the right_s3 sample darkened to 34/255 "
        "read its affected right leg as the left one, at 15/255 it lost the affected side; "
        "every phantom clip the model was trained and tested on is 48/255 or brighter.",
    )
    min_legs_visible_fraction: float = Field(
        0.5, ge=0, le=1, description="Frames with both legs visible, fraction of the frames "
        "with a body."
    )
    min_trunk_in_frame_fraction: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Frames with a body whose shoulders and hips all lie inside the picture, "
        "fraction. MediaPipe anchors the skeleton on the head and trunk: on legs-only crops "
        "of the samples it still placed legs, but read cadence 160 for 92 and severity "
        "0.86-1.54 for 3-4. Every phantom clip and sample has at least 0.87.",
    )


class PhenomenologyConfig(Section):
    """Thresholds of the per-leg phenomenology flags (``posescore.phenomenology``)."""

    inversion_threshold_deg: float = Field(
        10.0, description="Foot inversion in stance above which a stride shows inversion, deg."
    )
    toe_extension_threshold_deg: float = Field(
        12.0,
        description="Toe-tip elevation in swing above the leg's own stance value, deg, marking "
        "a striatal-toe-like stride (proxy: MediaPipe has no great-toe landmark).",
    )
    knee_hyperextension_deg: float = Field(
        -5.0, description="Knee flexion at heel strike below this is hyperextension, deg."
    )
    knee_excess_flexion_deg: float = Field(
        25.0, description="Mean stance knee flexion above this is excessive flexion, deg."
    )
    circumduction_threshold_leglen: float = Field(
        0.08, ge=0, description="Swing lateral ankle excursion above this, leg lengths."
    )
    tremor_band_hz: tuple[float, float] = Field(
        (4.0, 8.0), description="Dystonic tremor band, Hz (lower, upper)."
    )
    tremor_power_threshold: float = Field(
        0.6,
        ge=0,
        le=1,
        description="Share of foot-motion power (above the stride frequency) in the tremor "
        "band above which tremor is flagged; MediaPipe jitter on tremor-free phantoms gave "
        "0.05-0.5 (not validated on real tremor).",
    )
    sustained_fraction: float = Field(
        0.8, ge=0, le=1, description="Posture in at least this share of strides = sustained."
    )
    posture_present_fraction: float = Field(
        0.3,
        ge=0,
        le=1,
        description="A leg shows a posture when at least this share of its strides do.",
    )


class ModelConfig(Section):
    """Severity model."""

    path: Optional[Path] = Field(None, description="Model file (.skops); None = shipped default.")
    affected_threshold: float = Field(
        0.5, ge=0, le=4, description="A leg scoring at least this severity (0-4) is affected."
    )
    normal_range_z: float = Field(
        3.0, gt=0, description="A measure within this many robust SDs of healthy walking (and "
        "of the other leg's difference) is inside its normal range (abnormality module).")
    unbacked_severity: float = Field(
        2.0, ge=0, le=4, description="The model's severity from which a leg with no measure "
        "outside its normal range is a disagreement (interval widened down to 0).")
    far_outside_z: float = Field(
        6.0, gt=0, description="A measure this many robust SDs away is far outside its normal "
        "range: with a model severity below model.affected_threshold it is a disagreement "
        "(interval widened up to model.disagreement_upper).")
    disagreement_upper: float = Field(
        2.5, ge=0, le=4, description="Upper interval bound, at least, of a leg whose measure is "
        "far outside its normal range while the model reads it healthy.")
    support_margin: float = Field(
        1.5, ge=1, description="A leg whose abnormality input exceeds this multiple of the "
        "training support's upper edge (the model's support_upper_, plus 1) is outside the "
        "training data: its interval widens by model.support_widening.")
    support_widening: float = Field(
        1.0, ge=0, le=4, description="Severity points added on each side of the interval of a "
        "leg outside the training support.")
    far_leg_upper: float = Field(
        3.0, ge=0, le=4, description="Upper interval bound, at least, of the far leg of a side "
        "view: MediaPipe's far-leg landmarks carry little of its posture, so it never gets a "
        "confident 0.")


class VisitConfig(Section):
    """Fusing the clips of one visit (``posescore.fusion``)."""

    error_correlation: float = Field(
        0.7, ge=0, le=1, description="Assumed correlation of two clips' severity errors for "
        "the same walker; 0.70 measured between two views of phantom subjects (default recipe, "
        "one expression family left out at a time).")
    mdc95: float = Field(
        0.85, gt=0, le=4, description="Minimal detectable change (95 %) of a leg's fused visit "
        "severity, severity points: 1.96 x sqrt(2) x SEM, SEM from test-retest phantom visits "
        "(Weir 2005); measured by `python bench/visit_mdc.py --pairs 10` (see its docstring): "
        "10 walkers filmed twice from both sides, 18 legs judged in both visits, SEM 0.31. "
        "Affected legs alone: 1.00 (n 7); healthy legs: 0.66 (n 11).")
    mdc_reference_halfwidth: float = Field(
        1.602, gt=0, le=4, description="Median half-width of the fused 90 % interval of the legs "
        "of those test-retest visits, severity points (`python bench/visit_mdc.py`). A change "
        "between visits whose legs have wider intervals (a leg seen only as the far leg, or "
        "only from the front) needs more than mdc95: see visit_change.leg_mdc95.")
