"""Score a whole archive of videos: recursive, parallel, resumable, interrupt-safe.

``run_batch(folder, out, settings)`` scores every video below ``folder`` and writes, in
``out``: one JSON per video (the JSON contract plus a ``batch`` block), ``scores.csv`` and
``scores.parquet`` (one row per video) and returns a :class:`BatchSummary`.

- Each JSON is written atomically (temporary file + rename) by the process that scored it,
  the moment it is done, so an interrupted run (Ctrl-C) keeps every finished result.
- ``resume=True`` skips a video whose JSON exists and names the same model SHA-256 and pose
  extractor version; the CSV and Parquet tables are rebuilt from all JSONs at the end and on
  interrupt.
- ``workers > 1`` runs that many processes, largest files first (:mod:`posescore.runner`);
  each loads the model and starts a MediaPipe graph once (reset between videos: the pose is
  a fresh graph's), and gets an equal share of the cores for its OpenMP, BLAS and OpenCV
  threads (Dask tasks get their share of their host's cores); the parent only checks the
  model's card (:mod:`posescore.model_card`). On Ctrl-C the parent stops
  handing out videos, lets running ones finish (a second Ctrl-C abandons them) and writes
  the tables.
- ``anonymize=True`` replaces file names in every output with a salted hash; the salt is kept
  in ``out/.anonymize_salt`` (keep it private: with it, names can be checked by brute force).
"""

from __future__ import annotations

import atexit
import csv
import hashlib
import json
import logging
import os
import secrets
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from posescore.config import Settings
from posescore.constants import SCHEMA_VERSION
from posescore.contract import Score
from posescore.contract.score import BatchStamp
from posescore.errors import PosescoreError
from posescore.runner import Outcome, Span, initialise, run_items, where

logger = logging.getLogger(__name__)

VIDEO_SUFFIXES = frozenset(
    {".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv",
     ".mts", ".m2ts", ".ts", ".3gp", ".3g2", ".flv", ".ogv"}
)
"""Suffixes a batch picks up (any case): phone, camera and camcorder (AVCHD ``.mts``) files."""
BATCH_COLUMNS = (
    "video",
    "scorable",
    "left_severity",
    "right_severity",
    "affected_side",
    "cadence_steps_per_min",
    "error",
)
"""The leading columns of scores.csv; more follow (see :func:`batch_row`)."""
EXTRA_COLUMNS = (
    "not_scorable_reason", "view", "task", "frame_count", "duration_s", "sha256", "model_sha256"
)
SALT_FILE = ".anonymize_salt"


@dataclass
class BatchSummary:
    """What a batch run did."""

    total: int = 0
    scored: int = 0
    failed: int = 0
    skipped: int = 0
    frames: int = 0
    seconds: float = 0.0
    interrupted: bool = False
    rows: list[dict[str, Any]] = field(default_factory=list)
    out: Optional[Path] = None
    started_s: float = 0.0
    """Wall-clock time (epoch s) the videos started to be handed out."""
    spans: dict[str, Span] = field(default_factory=dict)
    """When and in which process each video ran, by output name (``--trace``)."""

    @property
    def frames_per_s(self) -> float:
        """Frames scored in this run per wall-clock second."""
        return self.frames / self.seconds if self.seconds > 0 else 0.0

    def text(self) -> str:
        """One-line summary."""
        state = "interrupted: " if self.interrupted else ""
        return (
            f"{state}scored {self.scored}, failed {self.failed}, skipped {self.skipped} "
            f"(already scored) of {self.total} in {self.seconds:.1f} s, "
            f"{self.frames_per_s:.1f} frames/s"
        )


def find_videos(folder: Path) -> list[Path]:
    """Video files below ``folder`` (recursive), by suffix, sorted."""
    return sorted(
        p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES
    )


