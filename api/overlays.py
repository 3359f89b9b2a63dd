"""A job's overlay video: skeleton and flags drawn, every face found blurred.

The worker renders it (``posescore.overlay.render_overlay``) right after scoring, while the
upload is still on disk, as VP8 WebM, which browsers play. It is kept as
``<data_dir>/overlays/<job id>.webm`` and erased with its job (``api.retention``). A job
scored without pose traces (a stub scorer) or whose overlay fails keeps its score and has no
overlay.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import cv2

from api.settings import ApiSettings
from posescore.errors import PosescoreError
from posescore.overlay import render_overlay

logger = logging.getLogger(__name__)


def overlay_path(settings: ApiSettings, job_id: str) -> Path:
    """Where the overlay video of ``job_id`` is kept (it may not exist)."""
    return settings.overlays_dir / f"{job_id}.webm"


def render_job_overlay(
    settings: ApiSettings, job_id: str, scored: Any, result: dict[str, Any]
) -> bool:
    """Render the overlay of a scored job (``ScoreResult`` with traces); whether one was written."""
    traces = getattr(scored, "traces", None)
    if not settings.overlays or traces is None:
        return False
    out = overlay_path(settings, job_id)
    try:
        render_overlay(scored.video, traces.pose, result, out, events=traces.events,
                       legs_exchanged=traces.traj.legs_exchanged)
    except (PosescoreError, cv2.error, OSError) as exc:
        out.unlink(missing_ok=True)
        logger.warning("job %s: no overlay (%s)", job_id, type(exc).__name__)
        return False
    return True


def erase_overlays(settings: ApiSettings, job_ids: list[str]) -> None:
    """Delete the overlay videos of ``job_ids`` (those that exist)."""
    for job_id in job_ids:
        overlay_path(settings, job_id).unlink(missing_ok=True)
