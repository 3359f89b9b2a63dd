"""Walking towards the camera vs walking in place: the same figures and severities, scored.

Usage:
    python bench/towards_check.py [--out DIR] [--seeds 1 2 3 4] [--model PATH]

Renders, per seed, a healthy walker, a left leg of severity 3 and a right leg of severity 2,
each as a 6 s 1280x720 frontal clip walking in place and walking towards a camera 3 m away
from about 10 m (``posescore phantom --walk towards``), into DIR (kept, so re-runs reuse the
pose cache). Prints each pair's leg severities and cadences, then the leg MAE of both walks
over the legs scored in both.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from posescore.config import ExecutionConfig, Settings  # noqa: E402
from posescore.constants import SIDES  # noqa: E402
from posescore.model_file import load_model  # noqa: E402
from posescore.phantom import PhantomParams, render_phantom  # noqa: E402
from posescore.phantom.variation import PhantomScene  # noqa: E402
from posescore.score import score_video  # noqa: E402

WALKS = ("in_place", "towards")
LEGS = (("none", 0.0), ("left", 3.0), ("right", 2.0))


def main() -> None:
    """Render the pairs, score them and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="/tmp/posescore_towards_check")
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4])
    ap.add_argument("--model", default=None)
    args = ap.parse_args()
    out = Path(args.out)
    settings = Settings(execution=ExecutionConfig(cache_dir=out / "cache"))
    model = load_model(args.model)
    errors: dict[str, list[float]] = {walk: [] for walk in WALKS}
    for seed in args.seeds:
        for side, severity in LEGS:
            read: dict[str, dict] = {}
            for walk in WALKS:
                params = PhantomParams(
                    view="frontal", walk=walk, affected_side=side, severity=severity, seed=seed,
                    duration_s=6, width=1280, height=720,
                    scene=PhantomScene(camera_distance_m=3.0),
                )
                path = out / f"{walk}_{side}{severity:g}_seed{seed}.mp4"
                if not path.exists():
                    render_phantom(params, path)
                result = score_video(path, settings, model)
                read[walk] = {s: result.legs[s].severity for s in SIDES}
                read[walk]["cadence"] = result.gait.get("cadence_steps_per_min")
            for s in SIDES:
                truth = severity if s == side else 0.0
                if all(read[walk][s] is not None for walk in WALKS):
                    for walk in WALKS:
                        errors[walk].append(abs(read[walk][s] - truth))
            cells = [
                f"{walk}: left {read[walk]['left']}, right {read[walk]['right']}, "
                f"cadence {read[walk]['cadence'] and round(read[walk]['cadence'], 1)}"
                for walk in WALKS
            ]
            print(f"seed {seed} {side} {severity:g} | " + " | ".join(cells), flush=True)
    n = len(errors["towards"])
    print(f"\nleg MAE over {n} legs scored in both: "
          + ", ".join(f"{walk} {np.mean(errors[walk]):.3f}" for walk in WALKS))


if __name__ == "__main__":
    main()
