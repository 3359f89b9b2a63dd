"""Truth annotations of the varied phantom: family, scene, format, extras, posture mix."""

from __future__ import annotations

import numpy as np

from posescore.constants import SIDES, Side
from posescore.phantom.crowd import Bystander
from posescore.phantom.expression import LegExpression
from posescore.phantom.families import FAMILY_NAMES
from posescore.phantom.look import PhantomLook
from posescore.phantom.params import PhantomParams
from posescore.phantom.render import Camera
from posescore.phantom.variation import PhantomScene, PostureMix


def round_list(x: np.ndarray | float) -> list | float:
    """Values rounded to 0.01 as plain lists/floats for the truth JSON."""
    return np.round(np.asarray(x, dtype=float), 2).tolist()


def variation_tags(params: PhantomParams, look: PhantomLook, scene: PhantomScene) -> list[str]:
    """Short labels of the variations in a clip (for per-variation evaluation)."""
    tags = [f"family:{params.family}", f"view:{params.view}", f"walk:{params.walk}",
            f"background:{scene.background}", f"lower:{look.lower_garment}",
            f"sleeve:{look.sleeve}", f"pattern:{look.shirt_pattern}", f"hair:{look.hair_style}",
            f"fps:{params.fps:g}", f"size:{params.width}x{params.height}"]
    if params.height > params.width:
        tags.append("portrait")
    if params.rotation_deg:
        tags.append("rotated")
    if look.body_height_frac < 0.5:
        tags.append("small_figure")
    if scene.brightness < 0.7:
        tags.append("low_light")
    if scene.light_gradient >= 0.3:
        tags.append("light_gradient")
    if scene.blur_sigma_px >= 1.0:
        tags.append("blur")
    if scene.jpeg_quality is not None:
        tags.append("jpeg")
    if params.bitrate_kbps:
        tags.append("low_bitrate")
    if scene.shake_px > 0 or scene.shake_deg > 0:
        tags.append("shake")
    if scene.camera_distance_m < 3.5:
        tags.append("close_camera")
    if scene.distractor is not None:
        tags.append("distractor")
    if scene.occluder is not None:
        tags.append("occluder")
    return tags


def variation_truth(params: PhantomParams, look: PhantomLook, scene: PhantomScene,
                    mix: PostureMix, expression: dict[Side, LegExpression], body_px: np.ndarray,
                    cam: Camera, truth: dict, shake: np.ndarray, bystander: Bystander | None,
                    occ_rects: list[tuple[int, int, int, int] | None],
                    oversample: int) -> dict:
    """Everything the varied phantom adds to the truth (family, scene, format, extras).

    ``body_px`` (T, N, 2) are the subject's projected points per frame (before shake),
    ``truth`` the base truth (for ``frame_count`` and ``joints_px``), ``oversample`` the
    fine samples per frame of the bystander's simulation.
    """
    n = truth["frame_count"]
    joints = tuple(truth["joints_px"]["left"])
    rects = [list(r) if r is not None else None for r in occ_rects]
    occluded = {
        side: {j: [bool(r is not None and r[0] <= x <= r[2] and r[1] <= y <= r[3])
                   for r, (x, y) in zip(occ_rects, truth["joints_px"][side][j])]
               for j in joints}
        for side in SIDES
    }
    in_frame = {
        side: {j: [bool(0 <= x < params.width and 0 <= y < params.height)
                   for x, y in truth["joints_px"][side][j]] for j in joints}
        for side in SIDES
    }
    bbox = np.concatenate([body_px.min(1), body_px.max(1)], axis=1)
    distractor = None
    if bystander is not None:
        boxes = [bystander.bbox_px(i * oversample, params.width, params.height)
                 for i in range(n)]
        distractor = {**bystander.spec.model_dump(mode="json"),
                      "look": bystander.look.model_dump(mode="json"),
                      "bbox_px": boxes,
                      "in_frame_fraction": round(sum(b is not None for b in boxes) / n, 3)}
    return {
        "family": params.family,
        "family_name": FAMILY_NAMES.get(params.family, str(params.family)),
        "scene": scene.model_dump(mode="json"),
        "posture_mix": mix.model_dump(mode="json"),
        "expression": {s: expression[s].model_dump(mode="json") for s in SIDES},
        "video_format": {
            "fps": params.fps, "width": params.width, "height": params.height,
            "rotation_deg": params.rotation_deg,
            "stored_width": params.height if params.rotation_deg in (90, 270) else params.width,
            "stored_height": params.width if params.rotation_deg in (90, 270) else params.height,
            "codec": "h264" if params.bitrate_kbps else "mp4v",
            "bitrate_kbps": params.bitrate_kbps,
            "note": "joints_px are upright (display) pixels after camera shake; subject and "
                    "distractor boxes and occluder rectangles are before shake (off by at "
                    "most a few shake_px)",
        },
        "camera": {"distance_m": round(cam.distance_m, 2),
                   "height_m": round(float(cam.origin_m[1]), 3)},
        "shake": {"dx_px": round_list(shake[:, 0]), "dy_px": round_list(shake[:, 1]),
                  "roll_deg": round_list(shake[:, 2])},
        "subject_bbox_px": round_list(bbox),
        "distractor": distractor,
        "occluder": None if scene.occluder is None else {
            **scene.occluder.model_dump(mode="json"), "rect_px": rects},
        "joints_occluded": occluded,
        "joints_in_frame": in_frame,
        "variation_tags": variation_tags(params, look, scene),
    }
