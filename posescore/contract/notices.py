"""Warnings as objects: a stable ``code``, the pipeline ``stage`` that raised it, a message."""

from __future__ import annotations

from enum import Enum
from typing import Literal

from pydantic import ConfigDict, Field

from posescore.contract.base import Contract

Stage = Literal["video", "pose", "gait", "quality", "phenomenology", "crosscheck", "compare"]
"""Where a notice comes from: reading the video, the pose, the gait events, the scorability
checks, the phenomenology, the cross-check of the model's severity, or a comparison."""


class NoticeCode(str, Enum):
    """Stable codes of the notices; consumers branch on these, never on the message."""

    # video: what reading the file found (VideoMeta.warnings), and its frame rate
    ROTATION_IGNORED = "rotation_ignored"
    DECODING_STOPPED = "decoding_stopped"
    DAMAGED_FRAMES_SKIPPED = "damaged_frames_skipped"
    STOPPED_AT_MAX_DURATION = "stopped_at_max_duration"
    BAD_TIMESTAMPS = "bad_timestamps"
    TRUNCATED = "truncated"
    UNDECODABLE_FRAMES = "undecodable_frames"
    LOW_LIGHT = "low_light"
    PICTURE_TURNED = "picture_turned"
    REPEATED_FRAMES = "repeated_frames"
    LOW_FPS_TREMOR = "low_fps_tremor"
    # pose: how the pose was prepared before measuring
    POSE_RETIMED = "pose_retimed"
    SEVERAL_PEOPLE = "several_people"
    PERSON_IN_REGION = "person_in_region"
    NOBODY_IN_REGION = "nobody_in_region"
    LEGS_RELABELLED = "legs_relabelled"
    CAMERA_TILTED = "camera_tilted"
    FAR_LEG_HIDDEN = "far_leg_hidden"
    # gait
    SUBJECT_TURNED = "subject_turned"
    # quality: each makes the video not scorable
    TOO_LITTLE_POSE = "too_little_pose"
    LEGS_NOT_VISIBLE = "legs_not_visible"
    TRUNK_OUT_OF_FRAME = "trunk_out_of_frame"
    TOO_FEW_STEPS = "too_few_steps"
    TOO_DARK = "too_dark"
    UPSIDE_DOWN = "upside_down"
    BODY_TOO_SMALL = "body_too_small"
    TOO_FEW_STRIDES = "too_few_strides"
    # phenomenology: ``view_cannot_show_<measure>`` (and LOW_FPS_TREMOR, stage phenomenology)
    VIEW_CANNOT_SHOW_EQUINUS = "view_cannot_show_equinus"
    VIEW_CANNOT_SHOW_FOOT_INVERSION = "view_cannot_show_foot_inversion"
    VIEW_CANNOT_SHOW_STRIATAL_TOE = "view_cannot_show_striatal_toe"
    VIEW_CANNOT_SHOW_KNEE = "view_cannot_show_knee"
    VIEW_CANNOT_SHOW_HIP_CIRCUMDUCTION = "view_cannot_show_hip_circumduction"
    # crosscheck: the model's severity against the leg's measures (the abnormality findings)
    UNBACKED_SEVERITY = "unbacked_severity"
    UNREAD_ABNORMALITY = "unread_abnormality"
    OUTSIDE_TRAINING_SUPPORT = "outside_training_support"
    FAR_LEG = "far_leg"
    VIEW_NOT_IN_TRAINING = "view_not_in_training"
    # compare
    VIEWS_DIFFER = "views_differ"
    TASKS_DIFFER = "tasks_differ"
    SESSION_NOT_SCORABLE = "session_not_scorable"
    SESSION_DISAGREEMENT = "session_disagreement"
    OTHER_MODEL = "other_model"
    MULTIPLE_TESTING = "multiple_testing"


class Notice(Contract):
    """One warning or reason: what happened (``code``), where (``stage``), in words."""

    model_config = ConfigDict(frozen=True)

    code: NoticeCode
    stage: Stage
    message: str = Field(description="One readable line; its wording may change, the code not.")
