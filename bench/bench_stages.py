"""Per-stage speed of scoring one video: decode, pose, clean+gait+features, model.

Prints frames/s per stage and wall time / video duration, as medians over --repeat runs.
Usage: python bench/bench_stages.py [VIDEO] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from posescore.config import Settings
from posescore.model_design import leg_rows
from posescore.model_file import load_model
from posescore.pose import extract_pose
from posescore.score import measure_pose
from posescore.video import iter_frames, probe_video

DEFAULT_VIDEO = Path(__file__).resolve().parent.parent / "sample_videos"


def run_once(video: Path, settings: Settings, model) -> dict[str, float]:
    t0 = time.perf_counter()
    meta = probe_video(video, settings.video)
    t_probe = time.perf_counter() - t0

    t0 = time.perf_counter()
    n = sum(1 for _ in iter_frames(meta))
    t_decode = time.perf_counter() - t0

    with tempfile.TemporaryDirectory() as cache:
        fresh = settings.model_copy(
            update={"execution": settings.execution.model_copy(update={"cache_dir": Path(cache)})}
        )
        t0 = time.perf_counter()
        pose, _ = extract_pose(video, fresh, meta)
        t_pose = time.perf_counter() - t0
        t0 = time.perf_counter()
        extract_pose(video, fresh, meta)
        t_cached = time.perf_counter() - t0

    t0 = time.perf_counter()
    measured = measure_pose(pose, settings)
    t_features = time.perf_counter() - t0

    t0 = time.perf_counter()
    X = leg_rows(measured.features, measured.traj.view, model.measures)
    model.estimator.predict(X)
    model.estimator.predict_proba(X)
    t_model = time.perf_counter() - t0
    total = t_probe + t_pose + t_features + t_model
    return {
        "frames": n,
        "duration_s": meta.duration_s,
        "decode_fps": n / t_decode,
        "pose_fps (decode+inference)": n / t_pose,
        "features_fps": n / t_features,
        "model_ms": 1000 * t_model,
        "cached_pose_load_ms": 1000 * t_cached,
        "wall_s": total,
        "wall_over_duration": total / meta.duration_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("video", nargs="?")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    video = Path(args.video) if args.video else sorted(DEFAULT_VIDEO.glob("*.mp4"))[0]
    settings = Settings()
    model = load_model()
    runs = [run_once(video, settings, model) for _ in range(args.repeat)]
    meta = probe_video(video)
    print(f"video: {video.name} {meta.width}x{meta.height} {meta.fps:.0f} fps "
          f"{meta.duration_s:.1f} s; median of {args.repeat} runs, one process")
    for key in runs[0]:
        values = [r[key] for r in runs]
        print(f"  {key:<30} {statistics.median(values):10.2f}")


if __name__ == "__main__":
    main()
