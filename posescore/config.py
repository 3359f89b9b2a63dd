"""One validated configuration object; every threshold lives here with its unit.

Defaults are the embedded defaults; a TOML file (``posescore --config FILE``) or keyword
overrides replace them. Objects are immutable: build a new one with ``model_copy(update=...)``.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any, Literal, Optional

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from posescore.errors import ConfigError

View = Literal["sagittal_left", "sagittal_right", "frontal", "posterior", "oblique"]
"""A camera view (``posescore.constants.VIEWS``)."""

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

logger = logging.getLogger(__name__)


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class VideoConfig(_Section):
    """Reading videos."""

    min_fps: float = Field(5.0, gt=0, description="Lowest plausible frame rate, frames/s.")
    max_fps: float = Field(1000.0, gt=0, description="Highest plausible frame rate, frames/s.")
    max_duration_s: float = Field(3600.0, gt=0, description="Longest video accepted, seconds.")
    min_frames: int = Field(10, ge=1, description="Fewest decodable frames for a usable video.")
    min_side_px: int = Field(
        64, ge=1,
        description="Shortest frame side accepted, pixels: a smaller frame cannot hold a body "
        "whose joints can be located (and is smaller than the people detector's window).",
    )
    verify_frame_count: bool = Field(
        True,
        description=(
            "Count frames by decoding (grab only, no colour conversion) when probing, so a "
            "truncated file reports its real length; off = trust the container's count."
        ),
    )


class PoseConfig(_Section):
    """Pose extraction (MediaPipe Pose, legacy solutions API)."""

    model_complexity: int = Field(1, ge=1, le=1, description="1 = bundled full model (offline).")
    min_detection_confidence: float = Field(0.5, ge=0, le=1)
    min_tracking_confidence: float = Field(0.5, ge=0, le=1)
    max_inference_side_px: int = Field(
        1280, ge=128, description="Frames are downscaled so the long side is at most this."
    )
    downscale_whole_factor: bool = Field(
        True,
        description="Downscale by the smallest whole factor that fits max_inference_side_px "
        "(1920 x 1080 -> 960 x 540): ten times cheaper than an arbitrary ratio; on phantom "
        "ground truth the median leg-landmark error changed by < 1 px (bench/bench_speed.py).",
    )
    frame_stride: int = Field(1, ge=1, description="Use every n-th frame.")
    max_pose_fps: Optional[float] = Field(
        None,
        ge=20.0,
        description="Skip frames of high-frame-rate video so the pose is sampled at no more "
        "than this, frames/s (stride = floor(fps / max_pose_fps), at least frame_stride); "
        "None = every frame. Never below 20 frames/s: the 4-8 Hz tremor band needs more "
        "than 16 (Nyquist).",
    )
    chunks: int = Field(
        2,
        ge=1,
        le=16,
        description="Track a video in this many consecutive chunks, each warmed up from "
        "chunk_overlap_s before its start (MediaPipe's tracking and smoothing; the warm-up "
        "is dropped) and stitched; fewer when a chunk would be shorter than chunk_min_s. "
        "The split depends only on the video, so the pose is the same whether the chunks run "
        "one after another or at once (execution.chunk_processes); it differs slightly from "
        "one chunk's (fresh tracking at each chunk), so the split is part of the pose cache "
        "key. Full-frame tracking only.",
    )
    chunk_min_s: float = Field(
        10.0,
        gt=0,
        description="Shortest chunk, s: a video shorter than 2 x this is one chunk (the "
        "warm-up costs at most chunk_overlap_s / chunk_min_s of extra inference).",
    )
    chunk_overlap_s: float = Field(
        1.0, gt=0, description="Warm-up frames tracked and dropped before each chunk, s."
    )
    chunk_lead_frames: int = Field(
        120,
        ge=0,
        description="Inferred frames the first chunk holds beyond an even share: it starts at "
        "once, while the other chunks' processes start, load MediaPipe and decode up to their "
        "warm-up (about 2.5 s, some 120 frames of inference, on the 2-core machine of "
        "bench/bench_speed.py). Part of the split, so of the pose.",
    )
    hold_repeated_frames: bool = Field(
        True,
        description="A frame that repeats the previous picture (a video converted to a higher "
        "frame rate by duplicating frames) keeps the previous pose instead of being estimated "
        "again (pose.RepeatedFrames); quality.warnings gives the share and the frame rate "
        "actually filmed.",
    )
    backfill_min_gap_s: Optional[float] = Field(
        0.3,
        gt=0,
        description="A stretch of at least this long without a body, ended by a frame with "
        "one, is tracked again backwards from that frame (pose.backfill_gaps): MediaPipe's "
        "detector misses a person small in the frame (far down a corridor) or entering it, "
        "whom its tracker, started on the larger or whole body, still follows. s; None = off.",
    )
    backfill_max_s: float = Field(
        10.0, gt=0, description="Longest stretch tracked backwards, s (its frames are held in "
        "memory at inference size)."
    )
    turn_upright: bool = Field(
        True,
        description="When the pose shows the person lying sideways or upside down (a phone "
        "video whose rotation metadata is missing or wrong), turn the frames upright and "
        "estimate the pose again (pose.upright_turn_deg); the turn is recorded in "
        "quality.warnings and video.rotation_deg.",
    )


class SubjectConfig(_Section):
    """Choosing the person of interest in videos with several people (``posescore.pose.subject``).

    Frames are sampled sparsely, people are detected (MediaPipe first, HOG only when
    MediaPipe does not find one consistent person: ``screen_first``), detections are
    linked into tracks and the track with the highest weighted score
    ``persistence_weight * seen_fraction + size_weight * relative_height
    + centrality_weight * centrality + walking_weight * walking`` is the subject; a user
    ``roi`` overrides the choice.
    """

    enabled: bool = Field(True, description="Off = track whoever MediaPipe finds (no choice).")
    roi: Optional[tuple[int, int, int, int]] = Field(
        None,
        description="Region (x0, y0, x1, y1) in upright full-frame pixels holding the subject; "
        "overrides the automatic choice.",
    )
    sample_rate_hz: float = Field(3.0, gt=0, description="Frames sampled for detection, 1/s.")
    max_samples: int = Field(30, ge=1, description="Most frames sampled for detection.")
    detect_max_side_px: int = Field(
        640, ge=128, description="Sampled frames are downscaled so the long side is at most this."
    )
    detectors: tuple[Literal["hog", "mediapipe"], ...] = Field(
        ("mediapipe", "hog"),
        min_length=1,
        description="People detectors; the first one's boxes win where two overlap.",
    )
    screen_first: bool = Field(
        True,
        description="MediaPipe screens the samples first (the person tracked in the frame, "
        "then a static search with each found person masked); the other detectors run only "
        "when it sees two people in a sample, or boxes that do not link into one track. "
        "After a tracking pass that stayed on one walker at every sample nothing is screened "
        "(people.tracked_one_walker). Off = every detector on every sample.",
    )
    max_people_per_frame: int = Field(
        4, ge=1, description="Most people MediaPipe looks for in one sampled frame."
    )
    hog_min_weight: float = Field(
        0.5, description="Lowest HOG SVM score kept as a person detection."
    )
    link_max_distance_box_heights: float = Field(
        0.75, gt=0, description="Largest centre jump linking two detections, box heights."
    )
    max_gap_s: float = Field(
        1.5, ge=0, description="Longest time a track may go undetected and still continue, s."
    )
    min_track_samples: int = Field(
        2, ge=1, description="Sampled frames a track needs to count as a person."
    )
    persistence_weight: float = Field(0.5, ge=0, description="Score weight of persistence.")
    size_weight: float = Field(0.3, ge=0, description="Score weight of relative box height.")
    centrality_weight: float = Field(0.2, ge=0, description="Score weight of centrality.")
    walking_weight: float = Field(0.25, ge=0, description="Score weight of walking.")
    walking_box_heights: float = Field(
        0.2, gt=0, description="Movement (subject.track_motion) counted as walking in full, "
        "box heights; a person standing still moves about 0.",
    )
    crop_margin_box_heights: float = Field(
        1.0,
        ge=0,
        description="Crop margin added on every side of the box, box heights. Tight crops "
        "cost MediaPipe accuracy: with 0.25, samples beside a standing bystander read 2.68 "
        "and 3.22 for 2.85 and 3.84 alone; with 1.0, 2.81 and 3.76.",
    )
    crop_window_s: float = Field(
        1.0, ge=0, description="Crop size is the largest box within this window, s."
    )
    jump_threshold_box_heights: float = Field(
        0.5,
        gt=0,
        description="Frames whose hip centre is farther than this from the subject's box "
        "centre are dropped (NaN), box heights.",
    )

    @field_validator("roi")
    @classmethod
    def _check_roi(
        cls, roi: Optional[tuple[int, int, int, int]]
    ) -> Optional[tuple[int, int, int, int]]:
        if roi is not None:
            x0, y0, x1, y1 = roi
            if min(x0, y0) < 0 or x1 <= x0 or y1 <= y0:
                raise ValueError("roi must be (x0, y0, x1, y1) with 0 <= x0 < x1, 0 <= y0 < y1")
        return roi


class SignalConfig(_Section):
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


class GaitConfig(_Section):
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


class FeatureConfig(_Section):
    """Kinematic features."""

    plantarflexion_posture_threshold_deg: float = Field(
        10.0,
        description="Ankle plantarflexion at heel strike above which a stride shows the "
        "plantarflexed (equinus) posture, deg.",
    )


class QualityConfig(_Section):
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


class ExecutionConfig(_Section):
    """How the work runs: processes, threads, decoding and the cache.

    None of these changes a result, so none enters the pose cache key
    (``pose.cache.extractor_version``); worker counts are command-line options
    (``batch --workers``) and service settings (``POSESCORE_WORKERS``).
    """

    chunk_processes: int = Field(
        1,
        ge=1,
        le=16,
        description="Processes tracking the chunks (pose.chunks) of one video at once (1 = one "
        "after the other in this process: the library spawns no processes behind a caller's "
        "back). The command line uses min(pose.chunks, usable cores) unless this is set; "
        "batch workers use 1, the videos already run in parallel.",
    )
    decode_thread: bool = Field(
        True,
        description="Decode, downscale and colour-convert frames in a background thread "
        "that overlaps MediaPipe inference.",
    )
    decode_queue_frames: int = Field(
        8, ge=1, description="Frames the decoding thread may run ahead of inference."
    )
    subject_single_pass: bool = Field(
        True,
        description="Detect people on the sampled frames during the full-frame tracking pass "
        "instead of in a decoding pass of its own; when several people (or none but a "
        "region) call for crops, the clip is tracked again inside them.",
    )
    meta_index: bool = Field(
        True,
        description="Remember each file's probe result and SHA-256 under the pose cache, "
        "keyed by (path, size, mtime_ns, ctime_ns, inode), so a cached re-score neither "
        "hashes nor decodes the file. A file rewritten in place with identical size and "
        "both time stamps restored would be missed; off = hash on every run.",
    )
    cache_dir: Optional[Path] = Field(
        None, description="Pose cache folder; None = $POSESCORE_CACHE or ~/.cache/posescore."
    )
    use_cache: bool = Field(True, description="Read and write the pose cache.")


MOVED_SETTINGS: dict[tuple[str, str], tuple[str, str]] = {
    ("pose", "chunk_processes"): ("execution", "chunk_processes"),
    ("pose", "decode_thread"): ("execution", "decode_thread"),
    ("pose", "decode_queue_frames"): ("execution", "decode_queue_frames"),
    ("pose", "meta_index"): ("execution", "meta_index"),
    ("pose", "cache_dir"): ("execution", "cache_dir"),
    ("pose", "use_cache"): ("execution", "use_cache"),
    ("subject", "single_pass"): ("execution", "subject_single_pass"),
    ("video", "low_light_luma"): ("quality", "low_light_luma"),
    ("gait", "min_strides"): ("quality", "min_strides_per_leg"),
    ("feature", "min_strides"): ("quality", "min_strides_per_measure"),
}
"""Settings moved to another section (old place -> new place), still read from the old one
with a warning (``Settings`` moves them)."""


class PhenomenologyConfig(_Section):
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


class ModelConfig(_Section):
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


class VisitConfig(_Section):
    """Fusing the clips of one visit (``posescore.fusion``)."""

    error_correlation: float = Field(
        0.7, ge=0, le=1, description="Assumed correlation of two clips' severity errors for "
        "the same walker; 0.70 measured between two views of phantom subjects (default recipe, "
        "one expression family left out at a time).")
    mdc95: float = Field(
        0.76, gt=0, le=4, description="Minimal detectable change (95 %) of a leg's fused visit "
        "severity, severity points: 1.96 x sqrt(2) x SEM, SEM from test-retest phantom visits "
        "(Weir 2005); measured by `python bench/visit_mdc.py --pairs 10` (see its docstring): "
        "10 walkers filmed twice from both sides, 18 legs judged in both visits, SEM 0.27. "
        "Affected legs alone: 1.07 (n 7); healthy legs: 0.49 (n 11).")
    mdc_reference_halfwidth: float = Field(
        1.671, gt=0, le=4, description="Median half-width of the fused 90 % interval of the legs "
        "of those test-retest visits, severity points (`python bench/visit_mdc.py`). A change "
        "between visits whose legs have wider intervals (a leg seen only as the far leg, or "
        "only from the front) needs more than mdc95: see visit_change.leg_mdc95.")


class Settings(_Section):
    """All posescore settings."""

    video: VideoConfig = VideoConfig()
    pose: PoseConfig = PoseConfig()
    subject: SubjectConfig = SubjectConfig()
    signal: SignalConfig = SignalConfig()
    gait: GaitConfig = GaitConfig()
    feature: FeatureConfig = FeatureConfig()
    quality: QualityConfig = QualityConfig()
    phenomenology: PhenomenologyConfig = PhenomenologyConfig()
    model: ModelConfig = ModelConfig()
    visit: VisitConfig = VisitConfig()
    execution: ExecutionConfig = ExecutionConfig()

    @model_validator(mode="before")
    @classmethod
    def _move_old_keys(cls, data: Any) -> Any:
        """Read a setting named in its old section (``MOVED_SETTINGS``) into its new one."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for (old_section, old_key), (new_section, new_key) in MOVED_SETTINGS.items():
            old = data.get(old_section)
            if not isinstance(old, dict) or old_key not in old:
                continue
            new = data.get(new_section, {})
            if not isinstance(new, dict):
                raise ValueError(f"[{old_section}] {old_key} moved to [{new_section}] {new_key}")
            if new_key in new:
                raise ValueError(
                    f"[{old_section}] {old_key} moved to [{new_section}] {new_key}, which is "
                    "set too: remove the old one"
                )
            logger.warning(
                "setting [%s] %s has moved to [%s] %s; read from its old place for now",
                old_section, old_key, new_section, new_key,
            )
            data[old_section] = {k: v for k, v in old.items() if k != old_key}
            data[new_section] = {**new, new_key: old[old_key]}
        return data


def load_settings(path: str | Path | None = None) -> Settings:
    """Build settings from the defaults and an optional TOML file.

    Raises
    ------
    ConfigError
        If the file is missing, not TOML or holds an unknown or invalid value.
    """
    if path is None:
        return Settings()
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"config file not found: {p}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {p} is not valid TOML: {exc}") from exc
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = "".join(f"{x}: " for x in [".".join(str(x) for x in first["loc"])] if x)
        raise ConfigError(f"config file {p}: {where}{first['msg']}") from exc