def unreadable_entries(folder: Path) -> list[Path]:
    """Entries below ``folder`` named like videos that are not files nor folders, sorted.

    A broken link, a pipe or a device: each gets an error row instead of being left out
    silently (and a pipe is never opened, which could wait for ever).
    """
    return sorted(
        p for p in folder.rglob("*")
        if p.suffix.lower() in VIDEO_SUFFIXES and not p.is_file() and not p.is_dir()
    )


def anonymous_name(rel: str, salt: str) -> str:
    """Salted SHA-256 of a relative path, 16 hex digits."""
    return hashlib.sha256(f"{salt}\0{rel}".encode()).hexdigest()[:16]


def _salt(out: Path) -> str:
    path = out / SALT_FILE
    if path.exists():
        return path.read_text().strip()
    salt = secrets.token_hex(16)
    path.write_text(salt + "\n")
    os.chmod(path, 0o600)
    return salt


def json_name(rel: str) -> str:
    """Output JSON file name of a video's relative path."""
    return rel.replace("/", "__") + ".json"


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    """Write JSON through a temporary file and a rename, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, allow_nan=False) + "\n")
    os.replace(tmp, path)


def batch_row(name: str, result: Optional[dict[str, Any]], error: str = "") -> dict[str, Any]:
    """One row of scores.csv from a score's JSON (validated) or an error."""
    row: dict[str, Any] = {c: None for c in (*BATCH_COLUMNS, *EXTRA_COLUMNS)}
    row.update(video=name, scorable=False, error=error)
    if result is None:
        return row
    score = Score.model_validate(result)
    row.update(
        scorable=score.quality.scorable,
        left_severity=score.legs.left.severity,
        right_severity=score.legs.right.severity,
        affected_side=score.affected_side,
        cadence_steps_per_min=score.gait.cadence_steps_per_min,
        not_scorable_reason="; ".join(r.message for r in score.quality.not_scorable_reasons),
        view=score.view,
        task=score.task,
        frame_count=score.video.frame_count,
        duration_s=score.video.duration_s,
        sha256=score.video.sha256,
        model_sha256=score.model.sha256,
    )
    return row


# --------------------------------------------------------------------------- worker side

_WORKER: dict[str, Any] = {}


def _init_worker(settings: Settings) -> None:
    """Load the model once per process (``runner.initialise``).

    In a worker (local or Dask) each video's chunks are tracked one after the other
    (:func:`one_process_per_video`), and a model that cannot be loaded becomes each video's
    error (the parent checked its card; a worker that stopped would break the pool). A local
    worker process keeps one MediaPipe graph for all its videos and skips the interpreter's
    teardown at its exit (:func:`_exit_at_once`).
    """
    from posescore.model_file import load_model

    _WORKER.pop("error", None)
    if where() != "caller":
        settings = one_process_per_video(settings)
    _WORKER["settings"] = settings
    _WORKER["extractor"] = _extractor_version(settings)
    try:
        _WORKER["model"] = load_model(settings.model.path)
    except PosescoreError as exc:
        if where() == "caller":
            raise
        _WORKER["error"] = exc
    if where() == "process":
        from posescore.pose import MediaPipePoseBackend

        _WORKER["backend"] = MediaPipePoseBackend(settings.pose)
        atexit.register(_exit_at_once)


def _exit_at_once() -> None:
    """End a worker process without the interpreter's teardown (atexit, registered last).

    Tearing down MediaPipe, TFLite and scikit-learn took about 1 s of a core per worker, and
    the parent waits for its workers to end. By now every result has been sent and every
    JSON written (``multiprocessing`` flushes its queues before the interpreter's exit).
    """
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _score_one(job: tuple[str, str, str, str, str]) -> tuple[dict, int]:
    """Score one video; returns (its JSON, frames). Raises what ``score_video`` raises.

    The JSON is written here, the moment it is done, except in a Dask task (the caller
    writes it: a Dask worker may not see ``out``).
    """
    from posescore.score import score_video

    path, name, json_path, task, run_id = job
    if "error" in _WORKER:
        raise _WORKER["error"]
    settings, model, backend = _WORKER["settings"], _WORKER["model"], _WORKER.get("backend")
    if backend is not None:
        backend.reset()  # tracking and smoothing start afresh, as in a new graph
    score = score_video(path, settings, model=model, task=task, backend=backend).to_model()
    score.video.path = name
    score.batch = BatchStamp(
        run_id=run_id,
        scored_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        extractor=_WORKER["extractor"],
        model_sha256=score.model.sha256,
    )
    result = score.to_json()
    if where() != "dask":
        write_json_atomic(Path(json_path), result)
    return result, score.video.frame_count


