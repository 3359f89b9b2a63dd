"""The feature registry: every feature's name, unit, definition, views and reference.

``docs/features.md`` is generated from :data:`FEATURES` (``posescore.featuredoc``).
"""

from __future__ import annotations

from dataclasses import dataclass

from posescore.constants import FRONTAL_PLANE_VIEWS, SAGITTAL_PLANE_VIEWS, SIDES, VIEWS


@dataclass(frozen=True)
class FeatureSpec:
    """What one feature means.

    Attributes
    ----------
    name : str
        Key in the feature dict, ``{side}_{measure}_{unit}`` or ``asym_{measure}_{unit}``.
    unit : str
        ``deg``, ``leglen`` (leg lengths), ``s`` or ``fraction``.
    definition : str
        One-line definition.
    views : tuple of str
        Camera views in which the feature is measurable; None in the others.
    reference : str
        Where the definition comes from (short citation; full list in docs/features.md).
    """

    name: str
    unit: str
    definition: str
    views: tuple[str, ...]
    reference: str = "Winter 2009, ch. 3 (segment and joint angles)"


_PER_SIDE: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    (
        "ankle_plantarflexion_hs_deg",
        "deg",
        "Ankle plantarflexion at heel strike, mean over strides (0 = foot perpendicular to "
        "shank, + = plantarflexion). Walking backward (toe lands first): at the heel's last "
        "contact, the time mirror of a forward heel strike; likewise for every _hs_ feature.",
        SAGITTAL_PLANE_VIEWS,
    ),
    (
        "ankle_plantarflexion_swing_deg",
        "deg",
        "Ankle plantarflexion in swing (toe off to heel strike), mean over strides.",
        SAGITTAL_PLANE_VIEWS,
    ),
    (
        "ankle_plantarflexion_swing_max_deg",
        "deg",
        "Largest ankle plantarflexion in each swing, mean over strides.",
        SAGITTAL_PLANE_VIEWS,
    ),
    (
        "foot_floor_angle_hs_deg",
        "deg",
        "Foot (heel->toe) angle to the horizontal at heel strike, mean over strides "
        "(+ = toe up; healthy about +15..25, equinus negative).",
        SAGITTAL_PLANE_VIEWS,
    ),
    (
        "toe_height_swing_leglen",
        "leglen",
        "Toe height above the heel in swing, mean over strides (+ = toe above heel).",
        SAGITTAL_PLANE_VIEWS,
    ),
    (
        "knee_flexion_range_deg",
        "deg",
        "Knee flexion range (max - min) within a stride, mean over strides.",
        SAGITTAL_PLANE_VIEWS,
    ),
    (
        "knee_flexion_hs_deg",
        "deg",
        "Knee flexion at heel strike, mean over strides (0 = straight, - = hyperextension).",
        SAGITTAL_PLANE_VIEWS,
    ),
    (
        "hip_flexion_range_deg",
        "deg",
        "Hip flexion range (thigh vs trunk line, max - min) within a stride, mean over strides.",
        SAGITTAL_PLANE_VIEWS,
    ),
    (
        "step_length_proxy_leglen",
        "leglen",
        "Step length proxy: largest forward heel position relative to the pelvis within a "
        "stride, mean over strides.",
        SAGITTAL_PLANE_VIEWS,
    ),
    (
        "stride_time_s",
        "s",
        "Stride time (heel strike to next heel strike of the same foot), median.",
        VIEWS,
    ),
    (
        "swing_fraction",
        "fraction",
        "Swing phase as a fraction of the stride (1 - (HS->TO)/(HS->HS)), mean over strides.",
        VIEWS,
    ),
    (
        "plantarflexion_posture_fraction",
        "fraction",
        "Fraction of strides whose plantarflexion at heel strike exceeds "
        "feature.plantarflexion_posture_threshold_deg.",
        SAGITTAL_PLANE_VIEWS,
    ),
    (
        "foot_inversion_deg",
        "deg",
        "Foot inversion in stance (frontal/posterior view): angle from the shank line to "
        "the ankle->sole-centre line, + = medial (inversion), mean over strides.",
        FRONTAL_PLANE_VIEWS,
    ),
    (
        "knee_flexion_stance_deg",
        "deg",
        "Knee flexion in stance (heel strike to toe off), mean over strides (healthy about "
        "5..15; excessive flexion larger, hyperextension negative).",
        SAGITTAL_PLANE_VIEWS,
    ),
    (
        "toe_extension_swing_deg",
        "deg",
        "Toe-tip elevation proxy in swing: 90 - angle(heel->ankle, heel->foot_index), mean "
        "over strides. MediaPipe has no great-toe landmark; this is the foot tip's rotation "
        "towards the shin, not a true MTP angle.",
        SAGITTAL_PLANE_VIEWS,
    ),
    (
        "hip_circumduction_leglen",
        "leglen",
        "Hip circumduction (frontal/posterior view): largest lateral ankle offset from the "
        "hip in swing minus its median in stance, mean over strides.",
        FRONTAL_PLANE_VIEWS,
    ),
    (
        "foot_floor_angle_median_deg",
        "deg",
        "Median foot (heel->toe) angle to the horizontal over each whole stride, mean over "
        "strides (+ = toe up; equinus lowers it). Unlike the heel-strike value it does not "
        "hinge on one frame's event timing, and it stays readable for the far leg.",
        SAGITTAL_PLANE_VIEWS,
    ),
    (
        "ankle_plantarflexion_median_deg",
        "deg",
        "Median ankle plantarflexion over each whole stride, mean over strides (a sustained "
        "posture raises it in stance and swing alike).",
        SAGITTAL_PLANE_VIEWS,
    ),
    (
        "knee_flexion_median_deg",
        "deg",
        "Median knee flexion over each whole stride, mean over strides (a stiff or flexed "
        "knee shifts it; needs no event timing).",
        SAGITTAL_PLANE_VIEWS,
    ),
    (
        "toe_height_median_leglen",
        "leglen",
        "Median toe height relative to the heel over each whole stride, mean over strides "
        "(a plantarflexed foot lowers it in stance and swing alike).",
        SAGITTAL_PLANE_VIEWS,
    ),
    (
        "foot_inversion_p90_deg",
        "deg",
        "90th percentile of foot inversion over each whole stride (frontal/posterior view), "
        "mean over strides: the peak inversion, which a stance mean dilutes when the posture "
        "comes and goes within the stride.",
        FRONTAL_PLANE_VIEWS,
    ),
    (
        "sole_medial_offset_stance_leglen",
        "leglen",
        "Horizontal offset of the sole centre (heel-toe midpoint) medial to the ankle in "
        "stance (frontal/posterior view), median over each stance, mean over strides: "
        "inversion without the knee's position.",
        FRONTAL_PLANE_VIEWS,
    ),
    (
        "sole_medial_offset_p90_leglen",
        "leglen",
        "90th percentile over each whole stride of the sole centre's medial offset from the "
        "ankle (frontal/posterior view), mean over strides: the peak inversion.",
        FRONTAL_PLANE_VIEWS,
    ),
    (
        "foot_tremor_rms_leglen",
        "leglen",
        "RMS of the foot's (toe minus ankle, raw landmarks) motion in the tremor band "
        "(phenomenology.tremor_band_hz) over the whole walk; null when the frame rate cannot "
        "resolve the band.",
        VIEWS,
    ),
)

