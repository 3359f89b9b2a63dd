"""Folder throughput (issue 23): ``posescore batch`` against a plain floor, paired runs.

The floor is decode + RGB conversion + MediaPipe Pose full (posescore's graph settings) on
every frame of every clip, in ``--workers`` spawned processes, one graph per process (reset
between clips), nothing else. Each pair runs the floor and then
``posescore batch DIR --out TMP --no-cache --workers N``; the table gives wall time
(median, min-max), CPU time (user, all processes) and the model stage (``timings.model`` of
every result JSON, median and max) per set:

- ``8``: the 8 clips of 6 s in ``sample_videos/``;
- ``40``: 5 copies of them (40 clips of 6 s);
- ``mixed``: phantom clips of 5 to 60 s (``posescore phantom --duration``);
- ``scaling``: batch with 1 worker against 2 workers on the 40-clip folder.

``--trace SET`` instead runs one batch of that set and prints its timeline: where its wall
time goes (the command's start, the parent's set-up, each worker's start-up and clips, the
idle tail), with a worker's start-up split into imports, model load and graph creation.

``--baseline CHECKOUT`` adds, in every round of a set, the batch of another posescore checkout
(e.g. ``main`` in a worktree): a paired before / after.

Usage: python bench/bench_batch.py [--repeat 3] [--sets 8,40,mixed,scaling] [--keep DIR]
       python bench/bench_batch.py --trace 8 [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Optional

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "sample_videos"
POSESCORE = str(Path(sys.executable).with_name("posescore"))
MIXED_DURATIONS_S = (5, 8, 12, 20, 30, 45, 60)
"""Clip lengths of the mixed folder, seconds (one phantom clip each)."""
COPIES = 5
"""Copies of the sample folder in the 40-clip set."""


# --------------------------------------------------------------------------- the floor

_FLOOR: dict = {}


def _floor_init() -> None:
    from posescore.config import Settings
    from posescore.pose import MediaPipePoseBackend

    _FLOOR["backend"] = MediaPipePoseBackend(Settings().pose)


def _floor_clip(path: str) -> int:
    """Decode, convert and infer every frame of one clip; returns frames."""
    import cv2

    backend = _FLOOR["backend"]
    backend.reset()
    cap = cv2.VideoCapture(path)
    frames = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        backend.process(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
        frames += 1
    cap.release()
    return frames


def run_floor(folder: Path, workers: int) -> int:
    """The floor over every clip below ``folder``, longest first; returns frames."""
    clips = sorted(folder.rglob("*.mp4"), key=lambda p: p.stat().st_size, reverse=True)
    with ProcessPoolExecutor(workers, get_context("spawn"), initializer=_floor_init) as pool:
        return sum(pool.map(_floor_clip, map(str, clips)))


# --------------------------------------------------------------------------- runs


def _timed(
    cmd: list[str], stdout: Optional[list[str]] = None, env: Optional[dict] = None
) -> tuple[float, float]:
    """Run ``cmd`` (in ``env``); its wall time and CPU user time (with its children's), s.

    With ``stdout`` (a list), the command's output is appended to it.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
    start = time.perf_counter()
    done = subprocess.run(cmd, check=True, stderr=subprocess.DEVNULL, text=True, env=env,
                          stdout=subprocess.DEVNULL if stdout is None else subprocess.PIPE)
    wall = time.perf_counter() - start
    if stdout is not None:
        stdout.append(done.stdout)
    return wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime - before


def floor_run(folder: Path, workers: int) -> tuple[float, float, list[float]]:
    """Wall, user seconds of the floor (in a subprocess) and no model times."""
    wall, user = _timed([sys.executable, __file__, "--floor", str(folder),
                         "--workers", str(workers)])
    return wall, user, []


def batch_run(
    folder: Path, workers: int, source: Optional[Path] = None
) -> tuple[float, float, list[float]]:
    """Wall, user seconds of ``posescore batch`` and each clip's model stage (s).

    With ``source``, posescore is imported from that checkout (a baseline).
    """
    env = None if source is None else {**os.environ, "PYTHONPATH": str(source)}
    with tempfile.TemporaryDirectory(prefix="bench_batch_") as out:
        wall, user = _timed([POSESCORE, "batch", str(folder), "--out", out, "--no-cache",
                             "--workers", str(workers), "--no-progress"], env=env)
        model = [json.loads(p.read_text())["timings"]["model"] for p in Path(out).glob("*.json")]
    return wall, user, model


Run = Callable[[], tuple[float, float, list[float]]]


def paired(runs: dict[str, Run], repeat: int) -> dict[str, list[tuple]]:
    """``repeat`` rounds of every run in turn; the results per run name."""
    results: dict[str, list[tuple]] = {name: [] for name in runs}
    for i in range(repeat):
        for name, run in runs.items():
            results[name].append(run())
            wall = results[name][-1][0]
            print(f"  round {i + 1}: {name} {wall:.1f} s", file=sys.stderr, flush=True)
    return results


def _spread(values: list[float], unit: str = " s", digits: int = 1) -> str:
    med = statistics.median(values)
    return f"{med:.{digits}f}{unit} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def print_table(title: str, results: dict[str, list[tuple]], base: str, other: str) -> None:
    """A Markdown table: wall, user CPU, model stage per run, and the ratio other / base."""
    print(f"\n{title}\n")
    print("| | wall, median (min-max) | CPU user, median | model stage per clip, median / max |")
    print("|---|---|---|---|")
    for name, rows in results.items():
        model = [m for row in rows for m in row[2]]
        stage = f"{statistics.median(model):.2f} / {max(model):.2f} s" if model else "-"
        user = statistics.median(r[1] for r in rows)
        print(f"| {name} | {_spread([r[0] for r in rows])} | {user:.0f} s | {stage} |")
    pairs = [(other, base)] + [(n, base) for n in results if n not in (base, other)]
    if "baseline" in results:
        pairs.append((other, "baseline"))
    for top, bottom in pairs:
        ratios = [t[0] / b[0] for t, b in zip(results[top], results[bottom])]
        print(f"| ratio {top} / {bottom} | {_spread(ratios, 'x', 2)} | | |")


# --------------------------------------------------------------------------- trace


def trace_run(folder: Path, workers: int) -> None:
    """One ``posescore batch`` in this process; prints its timeline as JSON (epoch s)."""
    t0 = time.time()
    from posescore.batch import run_batch
    from posescore.cli import build_parser
    from posescore.cli.common import settings_from

    imported = time.time()
    with tempfile.TemporaryDirectory(prefix="bench_batch_") as out:
        args = build_parser().parse_args(["batch", str(folder), "--out", out, "--no-cache"])
        summary = run_batch(folder, Path(out), settings_from(args), workers=workers,
                            progress=False)
        ended = time.time()
    spans = {name: [s.pid, s.start_s, s.end_s] for name, s in summary.spans.items()}
    print(json.dumps({"t0": t0, "imported": imported, "started": summary.started_s,
                      "ended": ended, "spans": spans}))


def _startup_parts() -> dict[str, float]:
    """A fresh worker's start-up, seconds: imports, model load, MediaPipe graph."""
    t = time.perf_counter()
    from posescore.batch import _score_one  # noqa: F401 - the imports a worker does
    from posescore.config import Settings
    from posescore.model_file import load_model
    from posescore.pose import MediaPipePoseBackend
    from posescore.score import score_video  # noqa: F401

    parts = {"imports": time.perf_counter() - t}
    t = time.perf_counter()
    load_model(Settings().model.path)
    parts["model load"] = time.perf_counter() - t
    t = time.perf_counter()
    MediaPipePoseBackend(Settings().pose)
    parts["graph"] = time.perf_counter() - t
    return parts


def print_trace(folder: Path, workers: int) -> None:
    """Where one batch's wall time goes (see the module docstring)."""
    output: list[str] = []
    launched = time.time()
    wall, user = _timed([sys.executable, __file__, "--trace-run", str(folder),
                         "--workers", str(workers)], output)
    t = json.loads(output[0].strip().splitlines()[-1])
    with ProcessPoolExecutor(1, get_context("spawn")) as pool:
        parts = pool.submit(_startup_parts).result()
    print(f"\ntrace of {folder.name} ({len(t['spans'])} clips), {workers} workers: "
          f"wall {wall:.1f} s, CPU user {user:.0f} s, load {os.getloadavg()[0]:.1f}\n")
    print("| phase | s |\n|---|---|")
    print(f"| command start (interpreter, imports) | {t['imported'] - launched:.2f} |")
    print(f"| parent set-up (settings, model card, listing) | {t['started'] - t['imported']:.2f} |")
    by_pid: dict[int, list] = {}
    for name, (pid, start, end) in t["spans"].items():
        by_pid.setdefault(pid, []).append((start, end, name))
    last = max(end for spans in by_pid.values() for _, end, _ in spans)
    for n, spans in enumerate(by_pid.values(), 1):
        spans.sort()
        busy = sum(end - start for start, end, _ in spans)
        print(f"| worker {n}: start-up (spawn, imports, model, graph) | "
              f"{spans[0][0] - t['started']:.2f} |")
        gaps = spans[-1][1] - spans[0][0] - busy
        print(f"| worker {n}: {len(spans)} clips, busy (gaps {gaps:.2f}) | {busy:.2f} |")
        print(f"| worker {n}: idle tail | {last - spans[-1][1]:.2f} |")
    print(f"| parent wind-down (tables, workers' and own exit) | {launched + wall - last:.2f} |")
    print("\nA fresh process's start-up: " + ", ".join(f"{k} {v:.2f} s" for k, v in parts.items()))


# --------------------------------------------------------------------------- sets


def make_sets(root: Path, names: set[str]) -> dict[str, Path]:
    """The folders of the sets asked for, made under ``root`` unless already there."""
    folders: dict[str, Path] = {"8": SAMPLES}
    if names & {"40", "scaling"}:
        folders["40"] = root / "clips40"
        if not folders["40"].is_dir():
            for i in range(COPIES):
                shutil.copytree(SAMPLES, folders["40"] / f"copy{i}",
                                ignore=shutil.ignore_patterns("*.json", "*.sh"))
    if "mixed" in names:
        folders["mixed"] = root / "mixed"
        for i, seconds in enumerate(MIXED_DURATIONS_S):
            stem = f"clip{seconds:02d}s"
            if not (folders["mixed"] / f"{stem}.mp4").exists():
                subprocess.run([POSESCORE, "phantom", "--out", str(folders["mixed"]), "--name",
                                stem, "--duration", str(seconds), "--seed", str(i)],
                               check=True, stdout=subprocess.DEVNULL)
    return folders


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=3, help="paired runs per set")
    p.add_argument("--sets", default="8,40,mixed,scaling",
                   help="comma-separated: 8, 40, mixed, scaling")
    p.add_argument("--workers", type=int, default=2, help="processes of floor and batch")
    p.add_argument("--keep", type=Path, help="folder for the rendered sets (reused)")
    p.add_argument("--baseline", type=Path,
                   help="also run the batch of this posescore checkout in each round")
    p.add_argument("--trace", help="print the timeline of one batch of this set instead")
    p.add_argument("--floor", type=Path, help=argparse.SUPPRESS)  # one floor run (internal)
    p.add_argument("--trace-run", type=Path, help=argparse.SUPPRESS)  # one traced batch
    args = p.parse_args()
    if args.floor:
        run_floor(args.floor, args.workers)
        return
    if args.trace_run:
        trace_run(args.trace_run, args.workers)
        return
    names = {args.trace} if args.trace else set(args.sets.split(","))
    with tempfile.TemporaryDirectory(prefix="bench_batch_sets_") as tmp:
        folders = make_sets(args.keep or Path(tmp), names)
        if args.trace:
            print_trace(folders[args.trace], args.workers)
            return
        load = os.getloadavg()
        print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
              f"{len(os.sched_getaffinity(0))} cores, load average at start "
              f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}, {args.repeat} paired runs")
        w = args.workers
        for name in ("8", "40", "mixed"):
            if name in names:
                folder = folders[name]
                runs = {"floor": lambda f=folder: floor_run(f, w),
                        "batch": lambda f=folder: batch_run(f, w)}
                if args.baseline:
                    runs["baseline"] = lambda f=folder: batch_run(f, w, args.baseline)
                results = paired(runs, args.repeat)
                clips = len(list(folder.rglob("*.mp4")))
                print_table(f"set {name} ({clips} clips), {w} processes", results,
                            "floor", "batch")
        if "scaling" in names:
            folder = folders["40"]
            results = paired({"1 worker": lambda: batch_run(folder, 1),
                              f"{w} workers": lambda: batch_run(folder, w)}, args.repeat)
            print_table("batch on the 40-clip set: 1 worker against "
                        f"{w} (ratio = speed-up)", results, f"{w} workers", "1 worker")


if __name__ == "__main__":
    main()