def _scrub(message: str, path: str, name: str) -> str:
    """An error message with the file's path and file name replaced by its output name."""
    return message.replace(path, name).replace(Path(path).name, name)


# --------------------------------------------------------------------------- parent side


def _already_scored(json_path: Path, model_sha: Optional[str], extractor: str) -> Optional[dict]:
    try:
        data = json.loads(json_path.read_text())
    except (OSError, ValueError):
        return None
    b = data.get("batch", {})
    if (data.get("schema_version") == SCHEMA_VERSION and b.get("model_sha256") == model_sha
            and b.get("extractor") == extractor):
        return data
    return None


def write_tables(out: Path, rows: Iterable[dict[str, Any]]) -> None:
    """Write scores.csv and scores.parquet (atomically) from batch rows, sorted by video."""
    rows = sorted(rows, key=lambda r: r["video"])
    columns = [*BATCH_COLUMNS, *EXTRA_COLUMNS]
    tmp = out / ".scores.csv.tmp"
    with open(tmp, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, out / "scores.csv")
    import pyarrow as pa
    import pyarrow.parquet as pq
    schema = pa.schema(
        [
            ("video", pa.string()), ("scorable", pa.bool_()),
            ("left_severity", pa.float64()), ("right_severity", pa.float64()),
            ("affected_side", pa.string()), ("cadence_steps_per_min", pa.float64()),
            ("error", pa.string()), ("not_scorable_reason", pa.string()),
            ("view", pa.string()), ("task", pa.string()),
            ("frame_count", pa.int64()), ("duration_s", pa.float64()),
            ("sha256", pa.string()), ("model_sha256", pa.string()),
        ]
    )
    table = pa.Table.from_pylist([{c: r.get(c) for c in columns} for r in rows], schema=schema)
    tmp_pq = out / ".scores.parquet.tmp"
    pq.write_table(table, tmp_pq)
    os.replace(tmp_pq, out / "scores.parquet")


