"""Start-up time of the command line: ``posescore --help`` and a cached re-score.

    python bench/bench_startup.py [--runs 7] [--video sample_videos/X.mp4]
                                  [--checkout DIR ...]

Each target is run ``--runs`` times, the targets interleaved (so that a change in the
machine's load hits them alike); the medians of the wall times are printed with the load
average. The re-score is ``posescore score VIDEO --json OUT`` on a pose cache warmed by one
untimed run (``$POSESCORE_CACHE``, else a temporary folder). The CPU time (user + system)
is printed too: on a loaded machine it is the better guide to an idle machine's wall time.
A target is the installed ``posescore`` program, or with ``--checkout DIR`` ``python -m
posescore.cli`` run in DIR, so that DIR's package is imported (e.g. an exported older commit,
for before/after figures).

Then, unless ``--no-stages``, one fresh interpreter per run splits a cached re-score into
its parts, medians printed: importing the command line, importing ``posescore.score``
(scipy, pydantic, OpenCV), loading the model (compiled, from the cache), ``score_video`` on
the cached pose and the JSON written. The parts run in this checkout.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_VIDEO = ROOT / "sample_videos" / "left_s2_sagittal_left.mp4"

STAGES = """
import json, sys, time
t0 = time.perf_counter()
import posescore.cli
t1 = time.perf_counter()
from posescore.model_file import load_model
from posescore.score import score_video
t2 = time.perf_counter()
model = load_model()
t3 = time.perf_counter()
scored = score_video(sys.argv[1], model=model)
t4 = time.perf_counter()
with open(sys.argv[2], "w") as fh:
    fh.write(json.dumps(scored.to_dict(), indent=2) + "\\n")
t5 = time.perf_counter()
print(json.dumps({"import cli": t1 - t0, "import score, model": t2 - t1,
                  "load model": t3 - t2, "score cached pose": t4 - t3, "write JSON": t5 - t4}))
"""
"""Child of ``--stages``: times the parts of a cached re-score in a fresh interpreter."""


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds ``cmd`` takes; output discarded, failure raises."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return seconds, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def load() -> str:
    """The 1, 5 and 15 minute load averages and the core count."""
    one, five, fifteen = os.getloadavg()
    return f"load {one:.1f} {five:.1f} {fifteen:.1f} on {os.cpu_count()} cores"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--video", type=Path, default=DEFAULT_VIDEO)
    parser.add_argument("--checkout", type=Path, action="append", default=[],
                        help="run `python -m posescore.cli` in this folder (repeatable)")
    parser.add_argument("--no-stages", action="store_true", help="skip the in-process split")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ}
        env.setdefault("POSESCORE_CACHE", str(Path(tmp) / "cache"))
        out = str(Path(tmp) / "score.json")
        targets = {"posescore": ([str(Path(sys.executable).with_name("posescore"))], ROOT)}
        for checkout in args.checkout:
            targets[str(checkout)] = ([sys.executable, "-m", "posescore.cli"], checkout.resolve())
        video = str(args.video.resolve())
        print(f"start: {load()}; video {args.video.name}, {args.runs} runs each")
        for program, cwd in targets.values():  # warm the pose cache, the meta index, .pyc files
            subprocess.run([*program, "score", video, "--json", out], cwd=cwd, env=env,
                           check=True, stdout=subprocess.DEVNULL)
        commands = {"--help": ["--help"], "cached re-score": ["score", video, "--json", out]}
        times = {(t, c): [] for t in targets for c in commands}
        for _ in range(args.runs):
            for name, (program, cwd) in targets.items():
                for command, argv in commands.items():
                    times[name, command].append(timed([*program, *argv], cwd, env))
        for (name, command), runs in times.items():
            wall_s, cpu_s = (statistics.median(r[i] for r in runs) for i in (0, 1))
            print(f"{name:30s} {command:16s} median wall {wall_s:6.3f} s, CPU {cpu_s:6.3f} s")
        if not args.no_stages:
            parts: dict[str, list[float]] = {}
            for _ in range(args.runs):
                child = subprocess.run([sys.executable, "-c", STAGES, video, out], cwd=ROOT,
                                       env=env, check=True, capture_output=True, text=True)
                for part, seconds in json.loads(child.stdout.splitlines()[-1]).items():
                    parts.setdefault(part, []).append(seconds)
            print("cached re-score in one interpreter (medians): " + ", ".join(
                f"{part} {statistics.median(s):.3f} s" for part, s in parts.items()))
        print(f"end: {load()}")


if __name__ == "__main__":
    main()
