"""What every command shares: settings from the options, number format, safe file writes.

Imports here stay light (no pydantic, numpy or scikit-learn at import time), so that
``posescore --help`` starts fast; each command imports what it needs when it runs.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from posescore.errors import ConfigError, PosescoreError

if TYPE_CHECKING:
    from posescore.config import Settings


def settings_from(args: argparse.Namespace) -> Settings:
    """The settings of ``--config`` with the command's options (model, cache, chunks, ...)."""
    from pydantic import ValidationError

    from posescore.config import ExecutionConfig, PoseConfig, SubjectConfig, load_settings

    settings = load_settings(args.config)
    updates: dict[str, Any] = {}
    if getattr(args, "model", None):
        updates["model"] = settings.model.model_copy(update={"path": Path(args.model)})
    execution: dict[str, Any] = {}
    if getattr(args, "no_cache", False):
        execution["use_cache"] = False
    if "chunk_processes" not in settings.execution.model_fields_set:
        # the command line owns its process: track a long video's chunks on every usable core
        execution["chunk_processes"] = max(
            1, min(settings.pose.chunks, len(os.sched_getaffinity(0)))
        )
    if getattr(args, "chunks", None):
        execution["chunk_processes"] = args.chunks
        try:
            updates["pose"] = PoseConfig.model_validate(
                {**settings.pose.model_dump(), "chunks": args.chunks}
            )
            updates["execution"] = ExecutionConfig.model_validate(
                {**settings.execution.model_dump(), **execution}
            )
        except ValidationError as exc:
            raise ConfigError(f"--chunks: {exc.errors()[0]['msg']}") from exc
    elif execution:
        updates["execution"] = settings.execution.model_copy(update=execution)
    if getattr(args, "roi", None):
        try:
            roi = SubjectConfig.model_validate({"roi": args.roi}).roi
        except ValidationError as exc:
            raise ConfigError(f"--roi: {exc.errors()[0]['msg']}") from exc
        updates["subject"] = settings.subject.model_copy(update={"roi": roi})
    if getattr(args, "view", None):
        updates["signal"] = settings.signal.model_copy(update={"view": args.view})
    return settings.model_copy(update=updates)


def fmt(value: Optional[float], digits: int = 2) -> str:
    """``value`` with ``digits`` decimals, ``-`` for None."""
    return "-" if value is None else f"{value:.{digits}f}"


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` as indented JSON with a final newline (``write_text``)."""
    write_text(path, json.dumps(data, indent=2) + "\n")


def write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file; a failure is a PosescoreError."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        if tmp.is_file():
            tmp.unlink()
        raise PosescoreError(f"cannot write {path}: {exc.strerror or exc}") from None


OUTPUT_OPTIONS = ("json", "report", "overlay")
"""Options naming an output file, checked before any work (``check_outputs``)."""


def check_outputs(args: argparse.Namespace) -> None:
    """Refuse output paths that cannot be files, before scoring (not after minutes of it)."""
    for option in OUTPUT_OPTIONS:
        value = getattr(args, option, None)
        if not value:
            continue
        path = Path(value)
        if path.is_dir():
            raise PosescoreError(f"--{option} {value} is a folder; give a file name")
        parent = next((p for p in path.parents if p.exists()), None)
        if parent is not None and not parent.is_dir():
            raise PosescoreError(f"--{option} {value}: {parent} is not a folder")

