"""Render phantom clips and check MediaPipe Pose against their ground truth.

Usage: python bench/phantom_check.py [--out DIR] [--seeds 1 2] [--walk across] [--affected far]
       python bench/phantom_check.py --variations [KIND ...] [--seeds 1 2] [--duration 3]
       python bench/phantom_check.py --dataset-sample 20 [--seeds 5] [--duration 3]

Prints, per clip: detection rate and median pixel error of knees, ankles, heels and foot
index (toe) per leg versus truth, and for each foot the mean heel-above-toe height at its
true initial contacts, MediaPipe / truth (an equinus marker: positive = heel higher than
toe), then the per-view medians.

``--variations`` renders, per variation kind (``VARIATIONS``: one change at a time on a
plain "studio" clip), one clip per seed and prints the detection rate and the median knee
and ankle errors (px and % of the figure's height in frame) per kind. Kinds in ``HARD`` are
deliberately hard (the 90 % detection target does not apply).

``--dataset-sample N`` draws N clips as ``posescore phantom --dataset`` does (families 1-5,
first ``--seeds`` value as the data set seed) and prints detection and knee/ankle errors per
clip, then per family and per variation tag.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import cv2
import mediapipe as mp
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from posescore.constants import LEG_LANDMARKS, SIDES  # noqa: E402
from posescore.phantom import (  # noqa: E402
    Distractor,
    Occluder,
    PhantomParams,
    PhantomScene,
    draw_family_look,
    render_phantom,
)
from posescore.video import iter_frames  # noqa: E402

JOINTS = ("knee", "ankle", "heel", "toe")


def run_mediapipe(video: Path) -> np.ndarray:
    """(T, 33, 3) pixel x, y and visibility per upright frame; NaN where no pose was found."""
    out = []
    with mp.solutions.pose.Pose(static_image_mode=False, model_complexity=1) as pose:
        for _, _, frame in iter_frames(video):
            h, w = frame.shape[:2]
            res = pose.process(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
            arr = np.full((33, 3), np.nan)
            if res.pose_landmarks:
                for i, lm in enumerate(res.pose_landmarks.landmark):
                    arr[i] = (lm.x * w, lm.y * h, lm.visibility)
            out.append(arr)
    return np.asarray(out)


def evaluate(truth: dict, lms: np.ndarray) -> dict:
    """Detection rate, median errors (px) per leg and joint, heel-minus-toe height at contact."""
    detected = ~np.isnan(lms[:, 0, 0])
    result = {"detection": float(detected.mean()), "errors": {}, "heel_above_toe_px": {}}
    for side in SIDES:
        for joint in JOINTS:
            true_xy = np.asarray(truth["joints_px"][side][joint])
            est = lms[:, LEG_LANDMARKS[side][joint], :2]
            err = np.linalg.norm(est - true_xy, axis=1)[detected]
            result["errors"][f"{side}_{joint}"] = float(np.median(err)) if err.size else np.nan
        ts = np.asarray(truth["timestamps_s"])
        idx = [int(np.argmin(np.abs(ts - t))) for t in truth["heel_strike_s"][side]]
        heel = lms[idx, LEG_LANDMARKS[side]["heel"], 1]
        toe = lms[idx, LEG_LANDMARKS[side]["toe"], 1]
        true_heel = np.asarray(truth["joints_px"][side]["heel"])[idx, 1]
        true_toe = np.asarray(truth["joints_px"][side]["toe"])[idx, 1]
        result["heel_above_toe_px"][side] = (
            float(np.nanmean(toe - heel)) if idx else np.nan,
            float(np.mean(true_toe - true_heel)) if idx else np.nan,
        )
    return result


def affected_leg(choice: str, view: str) -> str:
    """Resolve near/far (relative to the camera; frontal counts left as near) to a side."""
    if choice in SIDES:
        return choice
    near = "right" if view == "sagittal_right" else "left"
    far = "left" if near == "right" else "right"
    return near if choice == "near" else far


PLAIN = PhantomScene(background="plain", noise_sigma=1.5)


def _studio(seed: int, scene: PhantomScene = PLAIN, **look: object) -> dict:
    base = draw_family_look(seed, 1).model_copy(update={
        "body_height_frac": 0.65, "horizontal_offset_frac": 0.0, "lower_garment": "trousers",
        "sleeve": "short", "shirt_pattern": "plain", "hair_style": "short", **look})
    return {"look": base, "scene": scene, "family": 1}


def _scene(**kw: object) -> PhantomScene:
    return PLAIN.model_copy(update=kw)


VARIATIONS = {
    # name: (seed -> PhantomParams keyword arguments)
    "original": lambda s: {},
    "studio": lambda s: _studio(s),
    "skin_very_light": lambda s: _studio(s, skin_bgr=(205, 226, 248)),
    "skin_very_dark": lambda s: _studio(s, skin_bgr=(32, 45, 68)),
    "shorts": lambda s: _studio(s, lower_garment="shorts"),
    "skirt": lambda s: _studio(s, lower_garment="skirt"),
    "cropped_trousers": lambda s: _studio(s, lower_garment="cropped"),
    "long_trousers_over_ankle": lambda s: _studio(s, lower_garment="long_trousers"),
    "long_sleeves_stripes": lambda s: _studio(s, sleeve="long", shirt_pattern="stripes"),
    "checks_long_hair": lambda s: _studio(s, shirt_pattern="checks", hair_style="long"),
    "tall_thin": lambda s: _studio(s, body_height_m=1.98, leg_scale=1.12, girth_scale=0.82),
    "short_wide": lambda s: _studio(s, body_height_m=1.48, leg_scale=0.88, girth_scale=1.22),
    "height_35pct": lambda s: _studio(s, body_height_frac=0.35),
    "height_85pct": lambda s: _studio(s, body_height_frac=0.85),
    "offset_side": lambda s: _studio(s, horizontal_offset_frac=0.25),
    "bg_gradient": lambda s: _studio(s, _scene(background="gradient")),
    "bg_texture": lambda s: _studio(s, _scene(background="texture", wall_texture=1.0)),
    "bg_tiles": lambda s: _studio(s, _scene(background="tiles", wall_texture=0.5)),
    "bg_furniture": lambda s: _studio(s, _scene(background="furniture", wall_texture=0.5)),
    "light_gradient": lambda s: _studio(s, _scene(light_gradient=0.6, light_angle_deg=20)),
    "bright_contrast": lambda s: _studio(s, _scene(brightness=1.3, contrast=1.3)),
    "low_light_noise": lambda s: _studio(s, _scene(brightness=0.35, contrast=0.7,
                                                   noise_sigma=8.0)),
    "blur_1.5px": lambda s: _studio(s, _scene(blur_sigma_px=1.5)),
    "jpeg_q25": lambda s: _studio(s, _scene(jpeg_quality=25)),
    "h264_250kbps": lambda s: {**_studio(s), "bitrate_kbps": 250},
    "noise_8": lambda s: _studio(s, _scene(noise_sigma=8.0)),
    "shake": lambda s: _studio(s, _scene(shake_px=4.0, shake_deg=1.0)),
    "close_camera_2.5m": lambda s: _studio(s, _scene(camera_distance_m=2.5)),
    "far_camera_10m": lambda s: _studio(s, _scene(camera_distance_m=10.0)),
    "fps25": lambda s: {**_studio(s), "fps": 25.0},
    "fps60": lambda s: {**_studio(s), "fps": 60.0},
    "1080p": lambda s: {**_studio(s), "width": 1920, "height": 1080},
    "portrait_rotated": lambda s: {**_studio(s), "width": 720, "height": 1280,
                                   "rotation_deg": 90},
    "distractor_walking": lambda s: _studio(s, _scene(distractor=Distractor(
        seed=s + 500, mode="walk_in_place", size_ratio=0.6, x_frac=0.32, facing="left"))),
    "distractor_standing": lambda s: _studio(s, _scene(distractor=Distractor(
        seed=s + 500, mode="standing", size_ratio=0.7, x_frac=-0.3, facing="camera"))),
    "distractor_partial": lambda s: _studio(s, _scene(distractor=Distractor(
        seed=s + 500, mode="walk_across", size_ratio=0.5, x_frac=0.55, facing="right"))),
    "occluder_panel": lambda s: _studio(s, _scene(occluder=Occluder(
        kind="panel", start_s=1.0, duration_s=0.8, width_frac=0.15))),
    "occluder_box": lambda s: _studio(s, _scene(occluder=Occluder(
        kind="box", start_s=0.5, duration_s=1.5, width_frac=0.35, height_frac=0.2))),
    "frontal": lambda s: {**_studio(s), "view": "frontal"},
    "oblique": lambda s: {**_studio(s), "view": "oblique_left"},
    "across": lambda s: {**_studio(s), "walk": "across"},
    "family5_mixed": lambda s: {"family": 5},
    "very_low_light_jpeg": lambda s: _studio(s, _scene(brightness=0.2, contrast=0.5,
                                                       noise_sigma=15.0, jpeg_quality=15)),
    "heavy_blur_3px": lambda s: _studio(s, _scene(blur_sigma_px=3.0)),
    # the harshest corner of the family ranges (family 4: low light, noise, JPEG, blur, shake)
    "family_worst_corner": lambda s: {**_studio(s, _scene(
        brightness=0.3, contrast=0.6, noise_sigma=9.0, jpeg_quality=20, blur_sigma_px=1.5,
        shake_px=5.0, shake_deg=1.2, background="texture", wall_texture=1.0)),
        "width": 480, "height": 854, "rotation_deg": 90},
}
HARD = {"very_low_light_jpeg", "heavy_blur_3px", "occluder_panel", "occluder_box",
        "low_light_noise"}
"""Deliberately hard kinds: reported, but the >= 90 % detection target does not apply.

