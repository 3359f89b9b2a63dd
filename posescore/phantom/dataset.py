"""Reproducible labelled phantom data sets: subjects, clips, a manifest CSV.

``generate_dataset(out_dir, n, seed)`` draws ``n`` clips of ``ceil(n / clips_per_subject)``
subjects and renders them with their truth sidecars. A subject keeps its look (skin, hair,
clothes, proportions), family, affected side, posture mix and a base severity across its
clips; each clip draws its own view, walk, scene, camera, format and a session-to-session
severity change (SD ``SESSION_SEVERITY_SD``), so subject-grouped cross-validation is
meaningful. The same (n, seed, options) always gives the same files.

Held-out families: subjects are assigned to look ``families`` round-robin; those in
``hold_out_families`` get ``split = test`` in the manifest, all others ``split = train``.
Train on ``split == train`` and evaluate on ``split == test`` to measure generalisation to
looks and scenes never seen in training (for an independent test set, also use another
``seed``).

Expression families (``expression.EXPRESSION_FAMILIES``): subjects are also assigned to
``expression_families`` round-robin (healthy subjects too, so that every family's fold holds
healthy walkers); an affected subject keeps its expression's shape across clips and its
amplitudes follow each clip's severity (``expression.draw_expression``). The manifest's
``expression_family`` column is the group to hold out when transfer to unseen expressions
of the disease is measured (``posescore evaluate --hold-out-family``).
"""

from __future__ import annotations

import csv
import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np

from posescore.phantom.expression import (
    EXPRESSION_FAMILY_NAMES,
    LegExpression,
    draw_expression,
)
from posescore.phantom.families import (
    FAMILY_NAMES,
    VARIED_FAMILIES,
    draw_family_look,
    draw_format,
    draw_posture_mix,
    family_recipe,
)
from posescore.phantom.look import PhantomLook
from posescore.phantom.params import AffectedSide, PhantomParams, PhantomView
from posescore.phantom.variation import PostureMix
from posescore.phantom.writer import ffmpeg_path
from posescore.runner import run_items

logger = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.csv"
MANIFEST_COLUMNS = (
    "video", "subject_id", "left_severity", "right_severity", "view", "task", "family",
    "expression_family", "split", "affected_side", "left_class", "right_class", "walk", "seed",
    "fps", "width", "height", "rotation_deg", "bitrate_kbps", "duration_s", "equinus_factor",
    "inversion_factor", "toe_extension_factor", "variation_tags",
)
SESSION_SEVERITY_SD = 0.25
"""SD of a subject's severity from clip to clip (sessions), severity points."""
DEFAULT_VIEWS: tuple[PhantomView, ...] = ("sagittal_left", "sagittal_right", "frontal")


@dataclass(frozen=True)
class DatasetClip:
    """One clip of a data set: its parameters and its labels."""

    name: str
    subject_id: str
    split: str
    params: PhantomParams
    expression_family: str = ""
    """The subject's expression family (healthy subjects too); empty for the original
    phantom's single picture."""


