"""Phantom: synthetic walking videos of a leg-dystonia subject with exact ground truth.

The phantom is the test instrument of the whole pipeline and the training data of the
default model. ``render_phantom(params, path)`` writes an ``.mp4`` and a
``<stem>.truth.json`` sidecar. Kinematics (``kinematics``) are pure array functions;
drawing (``render``, ``scene``, ``crowd``) only reads them.

Variety: ``PhantomParams.family`` picks a style family (``families``) from which look,
scene (``variation.PhantomScene``: background, lighting, camera, shake, blur, compression,
bystander, occluder) and posture mix are drawn; family 0 is the original phantom.
``generate_dataset`` renders a reproducible labelled set with a manifest CSV (``dataset``).
"""

from posescore.phantom.dataset import MANIFEST_COLUMNS, generate_dataset, plan_dataset
from posescore.phantom.families import FAMILY_NAMES, draw_family_look, draw_scene
from posescore.phantom.look import PhantomLook, draw_look
from posescore.phantom.params import PhantomParams
from posescore.phantom.synth import (
    TRUTH_SCHEMA_VERSION,
    build_phantom_specs,
    generate_set,
    phantom_name,
    render_phantom,
)
from posescore.phantom.variation import Distractor, Occluder, PhantomScene, PostureMix

__all__ = [
    "FAMILY_NAMES",
    "MANIFEST_COLUMNS",
    "TRUTH_SCHEMA_VERSION",
    "Distractor",
    "Occluder",
    "PhantomScene",
    "PostureMix",
    "draw_family_look",
    "draw_scene",
    "generate_dataset",
    "plan_dataset",
    "PhantomLook",
    "PhantomParams",
    "build_phantom_specs",
    "draw_look",
    "generate_set",
    "phantom_name",
    "render_phantom",
]
