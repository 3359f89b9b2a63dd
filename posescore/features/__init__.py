"""Feature stage as a package: trajectories and gait events in, named per-leg features out.

``angles`` (joint and segment angles per frame, pure array maths), ``registry`` (every
feature's name, unit, definition and views: :data:`FEATURES`), ``strides`` (per-stride
measures of each leg) and ``aggregate`` (per-video features and asymmetries). The names below
are the ones the rest of posescore uses; modules inside the package import each other
directly, never through this file.
"""

from posescore.features.aggregate import aggregate_strides, compute_features
from posescore.features.angles import (
    ankle_plantarflexion_deg,
    foot_floor_angle_deg,
    foot_inversion_deg,
    hip_flexion_deg,
    knee_flexion_deg,
    lateral_offset_leglen,
    toe_extension_proxy_deg,
    toe_height_leglen,
)
from posescore.features.registry import (
    FEATURES,
    FRONTAL_PLANE_VIEWS,
    PER_WALK_MEASURES,
    SAGITTAL_PLANE_VIEWS,
    FeatureSpec,
    feature_names,
    leg_measure_names,
)
from posescore.features.strides import STRIDE_TIME_KEYS, stride_measures

__all__ = [
    "FEATURES",
    "FRONTAL_PLANE_VIEWS",
    "PER_WALK_MEASURES",
    "SAGITTAL_PLANE_VIEWS",
    "STRIDE_TIME_KEYS",
    "FeatureSpec",
    "aggregate_strides",
    "ankle_plantarflexion_deg",
    "compute_features",
    "feature_names",
    "foot_floor_angle_deg",
    "foot_inversion_deg",
    "hip_flexion_deg",
    "knee_flexion_deg",
    "lateral_offset_leglen",
    "leg_measure_names",
    "stride_measures",
    "toe_extension_proxy_deg",
    "toe_height_leglen",
]