def plan_dataset(
    n: int,
    seed: int = 0,
    families: Sequence[int] = VARIED_FAMILIES,
    hold_out_families: Sequence[int] = (),
    clips_per_subject: int = 2,
    duration_s: float = 6.0,
    views: Sequence[PhantomView] = DEFAULT_VIEWS,
    healthy_fraction: float = 0.25,
    across_fraction: float = 0.3,
    ffmpeg_ok: bool | None = None,
    expression_families: Sequence[str] | None = EXPRESSION_FAMILY_NAMES,
) -> list[DatasetClip]:
    """Draw the clips of a data set (no rendering); deterministic in all arguments.

    Parameters
    ----------
    n : int
        Number of clips.
    seed : int
        Data set seed; subject ``j`` uses seed ``seed * 100000 + j`` for its look and mix.
    families : sequence of int
        Families to draw from (round-robin over subjects); ``hold_out_families`` are added.
    hold_out_families : sequence of int
        Families whose clips are marked ``split = test``.
    clips_per_subject : int
        Clips per subject (the last subject may have fewer).
    duration_s : float
        Clip length, s.
    views : sequence
        Views drawn per clip (``oblique_left``/``oblique_right`` may be added).
    healthy_fraction : float
        Share of subjects with no affected leg.
    across_fraction : float
        Share of sagittal clips that walk across the frame.
    ffmpeg_ok : bool, optional
        Whether portrait clips may be stored rotated (None = ffmpeg is installed).
    expression_families : sequence of str, optional
        Expression families to draw from (round-robin over subjects); None = the original
        phantom's single picture of the disease (scaled by the look family's posture mix).

    """
    if n < 1 or clips_per_subject < 1:
        raise ValueError("n and clips_per_subject must be at least 1")
    fams = list(dict.fromkeys([*families, *hold_out_families]))
    for f in fams:
        if f not in FAMILY_NAMES:
            raise ValueError(f"unknown phantom family {f}; known: {sorted(FAMILY_NAMES)}")
    if ffmpeg_ok is None:
        ffmpeg_ok = ffmpeg_path() is not None
    clips: list[DatasetClip] = []
    n_affected = 0
    for j in range(math.ceil(n / clips_per_subject)):
        subject_seed = seed * 100_000 + j
        family = fams[j % len(fams)]
        rng = np.random.default_rng([subject_seed, 31])
        healthy = rng.random() < healthy_fraction
        side = "none" if healthy else ("left", "right")[n_affected % 2]  # balanced sides
        n_affected += not healthy
        base = 0.0 if healthy else float(rng.uniform(0.3, 4.0))
        expression_family = (expression_families[j % len(expression_families)]
                             if expression_families else None)
        look = draw_family_look(subject_seed, family)
        mix = draw_posture_mix(subject_seed, family)
        split = "test" if family in hold_out_families else "train"
        subject_id = f"s{seed}_{j:05d}"
        for c in range(min(clips_per_subject, n - len(clips))):
            clip_seed = subject_seed * 16 + c
            severity = 0.0 if healthy else round(float(np.clip(
                base + rng.normal(0.0, SESSION_SEVERITY_SD), 0.3, 4.0)), 2)
            view = views[int(rng.integers(len(views)))]
            across = view.startswith("sagittal") and rng.random() < across_fraction
            clip_look = session_look(look, family, rng)
            fmt = draw_format(clip_seed, family, ffmpeg_ok)
            expression = None
            if expression_family is not None and not healthy:
                expression = draw_expression(severity, expression_family, subject_seed)
            params = PhantomParams(
                affected_side=side, severity=severity, view=view, seed=clip_seed,
                duration_s=duration_s, walk="across" if across else "in_place",
                look=clip_look, family=family, posture_mix=mix, expression=expression, **fmt)
            name = f"{subject_id}_c{c}_f{family}_{view}_{params.walk}"
            clips.append(DatasetClip(name, subject_id, split, params, expression_family or ""))
    return clips


@dataclass(frozen=True)
class Walker:
    """A phantom walker filmed over visits: look, family, dystonia and expression kept.

    Walker ``j`` of data set seed ``seed`` (``draw_walker``) has subject seed
    ``seed * 100000 + j``, look family ``VARIED_FAMILIES[j % 5]`` and expression family
    ``EXPRESSION_FAMILY_NAMES[j % 8]``; every ``healthy_every``-th walker is healthy, the
    others alternate the affected side.
    """

    subject_id: str
    seed: int
    family: int
    expression_family: str
    affected_side: AffectedSide
    severity: float
    look: PhantomLook
    posture_mix: PostureMix
    expression: Optional[LegExpression]

    def clip(self, name: str, view: PhantomView, clip_seed: int, duration_s: float,
             look: PhantomLook, ffmpeg_ok: bool) -> DatasetClip:
        """One clip of this walker in ``view``, its session ``look`` and clip seed."""
        params = PhantomParams(
            affected_side=self.affected_side, severity=self.severity, view=view,
            seed=clip_seed, duration_s=duration_s, look=look, family=self.family,
            posture_mix=self.posture_mix, expression=self.expression,
            **draw_format(clip_seed, self.family, ffmpeg_ok))
        return DatasetClip(name, self.subject_id, "test", params, self.expression_family)


def draw_walker(seed: int, j: int, healthy_every: int) -> tuple[Walker, np.random.Generator]:
    """Walker ``j`` of data set ``seed`` (see ``Walker``) and the generator of its sessions.

    The generator (seeded by the subject seed) has drawn the severity, uniform 0.3-4.0;
    callers draw each session's camera framing from it (``session_look``).
    """
    subject_seed = seed * 100_000 + j
    family = VARIED_FAMILIES[j % len(VARIED_FAMILIES)]
    expression_family = EXPRESSION_FAMILY_NAMES[j % len(EXPRESSION_FAMILY_NAMES)]
    rng = np.random.default_rng([subject_seed, 31])
    healthy = j % healthy_every == healthy_every - 1
    severity = 0.0 if healthy else round(float(rng.uniform(0.3, 4.0)), 2)
    walker = Walker(
        subject_id=f"w{seed}_{j:03d}", seed=subject_seed, family=family,
        expression_family=expression_family,
        affected_side="none" if healthy else ("left", "right")[j % 2], severity=severity,
        look=draw_family_look(subject_seed, family),
        posture_mix=draw_posture_mix(subject_seed, family),
        expression=None if healthy else draw_expression(severity, expression_family,
                                                        subject_seed))
    return walker, rng


