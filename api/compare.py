"""The service's pre/post comparison: ``posescore.compare.compare_results``, run by a worker.

The numbers are those of ``posescore compare`` (bootstrap 95% CIs over strides, Hedges' g,
MDC95 from the packaged test-retest table, a ``beyond_noise`` verdict per leg and feature),
computed with the service's model and a fixed seed, so a comparison is reproducible and is
computed once and stored. Its shape is :class:`posescore.contract.Comparison` (the response
model in OpenAPI); the video paths are never asked for (``include_paths`` off).

A comparison is queued work, like a job: ``POST /v1/comparisons`` stores it ``pending``, and
a worker (``api.jobs.worker_main``) claims it once both its jobs are finished
(:func:`compare_next`), computes it and stores the result or the reason it failed. A claim is
a lease of ``COMPARISON_LEASE``: the comparison of a worker that died is claimed again when
the lease ends, and failed after ``POSESCORE_MAX_ATTEMPTS`` claims.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Optional

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import aliased, sessionmaker

from api.db import Comparison, Job, utcnow
from api.settings import ApiSettings
from posescore.compare import compare_results
from posescore.config import Settings
from posescore.errors import PosescoreError
from posescore.model_file import LoadedModel

logger = logging.getLogger(__name__)

N_BOOT = 2000
"""Bootstrap resamples per session (severity uses at most 500, see ``compare_results``)."""
SEED = 0
"""Bootstrap seed: the same pair of scores always gives the same intervals."""
COMPARISON_LEASE = timedelta(minutes=5)
"""A running comparison claimed longer ago is claimed again (its worker died); the slowest
comparison seen took 42 s. Computing one twice is harmless: it is deterministic."""
FINISHED_JOBS = ("done", "failed")


def compare_scores(
    pre: Mapping[str, Any], post: Mapping[str, Any], model: LoadedModel, min_strides: int
) -> dict[str, Any]:
    """Compare two scores as the service reports it.

    Parameters
    ----------
    pre, post : mapping
        Scores in the JSON contract (``ScoreResult.to_dict()``, with ``strides``).
    model : LoadedModel
        The service's severity model (needed for the severity CI and MDC95).
    min_strides : int
        Fewest finite strides for a measure (``settings.quality.min_strides_per_measure``).

    Returns
    -------
    dict
        The JSON of :class:`posescore.contract.Comparison`.

    Raises
    ------
    posescore.errors.PosescoreError
        A score without per-stride values or of another schema (an older posescore).

    """
    return compare_results(
        pre, post, model=model, n_boot=N_BOOT, seed=SEED, min_strides=min_strides,
        include_paths=False,
    )


def claim_comparison(sm: sessionmaker) -> Optional[Comparison]:
    """Claim the oldest comparison whose jobs are finished; None if there is none.

    Pending comparisons and running ones whose lease ended are claimable; the claim is one
    atomic UPDATE with a fresh ``claim_token``, so two workers never hold one at once.
    """
    now, token = utcnow(), uuid.uuid4().hex
    pre, post = aliased(Job), aliased(Job)
    claimable = or_(
        Comparison.status == "pending",
        and_(Comparison.status == "running", Comparison.claimed_at < now - COMPARISON_LEASE),
    )
    oldest = (
        select(Comparison.id)
        .join(pre, pre.id == Comparison.pre_job_id)
        .join(post, post.id == Comparison.post_job_id)
        .where(claimable, pre.status.in_(FINISHED_JOBS), post.status.in_(FINISHED_JOBS))
        .order_by(Comparison.created_at)
        .limit(1)
    ).scalar_subquery()
    with sm.begin() as db:
        claimed = db.execute(
            update(Comparison)
            .where(Comparison.id == oldest, claimable)
            .values(status="running", claim_token=token, claimed_at=now,
                    attempts=Comparison.attempts + 1)
            .execution_options(synchronize_session=False)
        ).rowcount
    if not claimed:
        return None
    with sm() as db:
        return db.scalars(select(Comparison).where(Comparison.claim_token == token)).one()


def compare_next(
    sm: sessionmaker, settings: ApiSettings, score_settings: Settings, model: LoadedModel
) -> bool:
    """Claim one comparison, compute it and store its result or error; False if none waited.

    A comparison whose job failed, whose scores cannot be compared or that was claimed more
    than ``max_attempts`` times is stored as failed with the reason.
    """
    comparison = claim_comparison(sm)
    if comparison is None:
        return False
    with sm() as db:
        jobs = (db.get(Job, comparison.pre_job_id), db.get(Job, comparison.post_job_id))
    if None in jobs:  # erased meanwhile, and the comparison with it
        return True
    failed = [job.phase for job in jobs if job.status == "failed"]
    result, error = None, None
    if comparison.attempts > settings.max_attempts:
        error = f"computing the comparison stopped unexpectedly {settings.max_attempts} times"
    elif failed:
        error = f"the {' and '.join(failed)} video could not be scored"
    else:
        try:
            result = compare_scores(
                jobs[0].result, jobs[1].result, model,
                score_settings.quality.min_strides_per_measure,
            )
        except PosescoreError as exc:
            error = str(exc)
            logger.info("comparison %s not computed: %s", comparison.id, type(exc).__name__)
        except Exception:  # stored as a failure; the worker carries on
            error = "the comparison could not be computed (internal error, logged)"
            logger.exception("comparison %s crashed", comparison.id)
    with sm.begin() as db:
        stored = db.execute(
            update(Comparison)
            .where(Comparison.id == comparison.id,
                   Comparison.claim_token == comparison.claim_token)
            .values(status="failed" if result is None else "done", result=result, error=error,
                    finished_at=utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount
    if not stored:
        logger.warning("comparison %s was re-claimed meanwhile; this attempt is dropped",
                       comparison.id)
    return True