Bystanders are not in the set (alone they were detected in 100 % of frames), but this bench
runs MediaPipe on whole frames without posescore's subject selection: a large bystander at
the frame edge in a close frontal portrait clip cost the first 0.5 s (81 % detection)."""


def run_variations(kinds: list[str], seeds: list[int], duration: float, out: Path) -> None:
    print(f"{'variation':26s} {'det':>5s} {'knee px':>8s} {'ankle px':>8s} {'knee %h':>8s} "
          f"{'ankle %h':>8s}  clips")
    for kind in kinds:
        dets, knee, ankle, knee_rel, ankle_rel = [], [], [], [], []
        for seed in seeds:
            extra = VARIATIONS[kind](seed)
            params = PhantomParams(affected_side="left", severity=2.0, seed=seed,
                                   duration_s=duration, **extra)
            video = out / f"var_{kind}_seed{seed}.mp4"
            truth = render_phantom(params, video)
            res = evaluate(truth, run_mediapipe(video))
            figure_px = truth["px_per_m"] * truth["body_height_m"] / 100.0
            dets.append(res["detection"])
            for side in SIDES:
                knee.append(res["errors"][f"{side}_knee"])
                ankle.append(res["errors"][f"{side}_ankle"])
                knee_rel.append(res["errors"][f"{side}_knee"] / figure_px)
                ankle_rel.append(res["errors"][f"{side}_ankle"] / figure_px)
        flag = " (hard)" if kind in HARD else ""
        ok = "" if kind in HARD or min(dets) >= 0.9 else "  << below 90 %"
        print(f"{kind:26s} {min(dets):5.2f} {np.nanmedian(knee):8.1f} {np.nanmedian(ankle):8.1f} "
              f"{np.nanmedian(knee_rel):8.1f} {np.nanmedian(ankle_rel):8.1f}  {len(seeds)}"
              f"{flag}{ok}", flush=True)


def run_dataset_sample(n: int, seed: int, duration: float, out: Path,
                       families: list[int] | None = None) -> None:
    from posescore.phantom import plan_dataset
    from posescore.phantom.families import VARIED_FAMILIES

    rows = []
    for clip in plan_dataset(n, seed, families=families or VARIED_FAMILIES,
                             duration_s=duration, clips_per_subject=1):
        video = out / f"{clip.name}.mp4"
        truth = render_phantom(clip.params, video)
        res = evaluate(truth, run_mediapipe(video))
        figure_px = truth["px_per_m"] * truth["body_height_m"] / 100.0
        knee = np.nanmedian([res["errors"][f"{s}_knee"] for s in SIDES])
        ankle = np.nanmedian([res["errors"][f"{s}_ankle"] for s in SIDES])
        rows.append((truth["variation_tags"], res["detection"], knee / figure_px,
                     ankle / figure_px))
        print(f"{clip.name:48s} det {res['detection']:4.2f} knee {knee / figure_px:5.1f} %h "
              f"ankle {ankle / figure_px:5.1f} %h  {' '.join(truth['variation_tags'][3:])}",
              flush=True)
    tags = sorted({t for r in rows for t in r[0]})
    print(f"\n{'tag':28s} {'n':>3s} {'min det':>7s} {'mean det':>8s} {'knee %h':>8s} "
          f"{'ankle %h':>8s}")
    for tag in tags:
        sel = [r for r in rows if tag in r[0]]
        print(f"{tag:28s} {len(sel):3d} {min(r[1] for r in sel):7.2f} "
              f"{np.mean([r[1] for r in sel]):8.2f} {np.nanmedian([r[2] for r in sel]):8.1f} "
              f"{np.nanmedian([r[3] for r in sel]):8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset-sample", type=int, default=None, metavar="N")
    parser.add_argument("--families", type=int, nargs="+", help="with --dataset-sample")
    parser.add_argument("--variations", nargs="*", default=None,
                        help=f"variation kinds (none given = all): {', '.join(VARIATIONS)}")
    parser.add_argument("--out", default=None)
    parser.add_argument("--duration", type=float, default=6.0)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--views", nargs="+",
                        default=["sagittal_left", "sagittal_right", "frontal"])
    parser.add_argument("--severities", type=float, nargs="+", default=[0.0, 2.0, 4.0])
    parser.add_argument("--walk", default="in_place", choices=("in_place", "across"))
    parser.add_argument("--affected", default="near", choices=("near", "far", "left", "right"),
                        help="affected leg; near/far = relative to the camera (frontal: left)")
    args = parser.parse_args()
    out = Path(args.out or tempfile.mkdtemp(prefix="phantom_check_"))
    out.mkdir(parents=True, exist_ok=True)
    print(f"clips in {out}")
    if args.dataset_sample is not None:
        run_dataset_sample(args.dataset_sample, args.seeds[0], args.duration, out,
                           args.families)
        return
    if args.variations is not None:
        run_variations(args.variations or list(VARIATIONS), args.seeds, args.duration, out)
        return
    header = f"{'clip':44s} {'det':>5s} " + " ".join(
        f"{s[0].upper()}{j[:4]:>5s}" for s in SIDES for j in JOINTS) + "  heel-toe L(mp/true) R"
    print(header)
    rows = []
    for view in args.views:
        for severity in args.severities:
            for seed in args.seeds:
                side = affected_leg(args.affected, view)
                params = PhantomParams(
                    affected_side=side if severity > 0 else "none", severity=severity,
                    view=view, seed=seed, duration_s=args.duration,
                    walk=args.walk if view != "frontal" else "in_place")
                name = f"{view}_{params.walk}_{params.affected_side}_s{severity:g}_seed{seed}"
                video = out / f"{name}.mp4"
                t0 = time.perf_counter()
                truth = render_phantom(params, video)
                t_render = time.perf_counter() - t0
                res = evaluate(truth, run_mediapipe(video))
                rows.append((view, severity, res))
                errs = " ".join(f"{res['errors'][f'{s}_{j}']:6.1f}" for s in SIDES for j in JOINTS)
                hat = res["heel_above_toe_px"]
                print(f"{name:44s} {res['detection']:5.2f} {errs}  "
                      f"{hat['left'][0]:5.1f}/{hat['left'][1]:5.1f} "
                      f"{hat['right'][0]:5.1f}/{hat['right'][1]:5.1f}"
                      f"  [{video.stat().st_size / 1e6:.2f} MB, render {t_render:.1f}s]")
    print("\nmedians per view (over clips):")
    for view in args.views:
        sel = [r for v, _, r in rows if v == view]
        det = min(r["detection"] for r in sel)
        med = {k: float(np.nanmedian([r["errors"][k] for r in sel])) for k in sel[0]["errors"]}
        print(f"{view:15s} min detection {det:.2f}  " + "  ".join(
            f"{k} {v:.1f}" for k, v in med.items()))


if __name__ == "__main__":
    main()
