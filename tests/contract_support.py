"""A valid score of the contract (a sample video's) to build test results from."""

import copy
import json
from pathlib import Path

SAMPLE_SCORE = json.loads((Path(__file__).parent / "data" / "score.json").read_text())
"""``posescore score sample_videos/left_s1_sagittal_left.mp4 --json`` (schema 2)."""

REPLACED = {"features", "strides"}
"""Top-level parts an override replaces whole (their keys belong together)."""


def _merge(base, override, replace=()):
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict) and key not in replace:
            _merge(base[key], value)
        else:
            base[key] = value
    return base


def score_dict(**parts):
    """The sample score with ``parts`` merged in (nested dicts merged, other values replaced)."""
    return _merge(copy.deepcopy(SAMPLE_SCORE), parts, REPLACED)

SCHEMA_DIR = Path(__file__).parents[1] / "docs" / "schema"


def assert_matches_schema(kind, data):
    """Validate JSON ``data`` against the committed ``docs/schema/<kind>.json``."""
    import jsonschema

    schema = json.loads((SCHEMA_DIR / f"{kind}.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(json.loads(json.dumps(data)))


def clip_score(view, left, right, scorable=True):
    """A Score of one clip whose legs read ``left`` / ``right`` = (severity, interval)."""
    from posescore.contract import Score

    def leg(reading):
        severity, interval = reading
        present = severity is not None and severity >= 1
        return {"severity": severity, "severity_interval": interval,
                "phenomenology": {"pattern": {"present": present}}}
    return Score.model_validate(score_dict(
        view=view, quality={"scorable": scorable}, legs={"left": leg(left), "right": leg(right)}))


SIDE_VIEWS = ("sagittal_left", "sagittal_right")


def visit_of(left, right, width=0.4, views=SIDE_VIEWS):
    """A visit whose clips read ``left`` and ``right`` (severities) in ``views``.

    A side view reads its near leg with an interval of +/- ``width`` and its far leg +/- 2.5;
    a frontal or posterior view reads both legs +/- 2 x ``width``. Intervals are cut at 0-4.
    """
    from posescore.config import Settings
    from posescore.visit import ScoredClip, VisitClip, build_visit

    def reading(severity, half):
        return (severity, [max(0.0, severity - half), min(4.0, severity + half)])

    def halves(view):
        near = {"sagittal_left": "left", "sagittal_right": "right"}.get(view)
        return [width if near == side else 2.5 if near else 2 * width
                for side in ("left", "right")]

    clips = []
    for view in views:
        half_left, half_right = halves(view)
        clips.append(ScoredClip(VisitClip(Path(f"{view}.mp4")), clip_score(
            view, reading(left, half_left), reading(right, half_right))))
    return build_visit(clips, Settings())
