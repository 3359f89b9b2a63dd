"""The contract's quality block: can this video support a score, and why not.

``assess_quality`` checks the pose, legs, trunk, size, light, steps and strides;
``assess_measured`` applies it to a measured walk (``measure.measure_pose``);
``subject_warning`` says which person was scored when several were in view.
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from posescore.config import Settings
from posescore.constants import (
    LEFT_HEEL,
    LEFT_HIP,
    LEFT_SHOULDER,
    LEG_LANDMARKS,
    NOSE,
    RIGHT_HEEL,
    RIGHT_HIP,
    RIGHT_SHOULDER,
    SIDES,
)
from posescore.contract import Notice, NoticeCode
from posescore.contract.score import Quality
from posescore.measure import Measurements
from posescore.phenomenology import tremor_resolvable
from posescore.signals import Trajectories
from posescore.types import PoseSequence


def legs_visible_fraction(pose: PoseSequence, visibility_threshold: float) -> float:
    """Share of the frames with a body in which every leg landmark of both legs is visible.

    Of the frames with a body, not of all frames: a subject who enters the picture late is
    judged on the frames in which they are there (how many those are is
    ``pose_detected_fraction``). 0 when no frame has a body.
    """
    detected = pose.detected()
    if not detected.any():
        return 0.0
    idx = [i for side in SIDES for i in LEG_LANDMARKS[side].values()]
    vis = pose.landmarks[detected][:, idx, 3]
    ok = np.nan_to_num(vis, nan=0.0) >= visibility_threshold
    return float(ok.all(axis=1).mean())


def trunk_in_frame_fraction(pose: PoseSequence) -> float:
    """Share of frames with a body in which both shoulders and both hips lie in the picture.

    0 when no frame has a body.
    """
    detected = pose.detected()
    if not detected.any():
        return 0.0
    xy = pose.landmarks[detected][:, [LEFT_SHOULDER, RIGHT_SHOULDER, LEFT_HIP, RIGHT_HIP], :2]
    with np.errstate(invalid="ignore"):
        inside = (
            (xy[..., 0] >= 0) & (xy[..., 0] < pose.width)
            & (xy[..., 1] >= 0) & (xy[..., 1] < pose.height)
        )
    return float(inside.all(axis=1).mean())


def assess_quality(
    pose: PoseSequence,
    traj: Trajectories,
    gait: dict[str, Any],
    settings: Settings,
    per_stride: Optional[dict[str, dict[str, np.ndarray]]] = None,
    luma: float = float("nan"),
) -> Quality:
    """Quality block of the contract: can this video support a score, and why not.

    Checks the share of frames with a body (or its time, ``quality.min_pose_s``) and with
    both legs visible, the body height in pixels (``quality.min_body_height_px``; negative:
    upside down), the step count, the strides per leg
    (``quality.min_strides_per_leg``, from ``per_stride`` when given) and whether the frame rate
    resolves the tremor band (Nyquist: distinct pictures per second > 2 x its upper edge,
    repeated frames not counted; a warning, not a reason to refuse the score). Each failed
    check is listed in ``not_scorable_reasons`` (empty when scorable) and leads ``warnings``.
    A picture (``VideoMeta.luma``) darker than ``quality.min_luma`` is a reason too.
    """
    q = settings.quality
    detected = float(pose.detected().mean()) if pose.n_frames else 0.0
    detected_s = float(pose.detected().sum()) / pose.fps if pose.fps > 0 else 0.0
    enough_pose = detected >= q.min_pose_fraction or detected_s >= q.min_pose_s
    legs_visible = legs_visible_fraction(pose, settings.signal.visibility_threshold)
    reasons: list[Notice] = []  # each makes the video not scorable
    warnings: list[Notice] = []

    def refuse(code: NoticeCode, message: str) -> None:
        reasons.append(Notice(code=code, stage="quality", message=message))

    if not enough_pose:
        refuse(
            NoticeCode.TOO_LITTLE_POSE,
            f"a body was found in only {detected:.0%} of frames, {detected_s:.1f} s (need "
            f"{q.min_pose_fraction:.0%} or {q.min_pose_s:g} s)"
        )
    if legs_visible < q.min_legs_visible_fraction:
        refuse(
            NoticeCode.LEGS_NOT_VISIBLE,
            f"both legs were visible in only {legs_visible:.0%} of the frames with a body "
            f"(need {q.min_legs_visible_fraction:.0%})"
        )
    trunk_in = trunk_in_frame_fraction(pose)
    if detected and trunk_in < q.min_trunk_in_frame_fraction:
        refuse(
            NoticeCode.TRUNK_OUT_OF_FRAME,
            f"the shoulders and hips were inside the picture in only {trunk_in:.0%} of the "
            f"frames with a body (need {q.min_trunk_in_frame_fraction:.0%}): without the "
            "trunk the pose estimator guesses the body's size, facing and left/right; film the "
            "whole body"
        )
    steps = gait.get("step_count") or 0
    if steps < 2 * q.min_strides_per_leg:
        refuse(NoticeCode.TOO_FEW_STEPS,
               f"only {steps} steps detected (need {2 * q.min_strides_per_leg})")
    if luma < q.min_luma:
        refuse(
            NoticeCode.TOO_DARK,
            f"too dark to score: the picture's mean luminance is {luma:.0f}/255 (need "
            f"{q.min_luma:g}); in the dark the leg landmarks drift, film in better light"
        )
    body_px = _body_height_px(pose)
    upside_down = body_px is not None and body_px < 0
    if upside_down:
        refuse(
            NoticeCode.UPSIDE_DOWN,
            "the head is below the heels: the picture is upside down (it was not stood "
            "upright: pose.turn_upright is off or the body was seen too briefly); turn the "
            "video upright"
        )
    too_small = body_px is not None and 0 <= body_px < q.min_body_height_px
    if too_small:
        refuse(
            NoticeCode.BODY_TOO_SMALL,
            f"the body is only {body_px:.0f} px tall in the frame (need {q.min_body_height_px:.0f}"
            " px); film closer or at a higher resolution"
        )
    strides_per_leg: dict[str, int] = {}
    if per_stride is not None:
        strides_per_leg = {
            side: int(len(per_stride.get(side, {}).get("stride_time_s", []))) for side in SIDES
        }
        for side, n in strides_per_leg.items():
            if n < q.min_strides_per_leg:
                refuse(
                    NoticeCode.TOO_FEW_STRIDES,
                    f"only {n} complete strides of the {side} leg (need "
                    f"{q.min_strides_per_leg}); record a longer walk"
                )
    repeated = pose.repeated_fraction()
    filmed_fps = pose.filmed_fps
    if repeated >= q.repeated_frames_warn_fraction:
        warnings.append(Notice(
            code=NoticeCode.REPEATED_FRAMES,
            stage="video",
            message=f"{repeated:.0%} of frames repeat the previous picture (converted to a "
            f"higher frame rate?): at most {filmed_fps:.1f} distinct frames per second were filmed",
        ))
    lo_hz, hi_hz = settings.phenomenology.tremor_band_hz
    tremor_ok = tremor_resolvable(filmed_fps, (lo_hz, hi_hz))
    if not tremor_ok:
        warnings.append(Notice(
            code=NoticeCode.LOW_FPS_TREMOR,
            stage="video",
            message=f"frame rate {filmed_fps:.1f} fps is too low for the {lo_hz:g}-{hi_hz:g} "
            f"Hz tremor band (needs more than {2 * hi_hz:g} fps); tremor is not assessed",
        ))
    if traj.view.startswith("sagittal_"):
        near = traj.view.split("_", 1)[1]
        far = "right" if near == "left" else "left"
        warnings.append(Notice(
            code=NoticeCode.FAR_LEG_HIDDEN,
            stage="pose",
            message=f"side view: the {far} leg is the far leg, partly hidden; its score is "
            f"less certain. Film the {far} side or add a frontal/posterior view",
        ))
    return Quality(
        scorable=not reasons,
        not_scorable_reasons=reasons,
        pose_detected_fraction=round(detected, 4),
        legs_visible_fraction=round(legs_visible, 4),
        trunk_in_frame_fraction=round(trunk_in, 4),
        body_height_px=body_px,
        strides_per_leg=strides_per_leg or None,
        tremor_band_resolvable=bool(tremor_ok),
        warnings=reasons + warnings,
    )


def _body_height_px(pose: PoseSequence) -> Optional[float]:
    """Median nose-to-lowest-heel height in pixels, a size-in-frame check."""
    y = pose.landmarks[:, :, 1]
    lowest_heel = np.fmax(y[:, LEFT_HEEL], y[:, RIGHT_HEEL])
    height = lowest_heel - y[:, NOSE] if pose.n_frames else np.array([])
    height = height[np.isfinite(height)]
    return round(float(np.median(height)), 1) if height.size else None


def subject_warning(record: dict) -> Optional[Notice]:
    """What ``quality.warnings`` says of the subject's choice (``PoseSequence.subject``).

    None with one person in view and no region given.
    """
    people, method = int(record.get("people_seen", 0)), record.get("method")
    box = ", ".join(f"{v:.0f}" for v in record.get("box_median_px", []))
    if method == "roi":
        return Notice(code=NoticeCode.PERSON_IN_REGION, stage="pose", message=f"{people} people "
                      f"were seen; the one in the given region was scored (box {box} px)")
    if method == "roi-fixed":
        return Notice(code=NoticeCode.NOBODY_IN_REGION, stage="pose", message="nobody was "
                      "found in the given region; the region itself was tracked")
    if people > 1:
        return Notice(
            code=NoticeCode.SEVERAL_PEOPLE,
            stage="pose",
            message=f"{people} people were seen; the most persistent, largest, most central "
            f"walker was scored (median box x0, y0, x1, y1 = {box} px); give a region (--roi) "
            "to score another",
        )
    return None


def assess_measured(
    pose: PoseSequence, measured: Measurements, settings: Settings, luma: float = float("nan")
) -> tuple[PoseSequence, PoseSequence, Optional[Notice], Quality]:
    """Quality of a measured pose, as ``score_pose`` judges it (``assess_quality``).

    When the subject turned, only the longest walk counts (``Measurements.walk_span``).

    Returns
    -------
    pose_walked : PoseSequence
        The frames of the walk measured.
    pose_scored : PoseSequence
        ``pose`` with the frames outside that walk blanked (frame indices kept).
    turn_warning : Notice or None
        What ``quality.warnings`` says of the turn; None without one.
    quality : Quality
        The contract's quality block.
    """
    pose_walked, turn_warning = pose, None
    if measured.walk_span is not None:
        start, stop = measured.walk_span
        t_s = pose.timestamps_s
        turn_warning = Notice(
            code=NoticeCode.SUBJECT_TURNED,
            stage="gait",
            message=f"the subject turned: only the longest walk in one direction, "
            f"{t_s[start]:.1f}-{t_s[stop - 1]:.1f} s of {t_s[0]:.1f}-{t_s[-1]:.1f} s, is scored",
        )
        pose_walked, pose = pose.frames(start, stop), pose.blanked_outside(start, stop)
    quality = assess_quality(
        pose_walked, measured.traj, measured.gait, settings, measured.per_stride, luma
    )
    return pose_walked, pose, turn_warning, quality