def run_batch(
    folder: Path,
    out: Path,
    settings: Settings = Settings(),
    task: str = "walk_forward",
    workers: int = 1,
    resume: bool = False,
    anonymize: bool = False,
    progress: bool = True,
    scheduler: Optional[str] = None,
) -> BatchSummary:
    """Score every video below ``folder`` into ``out``; see the module docstring.

    With ``scheduler`` (e.g. ``"tcp://10.0.0.5:8786"``) the videos are scored on that
    Dask distributed cluster instead of local processes (``workers`` is then ignored): every
    worker must see the videos under the same paths and have posescore installed; the
    JSON files and tables are written here. Results equal a local run's.

    Raises
    ------
    PosescoreError
        If ``folder`` is not a folder, holds no videos, or the model cannot be loaded.
    KeyboardInterrupt
        Never: an interrupt ends the run early with ``summary.interrupted`` set.
    """
    folder, out = Path(folder), Path(out)
    if not folder.is_dir():
        raise PosescoreError(f"not a folder: {folder}")
    videos, unreadable = find_videos(folder), unreadable_entries(folder)
    if not videos and not unreadable:
        raise PosescoreError(f"no video files ({', '.join(sorted(VIDEO_SUFFIXES))}) in {folder}")
    model_sha = _model_sha(settings, here=workers <= 1 and not scheduler)
    extractor = _extractor_version(settings) if resume else ""
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob(".*.tmp"):
        stale.unlink(missing_ok=True)
    salt = _salt(out) if anonymize else ""
    run_id = secrets.token_hex(6)

    summary = BatchSummary(total=len(videos) + len(unreadable), out=out)
    rows: dict[str, dict[str, Any]] = {}
    for entry in unreadable:
        rel = entry.relative_to(folder).as_posix()
        name = anonymous_name(rel, salt) if anonymize else rel
        kind = "a broken link" if entry.is_symlink() and not entry.exists() else "a pipe or device"
        rows[name] = batch_row(name, None, f"not a video file: {kind}")
        summary.failed += 1
    jobs = []
    for video in videos:
        rel = video.relative_to(folder).as_posix()
        name = anonymous_name(rel, salt) if anonymize else rel
        json_path = out / json_name(name)
        if resume:
            done = _already_scored(json_path, model_sha, extractor)
            if done is not None:
                rows[name] = batch_row(name, done)
                summary.skipped += 1
                continue
        jobs.append((str(video), name, str(json_path), task, run_id))

    bar = _progress_bar(len(jobs), progress)
    start, summary.started_s = time.perf_counter(), time.time()

    def record(outcome: Outcome, n_ended: int, n_jobs: int) -> None:
        path, name, json_path = outcome.item[:3]
        result, frames = outcome.value or (None, 0)
        error = _scrub(outcome.error, path, name)
        rows[name] = batch_row(name, result, error)
        if outcome.span is not None:
            summary.spans[name] = outcome.span
        if error:
            summary.failed += 1
            logger.info("a video failed: %s", error)
        else:
            summary.scored += 1
            summary.frames += frames
            if scheduler is not None:  # a Dask worker may not see ``out``
                write_json_atomic(Path(json_path), result)
        if bar is not None:
            bar.update(1)
            bar.set_postfix(scored=summary.scored, failed=summary.failed)

    try:
        run_items(_score_one, jobs, workers=workers, scheduler=scheduler, init=_init_worker,
                  init_args=(settings,), sizes=[_file_size(job[0]) for job in jobs],
                  progress=record)
    except KeyboardInterrupt:
        summary.interrupted = True
    finally:
        if bar is not None:
            bar.close()
        summary.seconds = time.perf_counter() - start
        summary.rows = sorted(rows.values(), key=lambda r: r["video"])
        write_tables(out, summary.rows)
    return summary


def _model_sha(settings: Settings, here: bool) -> str:
    """The model's SHA-256; fails early on a missing or altered model.

    When the videos run ``here``, the model is loaded now; else only its card is checked
    (no scikit-learn import: the workers load the model).
    """
    from posescore.model_card import checked_card

    if here:
        initialise(_init_worker, (settings,), fresh=True)
        return _WORKER["model"].card["sha256"]
    return checked_card(settings.model.path)["sha256"]


def _extractor_version(settings: Settings) -> str:
    """The pose extractor's version, for the resume check (imports the pose stage)."""
    from posescore.pose import extractor_version

    return extractor_version(settings.pose, settings.subject)


def one_process_per_video(settings: Settings) -> Settings:
    """``settings`` with each video's chunks tracked one after the other in its worker.

    The videos already run in parallel; the pose is the same (``PoseConfig.chunks``).
    """
    execution = settings.execution.model_copy(update={"chunk_processes": 1})
    return settings.model_copy(update={"execution": execution})


def _file_size(path: str) -> int:
    """Size of a file in bytes, 0 if it cannot be read (it then fails as a row error)."""
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _progress_bar(total: int, enabled: bool):  # noqa: ANN202
    if not enabled or total == 0:
        return None
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm is a dependency
        return None
    return tqdm(total=total, unit="video", desc="scoring", dynamic_ncols=True)
