"""Render phantom clips and check MediaPipe Pose against their ground truth.

Usage: python bench/phantom_check.py [--out DIR] [--seeds 1 2] [--walk across] [--affected far]

Prints, per clip: detection rate and median pixel error of knees, ankles, heels and foot
index (toe) per leg versus truth, and for each foot the mean heel-above-toe height at its
true initial contacts, MediaPipe / truth (an equinus marker: positive = heel higher than
toe), then the per-view medians.
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
from posescore.phantom import PhantomParams, render_phantom  # noqa: E402

JOINTS = ("knee", "ankle", "heel", "toe")


def run_mediapipe(video: Path) -> np.ndarray:
    """(T, 33, 3) pixel x, y and visibility per frame; NaN where no pose was found."""
    cap = cv2.VideoCapture(str(video))
    out = []
    with mp.solutions.pose.Pose(static_image_mode=False, model_complexity=1) as pose:
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            h, w = frame.shape[:2]
            res = pose.process(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
            arr = np.full((33, 3), np.nan)
            if res.pose_landmarks:
                for i, lm in enumerate(res.pose_landmarks.landmark):
                    arr[i] = (lm.x * w, lm.y * h, lm.visibility)
            out.append(arr)
    cap.release()
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


def main() -> None:
    parser = argparse.ArgumentParser()
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
