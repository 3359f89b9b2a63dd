"""Gait events, cadence, joint angles and phenomenology flags vs phantom truth.

Usage:
    python bench/events_check.py [--out DIR] [--seeds 1 2] [--duration 5] [--exact]

Renders a fixed grid of 640x480 phantom clips (sagittal in place / across, near and far
affected leg, frontal in place and walking towards the camera, backward) into DIR (kept,
so re-runs reuse the pose cache), runs the pipeline and prints per clip: heel-strike and
toe-off errors in frames (detected minus the nearest true event), cadence vs truth,
near-leg knee / ankle RMSE, and the equinus / inversion flags per leg; with MediaPipe, the
share of frames (legs apart) in which the estimator's left/right leg labels are exchanged,
before and after ``signals.leg_swap_frames``; then the share of heel strikes within 2
frames per clip group.
``--exact`` feeds the phantom's exact projected joints instead of MediaPipe (separates the
detector's error from the pose estimator's).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from posescore.config import ExecutionConfig, Settings  # noqa: E402
from posescore.constants import LEG_LANDMARKS, NOSE, SIDES  # noqa: E402
from posescore.features import (  # noqa: E402
    ankle_plantarflexion_deg,
    knee_flexion_deg,
    stride_measures,
)
from posescore.gait import detect_gait_events, gait_summary  # noqa: E402
from posescore.phantom import PhantomParams, render_phantom  # noqa: E402
from posescore.phenomenology import leg_phenomenology  # noqa: E402
from posescore.pose import extract_pose  # noqa: E402
from posescore.signals import clean_pose, leg_swap_frames, seen_xy, swap_legs  # noqa: E402
from posescore.types import PoseSequence  # noqa: E402


def grid(seed: int, duration: float) -> dict[str, PhantomParams]:
    """The clip grid of one seed."""
    kw = {"seed": seed, "duration_s": duration, "width": 640, "height": 480}
    return {
        "sag_inplace_healthy": PhantomParams(view="sagittal_left", **kw),
        "sag_inplace_near3": PhantomParams(
            view="sagittal_left", affected_side="left", severity=3.0, **kw
        ),
        "sag_inplace_far3": PhantomParams(
            view="sagittal_right", affected_side="left", severity=3.0, **kw
        ),
        "sag_across_healthy": PhantomParams(view="sagittal_left", walk="across", **kw),
        "sag_across_near2": PhantomParams(
            view="sagittal_right", walk="across", affected_side="right", severity=2.0, **kw
        ),
        "frontal_healthy": PhantomParams(view="frontal", **kw),
        "frontal_left3": PhantomParams(view="frontal", affected_side="left", severity=3.0, **kw),
        "frontal_towards_healthy": PhantomParams(view="frontal", walk="towards", **kw),
        "frontal_towards_left3": PhantomParams(
            view="frontal", walk="towards", affected_side="left", severity=3.0, **kw
        ),
        "sag_backward_near3": PhantomParams(
            view="sagittal_left", affected_side="left", severity=3.0, direction="backward", **kw
        ),
    }


def exact_pose(truth: dict, fps: float, width: int, height: int) -> PoseSequence:
    """PoseSequence from the truth's projected joints (no MediaPipe); shoulders made up."""
    n = truth["frame_count"]
    lm = np.full((n, 33, 4), np.nan)
    lm[:, :, 3] = 1.0
    lm[:, :, 2] = 0.0
    pelvis = 0.5 * (np.asarray(truth["joints_px"]["left"]["hip"])
                    + np.asarray(truth["joints_px"]["right"]["hip"]))
    for side in SIDES:
        for joint in ("hip", "knee", "ankle", "heel", "toe"):
            lm[:, LEG_LANDMARKS[side][joint], :2] = truth["joints_px"][side][joint]
        hip = np.asarray(truth["joints_px"][side]["hip"])
        # shoulders 1.6 x as wide as the hips, 0.3 frame heights above them
        shoulder = pelvis + 1.6 * (hip - pelvis) + [0.0, -0.3 * height]
        lm[:, LEG_LANDMARKS[side]["shoulder"], :2] = shoulder
    near = truth.get("near_side")
    if near:
        for joint in ("hip", "knee", "ankle"):
            lm[:, LEG_LANDMARKS[near][joint], 2] = -0.1
    lm[:, NOSE, :2] = lm[:, LEG_LANDMARKS["left"]["shoulder"], :2] + [0.0, -0.1 * height]
    return PoseSequence(lm, np.arange(n) / fps, fps, width, height)


