"""Phantom: synthetic walking videos of a leg-dystonia subject with exact ground truth.

The phantom is the test instrument of the whole pipeline and the training data of the
default model. ``render_phantom(params, path)`` writes an ``.mp4`` and a
``<stem>.truth.json`` sidecar. Kinematics (``kinematics``) are pure array functions;
drawing (``render``) only reads them.
"""

from posescore.phantom.params import PhantomLook, PhantomParams, draw_look
from posescore.phantom.synth import (
    TRUTH_SCHEMA_VERSION,
    build_phantom_specs,
    generate_set,
    phantom_name,
    render_phantom,
)

__all__ = [
    "TRUTH_SCHEMA_VERSION",
    "PhantomLook",
    "PhantomParams",
    "build_phantom_specs",
    "draw_look",
    "generate_set",
    "phantom_name",
    "render_phantom",
]
