"""Time of the service's overlay video against the scoring of the same clip.

Scores a clip with ``score_video`` (pose cache off), then renders its overlay as the worker
does (``posescore.overlay.render_overlay`` to VP8 WebM), and prints both times. Without a
clip it renders the 4 s phantom clip the service tests use (``api_support.phantom_clip``).

Usage:
    python bench/overlay_timing.py [CLIP.mp4]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]


def main() -> None:
    from api_support import phantom_clip

    from posescore.config import Settings
    from posescore.overlay import render_overlay
    from posescore.score import score_video

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clip", nargs="?", help="video (default: a 4 s phantom clip)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        clip = Path(args.clip) if args.clip else phantom_clip(Path(tmp), "pre", "right", 3.0, 41)
        settings = Settings()
        settings = settings.model_copy(update={"execution": settings.execution.model_copy(
            update={"use_cache": False, "meta_index": False})})
        start = time.perf_counter()
        scored = score_video(clip, settings)
        scored_at = time.perf_counter()
        traces = scored.traces
        assert traces is not None
        render_overlay(scored.video, traces.pose, scored.to_dict(), Path(tmp) / "overlay.webm",
                       events=traces.events, legs_exchanged=traces.traj.legs_exchanged)
        done = time.perf_counter()
    print(f"{scored.video.frame_count} frames: scoring {scored_at - start:.1f} s, "
          f"overlay {done - scored_at:.1f} s")


if __name__ == "__main__":
    main()