def exchanged_share(landmarks: np.ndarray, truth: dict) -> float:
    """Share of frames, legs at least 0.1 leg lengths apart, whose ankle labels are exchanged."""
    tl, tr = (np.asarray(truth["joints_px"][s]["ankle"]) for s in SIDES)
    n = min(len(tl), len(landmarks))
    ml, mr = (landmarks[:n, LEG_LANDMARKS[s]["ankle"], :2] for s in SIDES)
    kept = np.linalg.norm(ml - tl[:n], axis=1) + np.linalg.norm(mr - tr[:n], axis=1)
    exchanged = np.linalg.norm(ml - tr[:n], axis=1) + np.linalg.norm(mr - tl[:n], axis=1)
    leg = np.nanmedian(np.linalg.norm(np.asarray(truth["joints_px"]["left"]["hip"]) - tl, axis=1))
    apart = np.linalg.norm(tl - tr, axis=1)[:n] > 0.1 * leg
    return float((exchanged < kept)[apart].mean())


def nearest_errors(found: np.ndarray, truth_s: list, fps: float) -> list[float]:
    """Detected minus nearest true event, frames."""
    t = np.asarray(truth_s) * fps
    return [float(i - t[np.argmin(np.abs(t - i))]) for i in found] if t.size else []


def main() -> None:
    """Run the grid and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="/tmp/posescore_events_check")
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--duration", type=float, default=5.0)
    ap.add_argument("--exact", action="store_true", help="exact joints instead of MediaPipe")
    args = ap.parse_args()
    out = Path(args.out)
    settings = Settings(execution=ExecutionConfig(cache_dir=out / "cache"))
    groups: dict[str, list[float]] = {}
    for seed in args.seeds:
        for name, params in grid(seed, args.duration).items():
            path = out / f"{name}_seed{seed}.mp4"
            truth_path = path.with_suffix(".truth.json")
            if truth_path.exists() and path.exists():
                truth = json.loads(truth_path.read_text())
            else:
                truth = render_phantom(params, path)
            if args.exact:
                pose = exact_pose(truth, params.fps, params.width, params.height)
            else:
                pose, _ = extract_pose(path, settings)
            traj = clean_pose(pose, settings.signal)
            events = {s: detect_gait_events(traj, s, settings.gait) for s in SIDES}
            gait = gait_summary(events, traj.fps, traj, settings.gait)
            legs, _ = leg_phenomenology(
                stride_measures(traj, events, settings.feature), traj.view, pose=pose
            )
            hs_err = []
            line = [f"{name}_s{seed}", traj.view]
            if not args.exact:
                relabel = leg_swap_frames(seen_xy(pose.landmarks, settings.signal), pose.fps)
                line.append(
                    f"labels exchanged {exchanged_share(pose.landmarks, truth):.2f}"
                    f" -> {exchanged_share(swap_legs(pose.landmarks, relabel), truth):.2f}"
                )
            for side in SIDES:
                e_hs = nearest_errors(events[side].heel_strike_idx, truth["heel_strike_s"][side],
                                      pose.fps)
                e_to = nearest_errors(events[side].toe_off_idx, truth["toe_off_s"][side],
                                      pose.fps)
                hs_err += e_hs
                line.append(f"{side[0]}HS {np.round(e_hs, 1).tolist()} "
                            f"{side[0]}TO {np.round(e_to, 1).tolist()}")
            group = name.rsplit("_", 1)[0]
            groups.setdefault(group, []).extend(hs_err)
            cad = gait["cadence_steps_per_min"]
            line.append(f"cadence {cad if cad is None else round(cad, 1)}"
                        f"/{truth['cadence_steps_per_min']}")
            near = truth.get("near_side")
            if near:
                p = {j: traj.point(near, j) for j in ("hip", "knee", "ankle", "heel", "toe")}
                knee = knee_flexion_deg(p["hip"], p["knee"], p["ankle"], traj.direction)
                ankle = ankle_plantarflexion_deg(p["knee"], p["ankle"], p["heel"], p["toe"])
                rk = np.sqrt(np.nanmean((knee - np.asarray(truth["knee_flexion_deg"][near])) ** 2))
                ra = np.sqrt(np.nanmean(
                    (ankle - np.asarray(truth["ankle_plantarflexion_deg"][near])) ** 2))
                line.append(f"near RMSE knee {rk:.1f} ankle {ra:.1f} deg")
            flags = {
                s: (legs[s]["equinus"]["present"], legs[s]["foot_inversion"]["present"])
                for s in SIDES
            }
            line.append(f"(equinus, inversion) {flags}")
            print(" | ".join(line), flush=True)
    print("\nheel strikes within 2 frames of truth:")
    for group, errs in groups.items():
        a = np.abs(errs)
        print(f"  {group:22s} {np.mean(a <= 2) if a.size else float('nan'):.2f}  (n={a.size})")
    every = np.abs(np.concatenate([np.asarray(v) for v in groups.values()]))
    print(f"  {'all':22s} {np.mean(every <= 2):.2f}  (n={every.size})")


if __name__ == "__main__":
    main()
