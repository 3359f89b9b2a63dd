"""Plain language for clinicians: measure names with units, and one-sentence summaries.

``MEASURE_LABELS`` is the one table of plain names of the per-leg measures
(``features.FEATURES``; a test checks that every measure has one). The sentences lead every
text output of ``compare``, ``course`` and ``visit`` and fill their JSON ``summary``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Optional

MEASURE_LABELS: dict[str, str] = {
    "ankle_plantarflexion_hs_deg": "ankle plantarflexion at heel strike",
    "ankle_plantarflexion_swing_deg": "ankle plantarflexion in swing",
    "ankle_plantarflexion_swing_max_deg": "ankle plantarflexion in swing, maximum",
    "foot_floor_angle_hs_deg": "foot angle to the floor at heel strike",
    "toe_height_swing_leglen": "toe height above the heel in swing",
    "knee_flexion_range_deg": "knee bending range in a stride",
    "knee_flexion_hs_deg": "knee bending at heel strike",
    "hip_flexion_range_deg": "hip bending range in a stride",
    "step_length_proxy_leglen": "step length (estimate)",
    "stride_time_s": "stride time",
    "swing_fraction": "share of the stride in swing",
    "plantarflexion_posture_fraction": "share of strides with a pointed foot at heel strike",
    "foot_inversion_deg": "foot turned in (inversion) in stance",
    "knee_flexion_stance_deg": "knee bending in stance",
    "toe_extension_swing_deg": "big toe raised in swing",
    "hip_circumduction_leglen": "leg swung out to the side (circumduction)",
    "foot_floor_angle_median_deg": "foot angle to the floor, typical over a stride",
    "ankle_plantarflexion_median_deg": "ankle plantarflexion, typical over a stride",
    "knee_flexion_median_deg": "knee bending, typical over a stride",
    "toe_height_median_leglen": "toe height above the heel, typical over a stride",
    "foot_inversion_p90_deg": "foot turned in (inversion), high over a stride",
    "sole_medial_offset_stance_leglen": "sole shifted inwards in stance",
    "sole_medial_offset_p90_leglen": "sole shifted inwards, high over a stride",
    "foot_tremor_rms_leglen": "foot tremor",
}
"""Per-leg measure (``features.leg_measure_names``) -> plain name, no side, no unit."""

PHENOMENOLOGY_LABELS: dict[str, str] = {
    "equinus": "foot pointed down at heel strike (equinus)",
    "foot_inversion": "foot turned in (inversion) in stance",
    "striatal_toe": "big toe raised in swing (striatal toe, estimate)",
    "knee": "knee bending in stance",
    "hip_circumduction": "leg swung out to the side (circumduction)",
    "tremor": "foot tremor, share of foot motion in the tremor band",
    "pattern": "share of strides with a dystonic posture",
    "overflow": "postures of this leg while the other leg is the more affected (overflow)",
}
"""Phenomenology measure (``phenomenology.PHENOMENOLOGY``) -> plain name, no unit."""

UNIT_LABELS = {"deg": "degrees", "leglen": "leg lengths", "s": "s", "fraction": "0-1"}
"""Feature unit -> how a reader sees it."""

NOT_VALIDATED = "not clinically validated: do not use it for clinical decisions"


def feature_label(name: str, unit: str) -> str:
    """Plain name of a feature with its unit, e.g. ``Left leg: stride time (s)``.

    ``name`` is ``<left|right|asym>_<measure>`` (``features.FEATURES``), a bare measure or a
    phenomenology measure (``PHENOMENOLOGY_LABELS``).
    """
    prefix, measure = split_feature(name)
    where = {"left": "Left leg: ", "right": "Right leg: ", "asym": "Left minus right: ",
             "": ""}[prefix]
    return f"{where}{measure_label(measure, unit)}"


def split_feature(name: str) -> tuple[str, str]:
    """``left_stride_time_s`` -> ``("left", "stride_time_s")``; a bare measure -> ``("", name)``."""
    prefix, _, measure = name.partition("_")
    if prefix not in ("left", "right", "asym"):
        return "", name
    return prefix, measure


def measure_label(measure: str, unit: str) -> str:
    """Plain name of a per-leg or phenomenology measure with its unit, e.g. ``stride time (s)``."""
    plain = MEASURE_LABELS.get(measure) or PHENOMENOLOGY_LABELS.get(measure, measure)
    return f"{plain} ({UNIT_LABELS.get(unit, unit)})"


def change_sentence(
    side: str,
    pre: Optional[float],
    post: Optional[float],
    mdc95: Optional[float],
    beyond_noise: bool,
    reason: str = "",
) -> str:
    """One leg's severity change in a sentence.

    E.g. "Left leg: 3.3 -> 0.1, a decrease of 3.2, beyond the 0.8 change that noise can
    make." A change within noise, or one not assessable, says so and why.
    """
    leg = f"{side.capitalize()} leg"
    if pre is None or post is None:
        return f"{leg}: not assessable ({reason or 'not judged in both'})."
    change = post - pre
    what = (f"an increase of {change:.1f}" if change > 0.05 else
            f"a decrease of {-change:.1f}" if change < -0.05 else "no change")
    if beyond_noise and mdc95 is not None:
        return f"{leg}: {pre:.1f} -> {post:.1f}, {what}, beyond the {mdc95:.1f} change " \
               "that noise can make."
    if mdc95 is None:
        return f"{leg}: {pre:.1f} -> {post:.1f}, {what}; not called beyond noise ({reason})."
    return f"{leg}: {pre:.1f} -> {post:.1f}, {what}: no change beyond noise " \
           f"({reason or f'noise can make {mdc95:.1f}'})."


def severity_sentence(side: str, severity: Optional[float],
                      interval: Optional[list[float]], reason: str = "") -> str:
    """One leg's severity in a sentence, e.g. "Left leg: severity 2.4 of 4 (likely 1.6-3.1)."."""
    leg = f"{side.capitalize()} leg"
    if severity is None:
        return f"{leg}: not judged ({reason or 'no clip could score it'})."
    span = f" (90 % interval {interval[0]:.1f}-{interval[1]:.1f})" if interval else ""
    return f"{leg}: severity {severity:.1f} of 4{span}."


