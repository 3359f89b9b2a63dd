"""The phenomenology measures: name -> (unit, definition, views in which measurable).

``docs/features.md`` lists them (``posescore.featuredoc``).
"""

from __future__ import annotations

from posescore.constants import FRONTAL_PLANE_VIEWS, SAGITTAL_PLANE_VIEWS, VIEWS

PHENOMENOLOGY: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "equinus": (
        "deg",
        "Ankle plantarflexion at heel strike, median over strides; present when at least "
        "phenomenology.posture_present_fraction of strides exceed "
        "feature.plantarflexion_posture_threshold_deg.",
        SAGITTAL_PLANE_VIEWS,
    ),
    "foot_inversion": (
        "deg",
        "Stance foot inversion, median over strides; present when enough strides exceed "
        "phenomenology.inversion_threshold_deg.",
        FRONTAL_PLANE_VIEWS,
    ),
    "striatal_toe": (
        "deg",
        "Toe-tip elevation proxy in swing minus the other leg's median (no great-toe "
        "landmark in MediaPipe); present when enough strides exceed "
        "phenomenology.toe_extension_threshold_deg.",
        SAGITTAL_PLANE_VIEWS,
    ),
    "knee": (
        "deg",
        "Knee flexion at heel strike (hyperextension below "
        "phenomenology.knee_hyperextension_deg) and mean stance flexion (excessive above "
        "phenomenology.knee_excess_flexion_deg); value = stance flexion.",
        SAGITTAL_PLANE_VIEWS,
    ),
    "hip_circumduction": (
        "leglen",
        "Largest lateral ankle offset in swing minus stance median, median over strides; "
        "present above phenomenology.circumduction_threshold_leglen.",
        FRONTAL_PLANE_VIEWS,
    ),
    "tremor": (
        "fraction",
        "Share of foot (toe relative to ankle) motion power in the tremor band, above the "
        "stride harmonics below it; needs fps > 2 x the band's upper edge.",
        VIEWS,
    ),
    "pattern": (
        "fraction",
        "Fraction of strides with any flagged posture (equinus, inversion, striatal toe); "
        "sustained at or above phenomenology.sustained_fraction, else intermittent.",
        VIEWS,
    ),
    "overflow": (
        "fraction",
        "Posture fraction of this leg when the other leg is the more affected one.",
        VIEWS,
    ),
}
"""Phenomenology measures: name -> (unit, definition, views in which measurable)."""
