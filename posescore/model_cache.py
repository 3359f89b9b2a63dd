"""A verified model kept in ``$POSESCORE_CACHE/models``, so that the next process loads it quickly.

Loading the shipped model with skops takes about a second of CPU: importing skops imports every
scikit-learn module (and dask, and pytest, with them) to list the estimators it trusts, then
audits and rebuilds about 5,000 arrays; importing scikit-learn alone takes about a second.
Once ``model_file.load_model`` has verified a file (its SHA-256 against its card, every type
against ``model_file.TRUSTED_TYPES``), two forms are kept under that SHA-256:

- the model compiled to numpy arrays (``predictor.CompiledSeverityModel``) as a ``.npz`` read
  with ``allow_pickle=False``: no code at all, and no scikit-learn import. Its name holds
  ``predictor.COMPILED_FORMAT`` and the posescore version, so a new compiler rebuilds it;
- the estimator as a pickle, for families that do not compile and for ``compiled=False``,
  unpickled with ``find_class`` restricted to ``CACHE_GLOBALS`` (the "Restricting Globals"
  recipe of the ``pickle`` documentation), named by the library versions.

A cached file naming any other global, or unreadable, is ignored and the skops file loaded
again; an estimator whose pickle needs another global is not cached. The cache is trusted as
the pose cache beside it is: whoever can write there can change scores, but cannot make
posescore call anything outside the list.
"""

from __future__ import annotations

import io
import logging
import os
import pickle
import sys
from pathlib import Path
from typing import Any, Optional

import numpy as np

from posescore import __version__
from posescore.predictor import COMPILED_FORMAT, CompiledSeverityModel

logger = logging.getLogger(__name__)

CACHE_GLOBALS = frozenset(
    {
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy.core.numeric", "_frombuffer"),
        ("numpy.random._pickle", "__bit_generator_ctor"),
        ("numpy.random._pickle", "__generator_ctor"),
        ("posescore.abnormality", "AbnormalityTransform"),
        ("posescore.model", "LegSeverityModel"),
        ("sklearn._loss._loss", "CyHalfBinomialLoss"),
        ("sklearn._loss._loss", "CyHalfSquaredError"),
        ("sklearn._loss.link", "IdentityLink"),
        ("sklearn._loss.link", "Interval"),
        ("sklearn._loss.link", "LogitLink"),
        ("sklearn._loss.loss", "HalfBinomialLoss"),
        ("sklearn._loss.loss", "HalfSquaredError"),
        ("sklearn.ensemble._forest", "RandomForestClassifier"),
        ("sklearn.ensemble._forest", "RandomForestRegressor"),
        ("sklearn.ensemble._hist_gradient_boosting.binning", "_BinMapper"),
        ("sklearn.ensemble._hist_gradient_boosting.gradient_boosting",
         "HistGradientBoostingClassifier"),
        ("sklearn.ensemble._hist_gradient_boosting.gradient_boosting",
         "HistGradientBoostingRegressor"),
        ("sklearn.ensemble._hist_gradient_boosting.predictor", "TreePredictor"),
        ("sklearn.impute._base", "SimpleImputer"),
        ("sklearn.linear_model._logistic", "LogisticRegression"),
        ("sklearn.linear_model._ridge", "Ridge"),
        ("sklearn.pipeline", "Pipeline"),
        ("sklearn.preprocessing._data", "StandardScaler"),
        ("sklearn.preprocessing._label", "LabelEncoder"),
        ("sklearn.tree._classes", "DecisionTreeClassifier"),
        ("sklearn.tree._classes", "DecisionTreeRegressor"),
        ("sklearn.tree._tree", "Tree"),
    }
)
"""(module, name) pairs a cached model may name (reviewed): the classes the model families of
``LegSeverityModel`` hold (those of ``TRUSTED_TYPES`` and the scikit-learn estimators, losses
and links inside them) and numpy's array, dtype, scalar and random-generator constructors."""


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that resolves only the globals of ``CACHE_GLOBALS``."""

    def find_class(self, module: str, name: str) -> Any:
        """The global ``module.name`` if listed; ``pickle.UnpicklingError`` otherwise."""
        if (module, name) not in CACHE_GLOBALS:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a cached model")
        return super().find_class(module, name)


def models_dir() -> Path:
    """``$POSESCORE_CACHE/models`` (default ``~/.cache/posescore/models``)."""
    root = os.environ.get("POSESCORE_CACHE") or Path.home() / ".cache" / "posescore"
    return Path(root) / "models"


def cache_file(sha256: str) -> Path:
    """Where the estimator of the model file with this SHA-256 is pickled.

    The name holds the library versions (scikit-learn's is imported for it).
    """
    import sklearn

    python = "{}.{}".format(*sys.version_info[:2])
    versions = f"py{python}-numpy{np.__version__}-sklearn{sklearn.__version__}-{__version__}"
    return models_dir() / f"{sha256}-{versions}.pickle"


def compiled_file(sha256: str) -> Path:
    """Where the compiled form of the model file with this SHA-256 is kept."""
    return models_dir() / f"{sha256}-compiled{COMPILED_FORMAT}-posescore{__version__}.npz"


def cached_predictor(sha256: str) -> Optional[CompiledSeverityModel]:
    """The compiled model of the model file with this SHA-256, or None (not kept, unusable)."""
    path = compiled_file(sha256)
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as arrays:
            return CompiledSeverityModel.from_arrays(dict(arrays))
    except Exception as exc:  # any failure: the model file is compiled again
        logger.warning("ignoring the compiled model %s (%s: %s)", path.name,
                       type(exc).__name__, exc)
        return None


def keep_predictor(sha256: str, predictor: CompiledSeverityModel) -> None:
    """Keep a compiled model of a verified file; best effort."""
    data = io.BytesIO()
    np.savez(data, **predictor.to_arrays())
    _write(compiled_file(sha256), data.getvalue())


def cached_estimator(sha256: str, expected: type) -> Optional[Any]:
    """The cached estimator of the model file with this SHA-256, or None (not cached, unusable).

    ``expected`` is the estimator's class; anything else in the cache counts as unusable.
    """
    path = cache_file(sha256)
    if not path.is_file():
        return None
    try:
        with open(path, "rb") as fh:
            estimator = RestrictedUnpickler(fh).load()
    except Exception as exc:  # any failure: the skops file is loaded instead
        logger.warning("ignoring the cached model %s (%s: %s)", path.name, type(exc).__name__,
                       exc)
        return None
    return estimator if isinstance(estimator, expected) else None


def keep_estimator(sha256: str, estimator: Any) -> None:
    """Cache a verified estimator (when its pickle needs only ``CACHE_GLOBALS``); best effort."""
    data = pickle.dumps(estimator, protocol=5)
    try:
        RestrictedUnpickler(io.BytesIO(data)).load()
    except pickle.UnpicklingError as exc:
        logger.info("model not cached: %s", exc)
        return
    _write(cache_file(sha256), data)


def _write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file (never a half-written cache)."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
        tmp.replace(path)
    except OSError as exc:
        logger.info("could not cache the model (%s)", type(exc).__name__)
        tmp.unlink(missing_ok=True)
