"""Speed against the machine's limit: per-frame stage costs, end-to-end, cache, batch, memory.

Renders phantom inputs into a temporary folder (1080p30 natively, 720p30/480p30 by
downscaling it; 480p60 natively, 720p60/1080p60 by upscaling it; joints scaled alike), then
prints, as medians of ``--repeat`` runs (the 2 cores here are shared: figures are noisy):

- per-frame cost of decode, downscale, colour conversion, MediaPipe inference (one serial
  pass, each step timed), and of everything else (probe, subject selection, features, model);
- the physical limit: 2 cores x 1 / (decode + downscale + conversion + inference per frame),
  beside the achieved ``score_video`` throughput (fresh cache), frames/s and wall / duration;
- cached re-score time (pose and probe from the cache);
- landmark accuracy (median px error vs ``truth.json`` joints_px) per inference size;
- batch throughput over 8 videos of 20 s: 1 and 2 workers (one process per video), and
  1 worker whose videos' chunks run in 2 processes;
- peak RSS of scoring a long 1080p video in a subprocess (``--long-s``, default 120 s; the
  issue's 10 minutes can be asked for with ``--long-s 600``).

Usage: python bench/bench_speed.py [--repeat 3] [--only stages,accuracy,cache,batch,memory]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from posescore.config import Settings  # noqa: E402
from posescore.constants import LEG_LANDMARKS, SIDES  # noqa: E402
from posescore.model_file import load_model  # noqa: E402
from posescore.pose import MediaPipePoseBackend, extract_pose  # noqa: E402
from posescore.pose.people import detect_people  # noqa: E402
from posescore.score import score_video  # noqa: E402
from posescore.video import VideoReader, probe_video  # noqa: E402

JOINTS = ("hip", "knee", "ankle", "heel", "toe")
CACHED_REPEAT = 7
"""Cached re-scores per end-to-end run (their median is reported)."""


def _cached_in(settings: Settings, cache: Path) -> Settings:
    """``settings`` with the pose cache in ``cache``."""
    return settings.model_copy(
        update={"execution": settings.execution.model_copy(update={"cache_dir": cache})}
    )


# --------------------------------------------------------------------------- inputs


def _rescale(src: Path, dst: Path, size: tuple[int, int]) -> None:
    """Re-encode ``src`` at ``size`` (w, h) with mp4v; scale the truth sidecar's joints."""
    cap = cv2.VideoCapture(str(src))
    fps = cap.get(cv2.CAP_PROP_FPS)
    sx = size[0] / cap.get(cv2.CAP_PROP_FRAME_WIDTH)
    writer = cv2.VideoWriter(str(dst), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        interp = cv2.INTER_AREA if sx < 1 else cv2.INTER_LINEAR
        writer.write(cv2.resize(frame, size, interpolation=interp))
    writer.release()
    cap.release()
    truth = json.loads(src.with_suffix(".truth.json").read_text())
    for side in truth["joints_px"].values():
        for joint, xy in side.items():
            side[joint] = (np.asarray(xy, dtype=float) * sx).tolist()
    dst.with_suffix(".truth.json").write_text(json.dumps(truth))


def make_inputs(folder: Path, duration_s: float) -> dict[str, Path]:
    from posescore.phantom import PhantomParams, render_phantom

    out: dict[str, Path] = {}
    base = dict(affected_side="left", severity=2.0, duration_s=duration_s, seed=3)
    src30 = folder / "1080p30.mp4"
    render_phantom(PhantomParams(**base, fps=30, width=1920, height=1080), src30)
    src60 = folder / "480p60.mp4"
    render_phantom(PhantomParams(**base, fps=60, width=854, height=480), src60)
    out["1080p30"], out["480p60"] = src30, src60
    for name, src, size in (
        ("720p30", src30, (1280, 720)), ("480p30", src30, (854, 480)),
        ("720p60", src60, (1280, 720)), ("1080p60", src60, (1920, 1080)),
    ):
        _rescale(src, folder / f"{name}.mp4", size)
        out[name] = folder / f"{name}.mp4"
    order = ["480p30", "720p30", "1080p30", "480p60", "720p60", "1080p60"]
    return {k: out[k] for k in order}


# --------------------------------------------------------------------------- stage costs


def stage_pass(video: Path, settings: Settings) -> dict[str, float]:
    """One serial pass timing decode, downscale, conversion and inference per frame, ms."""
    cfg = settings.pose
    backend = MediaPipePoseBackend(cfg)
    t = dict(decode=0.0, downscale=0.0, convert=0.0, inference=0.0)
    n = 0
    with VideoReader(video, settings.video) as reader:
        gen = reader.frames(raw=True)
        while True:
            t0 = time.perf_counter()
            item = next(gen, None)
            t1 = time.perf_counter()
            if item is None:
                break
            frame = reader.upright(item[2], cfg.max_inference_side_px, cfg.downscale_whole_factor)
            t2 = time.perf_counter()
            rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
            t3 = time.perf_counter()
            backend.process(rgb)
            t4 = time.perf_counter()
            t["decode"] += t1 - t0
            t["downscale"] += t2 - t1
            t["convert"] += t3 - t2
            t["inference"] += t4 - t3
            n += 1
    backend.close()
    return {k: 1000 * v / n for k, v in t.items()} | {"frames": n}


def end_to_end(video: Path, settings: Settings, model) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as cache:
        s = _cached_in(settings, Path(cache))
        t0 = time.perf_counter()
        result = score_video(video, s, model=model)
        wall = time.perf_counter() - t0
        cached_s = []
        for _ in range(CACHED_REPEAT):
            t0 = time.perf_counter()
            cached = score_video(video, s, model=model)
            cached_s.append(time.perf_counter() - t0)
            assert cached.pose_from_cache
        t_cached = statistics.median(cached_s)
        timings = result.timings
    meta = result.video
    rest = sum(v for k, v in timings.items() if k not in ("pose",))
    return {
        "wall_s": wall,
        "fps": meta.frame_count / wall,
        "wall_over_duration": wall / meta.duration_s,
        "rest_ms_per_frame": 1000 * rest / meta.frame_count,
        "cached_ms": 1000 * t_cached,
    }


def cli_settings() -> Settings:
    """The settings ``posescore score`` runs with here: chunks on both cores."""
    s = Settings()
    return s.model_copy(update={"execution": s.execution.model_copy(update={"chunk_processes": 2})})


def bench_stages(inputs: dict[str, Path], repeat: int, model) -> None:
    settings = cli_settings()
    print(f"\n== per-frame cost (ms, median of {repeat}; serial pass, one core) and end to end "
          "(score_video, fresh cache) ==")
    print(f"{'input':<8} {'frames':>6} {'decode':>7} {'downsc':>7} {'convert':>7} {'infer':>7} "
          f"{'subj':>6} {'rest':>6} | {'dec fps':>7} {'inf fps':>7} {'limit':>6} {'achieved':>8} "
          f"{'ratio':>5} {'wall/dur':>8} {'lim w/d':>7} {'cached ms':>9}")
    for name, video in inputs.items():
        passes = [stage_pass(video, settings) for _ in range(repeat)]
        t0 = time.perf_counter()
        detect_people(probe_video(video), settings.subject)
        subject_ms = 1000 * (time.perf_counter() - t0) / passes[0]["frames"]
        ends = [end_to_end(video, settings, model) for _ in range(repeat)]
        med = {k: statistics.median(p[k] for p in passes) for k in passes[0]}
        e = {k: statistics.median(x[k] for x in ends) for k in ends[0]}
        per_frame = med["decode"] + med["downscale"] + med["convert"] + med["inference"]
        limit_fps = 2 * 1000 / per_frame  # both cores busy, nothing else
        fps = probe_video(video).fps
        print(f"{name:<8} {int(med['frames']):>6} {med['decode']:>7.2f} {med['downscale']:>7.2f} "
              f"{med['convert']:>7.2f} {med['inference']:>7.2f} {subject_ms:>6.2f} "
              f"{e['rest_ms_per_frame']:>6.2f} | "
              f"{1000 / med['decode']:>7.0f} {1000 / med['inference']:>7.1f} {limit_fps:>6.1f} "
              f"{e['fps']:>8.1f} {limit_fps / e['fps']:>5.2f} {e['wall_over_duration']:>8.3f} "
              f"{fps / limit_fps:>7.3f} {e['cached_ms']:>9.1f}")
    print("subj = subject selection (own sampling pass, MediaPipe screening, HOG only when "
          "needed, on <= 30 samples) per frame; rest = probe, features, model.\n"
          "limit = 2 cores / (decode+downscale+convert+"
          "inference per frame); ratio = limit / achieved; lim w/d = wall/duration at the limit")
    name = "1080p30" if "1080p30" in inputs else next(iter(inputs))
    print(f"\n{name} end to end by setting (median of {repeat}):")
    for label, upd in (
        ("posescore score: 2 chunks, 2 processes", {}),
        ("2 chunks in 1 process (library)", {"execution": {"chunk_processes": 1}}),
        ("one chunk (chunks 1)", {"pose": {"chunks": 1}}),
        ("one chunk, serial decode",
         {"pose": {"chunks": 1}, "execution": {"decode_thread": False}}),
        ("score, subject selection off", {"subject": {"enabled": False}}),
    ):
        s = settings.model_copy(update={
            section: getattr(settings, section).model_copy(update=values)
            for section, values in upd.items()
        })
        ends = [end_to_end(inputs[name], s, model) for _ in range(repeat)]
        e = {k: statistics.median(x[k] for x in ends) for k in ends[0]}
        print(f"  {label:<36} {e['fps']:6.1f} frames/s  wall/duration {e['wall_over_duration']:.3f}"
              f"  cached re-score {e['cached_ms']:.1f} ms")


# --------------------------------------------------------------------------- accuracy


def landmark_error_px(video: Path, settings: Settings) -> float:
    """Median distance (px) of leg landmarks to the phantom's joints_px, frames with a body."""
    truth = json.loads(video.with_suffix(".truth.json").read_text())
    with tempfile.TemporaryDirectory() as cache:
        pose, _ = extract_pose(video, _cached_in(settings, Path(cache)))
    times = np.asarray(truth["timestamps_s"])
    idx = np.clip(np.searchsorted(times, pose.timestamps_s - 1e-6), 0, len(times) - 1)
    errors = []
    for side in SIDES:
        for joint in JOINTS:
            true_xy = np.asarray(truth["joints_px"][side][joint], dtype=float)[idx]
            est = pose.landmarks[:, LEG_LANDMARKS[side][joint], :2]
            d = np.linalg.norm(est - true_xy, axis=1)
            errors.append(d[np.isfinite(d)])
    return float(np.median(np.concatenate(errors)))


def bench_accuracy(inputs: dict[str, Path]) -> None:
    print("\n== landmark accuracy: median px error of leg joints vs truth.json ==")
    base = Settings()
    print("(max_side = PoseConfig.max_inference_side_px; 1080p30 is a native render, the "
          "others resampled)")
    variants = {
        "1280 any ratio, one chunk (before)": {"downscale_whole_factor": False, "chunks": 1},
        "whole factor (960), one chunk": {"chunks": 1},
        "whole factor, 2 chunks (default)": {},
        "max_side 640": {"max_inference_side_px": 640},
        "default + max_pose_fps 30": {"max_pose_fps": 30.0},
    }
    for name in ("1080p30", "720p30", "1080p60"):
        for label, upd in variants.items():
            s = base.model_copy(update={"pose": base.pose.model_copy(update=upd)})
            if "max_pose_fps" in upd and name.endswith("30"):
                continue
            print(f"{name:<8} {label:<34} {landmark_error_px(inputs[name], s):7.2f} px")


# --------------------------------------------------------------------------- batch, memory


def bench_batch(folder: Path, src: Path, repeat: int) -> None:
    from posescore.batch import run_batch

    videos = folder / "batch_in"
    videos.mkdir(exist_ok=True)
    for i in range(8):
        target = videos / f"v{i}.mp4"
        if not target.exists():
            os.link(src, target)
    base = Settings()
    res, cpus = {}, {}
    for label, workers, processes in (
        ("1 worker, one process per video", 1, 1),
        ("2 workers", 2, 1),
        ("1 worker, chunks in 2 processes", 1, 2),
    ):
        execution = base.execution.model_copy(
            update={"use_cache": False, "chunk_processes": processes}
        )
        s = base.model_copy(update={"execution": execution})
        times, cpu = [], []
        for r in range(repeat):
            before = os.times()
            summary = run_batch(videos, folder / f"batch_out_{workers}_{processes}_{r}", s,
                                workers=workers, progress=False)
            after = os.times()
            assert summary.scored == 8, summary.text()
            times.append(summary.seconds)
            cpu.append(sum(after[:2]) - sum(before[:2]))  # this process's threads only
        res[label] = statistics.median(times)
        cpus[label] = statistics.median(cpu)
    duration = probe_video(src).duration_s
    print(f"\n== batch: 8 x {src.name} ({duration:.0f} s; pose cache off), median of {repeat} ==")
    for label, t in res.items():
        print(f"  {label:<34} {t:7.1f} s  {8 / t:6.3f} videos/s")
    one, two = res["1 worker, one process per video"], res["2 workers"]
    # one worker scores in this process: its CPU time is all the work (decoding and subject
    # screening run in threads beside inference, so it keeps more than one core busy)
    work = cpus["1 worker, one process per video"]
    print(f"  1 worker: CPU {work:.1f} s in {one:.1f} s = {work / one:.2f} cores busy; the same "
          f"work on 2 cores takes at least {work / 2:.1f} s ({2 * one / work:.2f}x scaling)")
    print(f"  scaling 2 vs 1 workers: {one / two:.2f}x")


def make_long(src: Path, dst: Path, seconds: float) -> None:
    """Loop ``src``'s frames into a ``seconds``-long clip (cheap: no re-rendering)."""
    cap = cv2.VideoCapture(str(src))
    fps = cap.get(cv2.CAP_PROP_FPS)
    frames = []
    while True:
        ok, f = cap.read()
        if not ok:
            break
        frames.append(f)
    cap.release()
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(dst), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    n = int(round(seconds * fps))
    cycle = frames + frames[::-1]  # ping-pong: no jump at the loop point
    for i in range(n):
        writer.write(cycle[i % len(cycle)])
    writer.release()
    del frames, cycle


_RSS_CHILD = """
import sys, time, tempfile
from pathlib import Path
from posescore.config import Settings
from posescore.score import score_video
s = Settings()
with tempfile.TemporaryDirectory() as c:  # as posescore score runs: chunks in 2 processes
    execution = s.execution.model_copy(update={"cache_dir": Path(c), "chunk_processes": 2})
    s = s.model_copy(update={"execution": execution})
    t = time.perf_counter()
    r = score_video(sys.argv[1], s)
    wall = time.perf_counter() - t
print(r.video.frame_count, r.video.duration_s, wall, _peak_mib())
"""
# VmHWM, not ru_maxrss: Linux keeps ru_maxrss across fork + exec, so a child would report
# its parent's peak
_PEAK = """
def _peak_mib():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
"""


def _tree_rss_mib(pid: int) -> float:
    """Resident memory of ``pid`` and all its descendants now, MiB (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    total_kib, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo += children.get(p, [])
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kib += int(line.split()[1])
        except OSError:
            continue
    return total_kib / 1024


def bench_memory(folder: Path, src: Path, seconds: float) -> None:
    long = folder / f"long_{int(seconds)}s_1080p.mp4"
    t0 = time.perf_counter()
    if not long.exists():
        make_long(src, long, seconds)
    t_make = time.perf_counter() - t0
    base = subprocess.run([sys.executable, "-c", _PEAK + "import posescore.score, mediapipe, cv2;"
                           "print(_peak_mib())"], capture_output=True, text=True, check=True)
    child = subprocess.Popen([sys.executable, "-c", _PEAK + _RSS_CHILD, str(long)],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    tree_peak = 0.0
    while child.poll() is None:  # the chunk process is a child of the scoring process
        tree_peak = max(tree_peak, _tree_rss_mib(child.pid))
        time.sleep(0.2)
    frames, duration, wall, rss = child.stdout.read().split()[-4:]
    print(f"\n== memory: {float(duration):.0f} s 1080p30 clip ({frames} frames, made in "
          f"{t_make:.0f} s) ==")
    imports = float(base.stdout.split()[-1])
    print(f"  peak RSS of all processes (sampled every 0.2 s) {tree_peak:.0f} MiB; scoring "
          f"process alone (VmHWM) {float(rss):.0f} MiB; imports alone {imports:.0f} MiB; "
          f"wall {float(wall):.0f} s = {float(wall) / float(duration):.3f} x duration")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--duration-s", type=float, default=10.0)
    parser.add_argument("--long-s", type=float, default=120.0)
    parser.add_argument("--only", default="stages,accuracy,batch,memory")
    parser.add_argument("--inputs", nargs="*", help="subset of input names, e.g. 1080p30")
    parser.add_argument("--keep", type=Path, help="folder to keep/reuse inputs in")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    only = set(args.only.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        if (folder / "1080p60.mp4").exists():
            names = ["480p30", "720p30", "1080p30", "480p60", "720p60", "1080p60"]
            inputs = {n: folder / f"{n}.mp4" for n in names}
        else:
            inputs = make_inputs(folder, args.duration_s)
        clip_s = probe_video(inputs["1080p30"]).duration_s
        print(f"inputs: {clip_s:.0f} s phantom clips ready in {time.perf_counter() - t0:.0f} s; "
              f"{os.cpu_count()} cores (shared: noisy figures); medians of {args.repeat}")
        sel = {k: v for k, v in inputs.items() if not args.inputs or k in args.inputs}
        model = load_model()
        if "stages" in only:
            bench_stages(sel, args.repeat, model)
        if "accuracy" in only:
            bench_accuracy(inputs)
        if "batch" in only:
            short = folder / "batch_src_20s.mp4"
            if not short.exists():  # long enough for two chunks (2 x chunk_min_s)
                from posescore.phantom import PhantomParams, render_phantom

                render_phantom(
                    PhantomParams(affected_side="left", severity=2.0, seed=4, duration_s=20.0),
                    short,
                )
            bench_batch(folder, short, args.repeat)
        if "memory" in only:
            bench_memory(folder, inputs["1080p30"], args.long_s)


if __name__ == "__main__":
    main()
