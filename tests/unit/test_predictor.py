"""The compiled model predicts what the scikit-learn model predicts, without scikit-learn."""

import io

import numpy as np
import pytest

from posescore.model import LegSeverityModel
from posescore.model_cache import cached_predictor, compiled_file
from posescore.model_file import DEFAULT_MODEL_PATH, file_sha256, load_model, save_model
from posescore.normative import load_reference
from posescore.predictor import CompiledSeverityModel, NotCompilable, compile_model

MEASURES = ["knee_flexion_range_deg", "stride_time_s", "foot_inversion_deg"]


def _rows(n, k, seed, spread=1.0):
    """Leg rows (n, 2k + 1) around the shipped reference's near-leg centres, 30 % missing."""
    rng = np.random.default_rng(seed)
    ref = load_reference()
    centre = np.array([[ref.centre["near"].get(m, 0.0), ref.scale["near"].get(m, 1.0)]
                       for m in MEASURES[:k]])
    own = centre[:, 0] + rng.normal(0, 4 * spread, (n, k)) * centre[:, 1]
    other = centre[:, 0] + rng.normal(0, spread, (n, k)) * centre[:, 1]
    X = np.column_stack([own, other, rng.choice([0.0, 0.5, 1.0], n)])
    X[:, :-1][rng.random((n, 2 * k)) < 0.3] = np.nan
    return X


def _assert_same_outputs(compiled, fitted, X):
    """Predictions, intervals, class probabilities and half-widths agree to 1e-9."""
    for method in ("predict", "predict_interval", "predict_proba", "halfwidths"):
        np.testing.assert_allclose(getattr(compiled, method)(X), getattr(fitted, method)(X),
                                   rtol=0, atol=1e-9, err_msg=method)


@pytest.fixture(scope="module")
def monotone():
    X = _rows(400, len(MEASURES), seed=1)
    worst = np.nan_to_num(np.abs(X[:, :len(MEASURES)] - np.nanmedian(X[:, :len(MEASURES)], 0))
                          / np.nanstd(X[:, :len(MEASURES)], 0)).max(axis=1)
    y = np.clip(np.nan_to_num(worst) - 0.5, 0, 4)
    groups = np.repeat(np.arange(200), 2)
    model = LegSeverityModel(family="monotone_boosting", n_estimators=40,
                             reference=load_reference().to_dict(), measures=MEASURES)
    return model.fit(X, y, groups)


def test_compiled_monotone_model_matches_scikit_learn_with_missing_values(monotone):
    compiled = compile_model(monotone)
    X = _rows(3000, len(MEASURES), seed=2, spread=2.0)
    X[::7, :-1] = np.nan  # rows with nothing measured at all
    _assert_same_outputs(compiled, monotone, X)
    np.testing.assert_allclose(compiled.abnormality(X), monotone.abnormality(X), atol=1e-12)
    assert np.ptp(compiled.predict(X)) > 1.0  # the rows reach different leaves
    assert compiled.get_params() == monotone.get_params()
    np.testing.assert_array_equal(compiled.support_upper_, monotone.support_upper_)


def test_compiled_form_survives_the_npz_round_trip(monotone):
    compiled = compile_model(monotone)
    buffer = io.BytesIO()
    np.savez(buffer, **compiled.to_arrays())
    buffer.seek(0)
    with np.load(buffer, allow_pickle=False) as arrays:
        again = CompiledSeverityModel.from_arrays(dict(arrays))
    X = _rows(500, len(MEASURES), seed=3)
    np.testing.assert_array_equal(again.predict_interval(X), compiled.predict_interval(X))
    np.testing.assert_array_equal(again.predict_proba(X), compiled.predict_proba(X))


def test_gradient_boosting_with_an_imputer_compiles_too():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(300, 5))
    X[:, -1] = rng.choice([0.0, 0.5, 1.0], 300)
    y = np.clip(1.5 * X[:, 0] + X[:, 1] + 2.0, 0, 4)
    X[:, :-1][rng.random((300, 4)) < 0.2] = np.nan
    fitted = LegSeverityModel(family="gradient_boosting", n_estimators=30).fit(
        X, y, np.repeat(np.arange(150), 2))
    compiled = compile_model(fitted)
    assert compiled.regressor.impute is not None
    test = rng.normal(size=(2000, 5))
    test[:, -1] = rng.choice([0.0, 0.5, 1.0], 2000)
    test[:, :-1][rng.random((2000, 4)) < 0.3] = np.nan
    _assert_same_outputs(compiled, fitted, test)


@pytest.mark.parametrize("family", ["random_forest", "ridge"])
def test_other_families_are_not_compiled_and_load_as_scikit_learn(tmp_path, family):
    rng = np.random.default_rng(5)
    X = rng.normal(size=(60, 3))
    y = np.clip(X[:, 0] + 2.0, 0, 4)
    fitted = LegSeverityModel(family=family, n_estimators=10).fit(X, y)
    with pytest.raises(NotCompilable):
        compile_model(fitted)
    save_model(fitted, tmp_path / "m.skops", {"measures": ["a"]})
    assert isinstance(load_model(tmp_path / "m.skops").estimator, LegSeverityModel)


def test_shipped_model_compiled_matches_scikit_learn():
    fitted = load_model(compiled=False).estimator
    compiled = load_model().estimator
    assert isinstance(fitted, LegSeverityModel)
    assert isinstance(compiled, CompiledSeverityModel)
    rng = np.random.default_rng(6)
    k = len(fitted.measures)
    X = np.column_stack([rng.normal(0, 15, (2000, 2 * k)), rng.choice([0.0, 0.5, 1.0], 2000)])
    X[:, :-1][rng.random((2000, 2 * k)) < 0.3] = np.nan
    _assert_same_outputs(compiled, fitted, X)


def test_the_compiled_cache_is_used_and_a_broken_one_rebuilt(monotone, tmp_path, monkeypatch):
    from posescore import model_file

    path = tmp_path / "m.skops"
    save_model(monotone, path, {"measures": MEASURES})
    sha256 = file_sha256(path)
    load_model(path)  # verified with skops, compiled, kept
    kept = compiled_file(sha256)
    assert kept.is_file() and sha256 in kept.name
    assert isinstance(cached_predictor(sha256), CompiledSeverityModel)

    def no_skops(path):
        raise AssertionError("the skops file was read although its compiled form is kept")

    with monkeypatch.context() as patch:
        patch.setattr(model_file, "_load_skops", no_skops)
        patch.setattr(model_file, "cached_estimator", lambda *a: no_skops(None))
        X = _rows(200, len(MEASURES), seed=7)
        np.testing.assert_allclose(load_model(path).estimator.predict(X), monotone.predict(X),
                                   atol=1e-9)
    kept.write_bytes(b"not an npz")
    assert cached_predictor(sha256) is None
    assert isinstance(load_model(path).estimator, CompiledSeverityModel)
    assert isinstance(cached_predictor(sha256), CompiledSeverityModel)  # rebuilt


def test_the_cache_key_names_the_file_the_compiler_and_posescore():
    from posescore import __version__
    from posescore.predictor import COMPILED_FORMAT

    sha256 = file_sha256(DEFAULT_MODEL_PATH)
    name = compiled_file(sha256).name
    assert name.startswith(sha256)
    assert f"compiled{COMPILED_FORMAT}" in name and f"posescore{__version__}" in name