def session_look(look: PhantomLook, family: int, rng: np.random.Generator) -> PhantomLook:
    """The subject's look in one session: the camera moves (new size and place in frame).

    Family 0 (the original phantom) keeps its framing.
    """
    if family == 0:
        return look
    lo, hi = family_recipe(family)["height"]
    return look.model_copy(update={
        "body_height_frac": float(rng.uniform(lo, hi)),
        "horizontal_offset_frac": float(rng.uniform(-0.2, 0.2)),
        "vertical_offset_frac": float(rng.uniform(-0.8, 0.8)),
    })


def rendered_truth(video: Path, params: PhantomParams) -> dict | None:
    """Truth of a clip already rendered with these exact parameters, else None.

    Lets an interrupted or enlarged set resume: a clip is reused when its video and its
    ``.truth.json`` sidecar exist and the sidecar records the same truth schema and
    parameters. A folder rendered by an older renderer with the same parameters would be
    reused too: give such a set a fresh folder.
    """
    from posescore.phantom.synth import TRUTH_SCHEMA_VERSION

    sidecar = video.with_suffix(".truth.json")
    if not (video.is_file() and sidecar.is_file()):
        return None
    try:
        truth = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    same = (
        isinstance(truth, dict)
        and truth.get("schema_version") == TRUTH_SCHEMA_VERSION
        and truth.get("params") == params.model_dump(mode="json")
    )
    return truth if same else None


def _render(args: tuple[DatasetClip, Path]) -> dict[str, object]:
    from posescore.phantom.synth import render_phantom

    clip, out = args
    video = out / f"{clip.name}.mp4"
    truth = rendered_truth(video, clip.params) or render_phantom(clip.params, video)
    p = clip.params
    mix = truth["posture_mix"]
    return {
        "video": video.name, "subject_id": clip.subject_id,
        "left_severity": truth["severity"]["left"], "right_severity": truth["severity"]["right"],
        "view": p.view, "task": "walk_forward", "family": p.family,
        "expression_family": clip.expression_family, "split": clip.split,
        "affected_side": p.affected_side, "left_class": truth["severity_class"]["left"],
        "right_class": truth["severity_class"]["right"], "walk": p.walk, "seed": p.seed,
        "fps": p.fps, "width": p.width, "height": p.height, "rotation_deg": p.rotation_deg,
        "bitrate_kbps": p.bitrate_kbps or "",
        "duration_s": p.duration_s, "equinus_factor": mix["equinus"],
        "inversion_factor": mix["inversion"], "toe_extension_factor": mix["toe_extension"],
        "variation_tags": ";".join(truth["variation_tags"]),
    }


def generate_dataset(
    out_dir: str | Path,
    n: int,
    seed: int = 0,
    families: Sequence[int] = VARIED_FAMILIES,
    hold_out_families: Sequence[int] = (),
    workers: int = 1,
    **plan: object,
) -> Path:
    """Render a labelled phantom set into ``out_dir`` and write its manifest CSV.

    Parameters
    ----------
    out_dir : str or Path
        Output folder (videos, ``<stem>.truth.json`` sidecars, ``manifest.csv``).
    n, seed, families, hold_out_families
        See ``plan_dataset``.
    workers : int
        Rendering processes (``runner.run_items``); a clip that fails ends the run.
    **plan
        More ``plan_dataset`` arguments (``clips_per_subject``, ``duration_s``, ``views``,
        ``healthy_fraction``, ``across_fraction``).

    Returns
    -------
    Path
        The manifest, one row per clip with the columns ``MANIFEST_COLUMNS`` (severities
        are the exact truth; ``split`` is ``test`` for held-out families).

    """
    clips = plan_dataset(n, seed, families, hold_out_families, **plan)  # type: ignore[arg-type]
    return render_dataset(clips, out_dir, workers)


def render_dataset(clips: Sequence[DatasetClip], out_dir: str | Path, workers: int = 1) -> Path:
    """Render planned clips (reusing those already rendered) and write their manifest CSV.

    Returns the manifest (see ``generate_dataset``).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    jobs = [(clip, out) for clip in clips]
    rows = [outcome.value for outcome in run_items(_render, jobs, workers=workers, catch=())]
    manifest = out / MANIFEST_NAME
    with manifest.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(MANIFEST_COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
    logger.info("phantom data set: %d clips, manifest %s", len(rows), manifest.name)
    return manifest