def untrained_views_sentence(clips: Sequence[tuple[str, str]]) -> Optional[str]:
    """The (clip, view) pairs filmed from a view the model never trained on, in a sentence."""
    if not clips:
        return None
    named = ", ".join(f"{clip} ({view})" for clip, view in clips)
    return (f"Filmed from a view the model was not trained on: {named}; such a clip's "
            "severity is less certain than the model's figures say.")


def model_sentence(model: Optional[Mapping[str, Any]]) -> str:
    """The model behind the numbers, what it was trained on, and whether it is validated."""
    if not model:
        return "No model scored these videos."
    trained_on = model.get("trained_on") or "unknown"
    data = "synthetic phantom videos" if trained_on == "phantom" else f"{trained_on} data"
    if model.get("clinically_validated"):
        return f"Model {model.get('name')}: trained on {data}; clinically validated."
    return f"Model {model.get('name')}: trained on {data}, {NOT_VALIDATED}."


def trend_sentence(who: str, trend: Mapping[str, Any]) -> str:
    """A severity trend (``contract.course.Trend`` as a dict) in a sentence about ``who``."""
    ci, slope, n = trend.get("ci95"), trend.get("slope_per_session"), trend.get("n_sessions")
    where = f"{who}, {trend.get('phase')} visits"
    if trend.get("direction") == "no clear trend" or ci is None or slope is None:
        return f"{where}: no clear trend over {n} sessions."
    return (f"{where}: {trend['direction']} by {abs(slope):.2f} per session (95 % CI "
            f"{ci[0]:+.2f} to {ci[1]:+.2f}) over {n} sessions.")
