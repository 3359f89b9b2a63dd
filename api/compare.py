"""The service's pre/post comparison: ``posescore.compare.compare_results`` and its shape.

The numbers are those of ``posescore compare`` (bootstrap 95% CIs over strides, Hedges' g,
MDC95 from the packaged test-retest table, a ``beyond_noise`` verdict per leg and feature),
computed with the service's model and a fixed seed, so a comparison is reproducible and is
computed once and stored. Its shape is :class:`posescore.contract.Comparison` (the response
model in OpenAPI); the video paths are never asked for (``include_paths`` off).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from posescore.compare import compare_results
from posescore.model import LoadedModel

N_BOOT = 2000
"""Bootstrap resamples per session (severity uses at most 500, see ``compare_results``)."""
SEED = 0
"""Bootstrap seed: the same pair of scores always gives the same intervals."""


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