PER_WALK_MEASURES: frozenset[str] = frozenset({"foot_tremor_rms_leglen"})
"""Per-leg measures taken over the whole walk from the raw landmarks, not per stride
(``compute_features``' ``per_walk``)."""

_ASYMMETRY: tuple[str, ...] = (
    "ankle_plantarflexion_hs_deg",
    "ankle_plantarflexion_swing_deg",
    "foot_floor_angle_hs_deg",
    "toe_height_swing_leglen",
    "knee_flexion_range_deg",
    "step_length_proxy_leglen",
    "stride_time_s",
    "swing_fraction",
    "plantarflexion_posture_fraction",
    "foot_inversion_deg",
)


_EVENTS_REFERENCE = "Zeni 2008 (sagittal events); O'Connor 2007 (frontal events)"
_REFERENCES: dict[str, str] = {
    "stride_time_s": _EVENTS_REFERENCE,
    "swing_fraction": _EVENTS_REFERENCE,
    "step_length_proxy_leglen": "Zeni 2008 (heel position relative to the pelvis)",
    "plantarflexion_posture_fraction": "BFMDRS leg item (Burke 1985): intermittent vs sustained",
    "foot_inversion_deg": "rearfoot-angle analogue in the image plane (this project)",
    "foot_inversion_p90_deg": "rearfoot-angle analogue in the image plane (this project)",
    "sole_medial_offset_stance_leglen": "image-plane inversion measure (this project)",
    "sole_medial_offset_p90_leglen": "image-plane inversion measure (this project)",
    "toe_extension_swing_deg": "proxy defined in this project (no great-toe landmark)",
    "hip_circumduction_leglen": "frontal-plane swing path (this project)",
    "foot_tremor_rms_leglen": "Albanese 2013 (dystonic tremor, irregular, 4-8 Hz)",
}


def _build_registry() -> dict[str, FeatureSpec]:
    specs: dict[str, FeatureSpec] = {}
    default_ref = FeatureSpec.reference
    for side in SIDES:
        for measure, unit, definition, views in _PER_SIDE:
            name = f"{side}_{measure}"
            specs[name] = FeatureSpec(
                name,
                unit,
                f"{side.capitalize()} leg. {definition}",
                views,
                _REFERENCES.get(measure, default_ref),
            )
    per_side = {m: (u, d, v) for m, u, d, v in _PER_SIDE}
    for measure in _ASYMMETRY:
        unit, definition, views = per_side[measure]
        name = f"asym_{measure}"
        specs[name] = FeatureSpec(
            name,
            unit,
            f"Left minus right. {definition}",
            views,
            _REFERENCES.get(measure, default_ref),
        )
    return specs


FEATURES: dict[str, FeatureSpec] = _build_registry()
"""Every feature posescore computes, in the fixed order of :func:`feature_names`."""


def feature_names() -> list[str]:
    """Feature names in the fixed order the severity model expects."""
    return list(FEATURES)


def leg_measure_names() -> list[str]:
    """Per-leg measure names without the side prefix, in registry order."""
    return [name[len("left_") :] for name in FEATURES if name.startswith("left_")]
