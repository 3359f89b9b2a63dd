"""Phenomenology stage as a package: per-stride measures in, per-leg dystonic features out.

``registry`` (the measures, their units and views: :data:`PHENOMENOLOGY`), ``tremor`` (foot
tremor from the raw landmarks) and ``legs`` (``leg_phenomenology``: every measure of both
legs, with the warnings the view or frame rate calls for). The names below are the ones the
rest of posescore uses; modules inside the package import each other directly, never through
this file.
"""

from posescore.phenomenology.legs import leg_phenomenology
from posescore.phenomenology.registry import PHENOMENOLOGY
from posescore.phenomenology.tremor import (
    foot_tremor_rms_leglen,
    tremor_measure,
    tremor_resolvable,
)

__all__ = [
    "PHENOMENOLOGY",
    "foot_tremor_rms_leglen",
    "leg_phenomenology",
    "tremor_measure",
    "tremor_resolvable",
]
