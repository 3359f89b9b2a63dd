import json

import numpy as np
import pytest

from posescore.errors import ModelError
from posescore.model import LegSeverityModel, cumulative_to_proba
from posescore.model_design import design_column_names, leg_rows, near_leg_indicator
from posescore.model_file import DEFAULT_MODEL_PATH, load_model, save_model


def _toy_data(n_videos=40, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(2 * n_videos, 3))
    y = np.clip(1.2 * X[:, 0] + 2.0, 0, 4)
    groups = np.repeat(np.arange(n_videos), 2)
    return X, y, groups


def test_leg_rows_mirror_sides():
    feats = {"left_a": 1.0, "right_a": 2.0, "left_b": None, "right_b": 5.0}
    rows = leg_rows(feats, "sagittal_left", ["a", "b"])
    assert rows.shape == (2, 5)
    np.testing.assert_array_equal(rows[0], [1.0, np.nan, 2.0, 5.0, 1.0])
    np.testing.assert_array_equal(rows[1], [2.0, 5.0, 1.0, np.nan, 0.0])
    assert design_column_names(["a", "b"]) == ["own_a", "own_b", "contra_a", "contra_b", "near_leg"]


@pytest.mark.parametrize(
    "view,side,expected",
    [("sagittal_left", "left", 1.0), ("sagittal_left", "right", 0.0), ("frontal", "left", 0.5)],
)
def test_near_leg_indicator(view, side, expected):
    assert near_leg_indicator(view, side) == expected


def test_model_learns_monotone_signal_and_outputs_valid_ranges():
    X, y, groups = _toy_data()
    model = LegSeverityModel(n_estimators=50).fit(X, y, groups)
    assert model.fit(X, y, groups) is model
    grid = np.column_stack([np.linspace(-2, 2, 9), np.zeros(9), np.zeros(9)])
    pred = model.predict(grid)
    assert np.all((pred >= 0) & (pred <= 4))
    assert pred[-1] - pred[0] > 2.5  # follows the signal
    proba = model.predict_proba(grid)
    assert proba.shape == (9, 5)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    interval = model.predict_interval(grid)
    assert np.all(interval[:, 0] <= pred) and np.all(pred <= interval[:, 1])
    assert 0 < model.interval_halfwidth_ < 2


def test_far_legs_get_their_own_wider_interval():
    """Mondrian split-conformal: a noisier leg class gets a wider interval than the others."""
    rng = np.random.default_rng(1)
    n = 240
    signal = rng.normal(size=n)
    leg_class = np.tile([1.0, 0.0], n // 2)  # near, far, near, far, ...
    noise = np.where(leg_class == 0.0, 0.8, 0.1) * rng.normal(size=n)
    X = np.column_stack([signal + noise, leg_class])
    y = np.clip(1.0 * signal + 2.0, 0, 4)
    model = LegSeverityModel(family="ridge").fit(X, y, np.repeat(np.arange(n // 2), 2))
    widths = model.interval_halfwidth_by_class_
    assert set(widths) == {"near", "far"}  # "other" has no rows
    assert widths["far"] > 2 * widths["near"]
    model.interval_halfwidth_by_cell_ = {}  # leg classes alone
    half = model.halfwidths(np.array([[0.0, 1.0], [0.0, 0.0], [0.0, 0.5]]))
    np.testing.assert_allclose(half, [widths["near"], widths["far"], model.interval_halfwidth_])
    pred, interval = model.predict(X), model.predict_interval(X)
    for value in (1.0, 0.0):
        rows = leg_class == value
        covered = (interval[rows, 0] <= y[rows]) & (y[rows] <= interval[rows, 1])
        assert covered.mean() >= 0.8
    assert np.all(interval[:, 0] <= pred) and np.all(pred <= interval[:, 1])


def test_legs_predicted_affected_get_their_own_wider_interval():
    """Mondrian split-conformal by severity band: errors that grow with severity give legs
    predicted affected a wider interval than legs predicted healthy, each keeping coverage."""
    rng = np.random.default_rng(2)
    n = 600
    y = np.where(rng.uniform(size=n) < 0.5, 0.0, rng.uniform(1.0, 4.0, size=n))
    noise = np.where(y > 0, 0.6, 0.05) * rng.normal(size=n)
    X = np.column_stack([y + noise, np.full(n, 0.5)])
    model = LegSeverityModel(family="ridge").fit(X, y, np.repeat(np.arange(n // 2), 2))
    cells = model.interval_halfwidth_by_cell_
    assert set(cells) == {"other:below", "other:above"}
    assert cells["other:above"] > 2 * cells["other:below"]
    pred = np.array([0.2, 0.5, 3.0])
    half = model.halfwidths(np.array([[0.0, 0.5]] * 3), pred)
    below, above = cells["other:below"], cells["other:above"]
    np.testing.assert_allclose(half, [below, above, above])
    test_y = np.where(rng.uniform(size=n) < 0.5, 0.0, rng.uniform(1.0, 4.0, size=n))
    test_X = np.column_stack([test_y + np.where(test_y > 0, 0.6, 0.05) * rng.normal(size=n),
                              np.full(n, 0.5)])
    interval = model.predict_interval(test_X)
    covered = (interval[:, 0] <= test_y) & (test_y <= interval[:, 1])
    for affected in (False, True):
        assert covered[(test_y > 0) == affected].mean() >= 0.85
    pooled = np.abs(model.predict(test_X) - test_y) <= model.interval_halfwidth_
    assert pooled[test_y > 0].mean() < covered[test_y > 0].mean()  # one width under-covers


def test_model_rejects_out_of_range_severity():
    X, y, _ = _toy_data()
    y[0] = 5.0
    with pytest.raises(ValueError, match=r"\[0, 4\]"):
        LegSeverityModel(n_estimators=5).fit(X, y)


def test_model_handles_missing_values():
    X, y, groups = _toy_data()
    X[::3, 1] = np.nan
    model = LegSeverityModel(n_estimators=20).fit(X, y, groups)
    assert np.isfinite(model.predict(np.full((1, 3), np.nan))).all()


@pytest.fixture
def saved_model(tmp_path):
    X, y, groups = _toy_data()
    model = LegSeverityModel(n_estimators=10).fit(X, y, groups)
    path = tmp_path / "m.skops"
    save_model(model, path, {"name": "toy", "measures": ["a"], "trained_on": "phantom"})
    return path, model, X


def test_save_load_round_trip(saved_model):
    path, model, X = saved_model
    loaded = load_model(path)
    np.testing.assert_allclose(loaded.estimator.predict(X), model.predict(X))
    assert loaded.card["sha256"] and loaded.measures == ["a"]


def test_tampered_model_file_is_refused(saved_model):
    path, _, _ = saved_model
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="does not match the SHA-256"):
        load_model(path)


def test_foreign_file_with_matching_card_is_refused(tmp_path):
    path = tmp_path / "evil.skops"
    path.write_bytes(b"this is not a skops archive")
    from posescore.model_file import card_path, file_sha256

    card_path(path).write_text(json.dumps({"sha256": file_sha256(path)}))
    with pytest.raises(ModelError, match="not a readable skops"):
        load_model(path)


def test_file_with_a_type_outside_the_trusted_list_is_refused_by_name(tmp_path):
    from sklearn.preprocessing import FunctionTransformer

    path = tmp_path / "foreign.skops"
    save_model(FunctionTransformer(func=np.sum), path, {"measures": ["a"]})
    with pytest.raises(ModelError, match=r"outside the trusted list: \['numpy.sum'\]"):
        load_model(path)


def test_a_verified_model_loads_from_the_cache_next_time(saved_model, monkeypatch):
    from posescore import model_file as model_module
    from posescore.model_cache import cache_file

    path, model, X = saved_model
    load_model(path)  # verified with skops, then cached
    cached = cache_file(model_module.file_sha256(path))
    assert cached.is_file()

    def no_skops(path):
        raise AssertionError("skops was used although the model is cached")

    monkeypatch.setattr(model_module, "_load_skops", no_skops)
    np.testing.assert_allclose(load_model(path).estimator.predict(X), model.predict(X))


class _Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        import pathlib

        return pathlib.Path.touch, (pathlib.Path(self.marker),)


def test_a_cached_model_naming_another_global_is_ignored_and_replaced(saved_model, tmp_path):
    import pickle

    from posescore.model_cache import cache_file
    from posescore.model_file import file_sha256

    path, model, X = saved_model
    cached = cache_file(file_sha256(path))
    cached.parent.mkdir(parents=True, exist_ok=True)
    marker = tmp_path / "ran"
    cached.write_bytes(pickle.dumps(_Payload(str(marker))))
    loaded = load_model(path)  # from the skops file
    assert not marker.exists()  # nothing from the cached file ran
    np.testing.assert_allclose(loaded.estimator.predict(X), model.predict(X))
    with open(cached, "rb") as fh:
        assert isinstance(pickle.load(fh), type(model))  # replaced by the verified estimator


def test_missing_model_and_card(tmp_path, saved_model):
    with pytest.raises(ModelError, match="not found"):
        load_model(tmp_path / "nope.skops")
    path, _, _ = saved_model
    path.with_suffix(".card.json").unlink()
    with pytest.raises(ModelError, match="card not found"):
        load_model(path)


@pytest.mark.parametrize("family", ["random_forest", "gradient_boosting", "ridge"])
def test_every_family_fits_saves_and_loads(tmp_path, family):
    X, y, groups = _toy_data(60)
    model = LegSeverityModel(family=family, n_estimators=30).fit(X, y, groups)
    assert np.corrcoef(model.predict(X), y)[0, 1] > 0.8
    path = tmp_path / f"{family}.skops"
    save_model(model, path, {"measures": ["a"]})
    loaded = load_model(path)  # every type it holds is on the trusted list
    np.testing.assert_allclose(loaded.estimator.predict(X), model.predict(X))


def test_unknown_family_is_refused():
    X, y, _ = _toy_data()
    with pytest.raises(ValueError, match="unknown model family"):
        LegSeverityModel(family="magic").fit(X, y)


def test_affected_side_needs_severity_and_an_interval_excluding_zero():
    from posescore.score import LegScore, affected_side_from

    def leg(sev, lo):
        return LegScore(sev, round(sev), [lo, min(4.0, sev + 1)], [0.2] * 5)

    assert affected_side_from({"left": leg(2.0, 1.0), "right": leg(0.9, 0.0)}, 0.5) == "left"
    assert affected_side_from({"left": leg(2.0, 1.0), "right": leg(1.5, 0.4)}, 0.5) == "both"
    assert affected_side_from({"left": leg(0.3, 0.0), "right": leg(0.4, 0.0)}, 0.5) == "none"
    unscorable = LegScore(None, None, None, None)
    assert affected_side_from({"left": unscorable, "right": leg(2.0, 1.0)}, 0.5) is None


def _zero_heavy_data(n_videos=80, seed=2):
    """Half the legs healthy (severity 0), the rest 1-4 with a noisy signal."""
    rng = np.random.default_rng(seed)
    y = np.where(rng.random(2 * n_videos) < 0.5, 0.0, rng.uniform(1, 4, 2 * n_videos))
    X = np.column_stack([y + rng.normal(0, 0.8, y.size), rng.normal(size=y.size)])
    return X, y, np.repeat(np.arange(n_videos), 2)


def test_cumulative_to_proba_is_a_distribution():
    above = np.array([[0.9, 0.6, 0.7, 0.1], [0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0]])
    proba = cumulative_to_proba(above)
    assert proba.shape == (3, 5) and np.all(proba >= 0)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(proba[0], [0.1, 0.3, 0.0, 0.5, 0.1])  # crossing 0.6 < 0.7 fixed
    np.testing.assert_allclose(proba[1], [1, 0, 0, 0, 0])
    np.testing.assert_allclose(proba[2], [0, 0, 0, 0, 1])


def test_ordinal_part_pulls_healthy_legs_towards_zero():
    X, y, groups = _zero_heavy_data()
    healthy = y == 0
    regression = LegSeverityModel(family="ridge", ordinal_weight=0.0).fit(X, y, groups)
    blended = LegSeverityModel(family="ridge").fit(X, y, groups)
    ordinal = LegSeverityModel(family="ridge", ordinal_weight=1.0).fit(X, y, groups)
    means = [m.predict(X)[healthy].mean() for m in (regression, blended, ordinal)]
    assert means[0] > means[1] > means[2]
    # the ordinal model's expected class is the expectation of its class probabilities
    proba = ordinal.predict_proba(X)
    np.testing.assert_allclose(proba @ np.arange(5), ordinal.predict(X), atol=1e-9)


def test_ordinal_weight_must_be_a_fraction():
    X, y, groups = _toy_data()
    with pytest.raises(ValueError, match="ordinal_weight"):
        LegSeverityModel(ordinal_weight=1.5).fit(X, y, groups)


def test_threshold_without_examples_on_both_sides():
    """Severities never reach 2.5: those ordinal parts are constant 0, probabilities too."""
    X, y, groups = _toy_data()
    y = np.clip(y, 0, 2.4)
    model = LegSeverityModel(family="ridge", ordinal_weight=1.0).fit(X, y, groups)
    assert model.ordinal_[2:] == [0.0, 0.0]
    proba = model.predict_proba(X)
    assert np.all(proba[:, 3:] == 0) and np.all(model.predict(X) <= 2.0 + 1e-9)


def test_model_saved_before_the_ordinal_part_predicts_as_before(tmp_path):
    """A 0.1 model (regressor + multinomial classifier, no ordinal_weight) keeps its output."""
    X, y, groups = _toy_data()
    model = LegSeverityModel(family="ridge").fit(X, y, groups)
    old = LegSeverityModel(family="ridge").fit(X, y, groups)
    old.classifier_ = old._pipeline("classifier").fit(X, np.rint(y).astype(int))
    del old.ordinal_, old.ordinal_weight
    path = tmp_path / "old.skops"
    save_model(old, path, {"measures": ["a"]})
    loaded = load_model(path).estimator
    assert loaded.ordinal_weight == 0.0 and loaded.get_params()["ordinal_weight"] == 0.0
    np.testing.assert_allclose(loaded.predict(X), np.clip(model.regressor_.predict(X), 0, 4))
    proba = loaded.predict_proba(X)
    np.testing.assert_allclose(proba[:, loaded.classifier_.classes_],
                               old.classifier_.predict_proba(X))


@pytest.mark.skipif(not DEFAULT_MODEL_PATH.is_file(), reason="no shipped model in this checkout")
def test_shipped_model_still_loads_and_scores():
    loaded = load_model(DEFAULT_MODEL_PATH)
    n = len(design_column_names(loaded.measures))
    X = np.full((2, n), np.nan)
    X[:, -1] = [1.0, 0.0]
    pred = loaded.estimator.predict(X)
    assert np.all((pred >= 0) & (pred <= 4))
    np.testing.assert_allclose(loaded.estimator.predict_proba(X).sum(axis=1), 1.0)
    assert loaded.estimator.predict_interval(X).shape == (2, 2)


def test_ordinal_classes_match_the_evaluation_rounding():
    """A severity of exactly 0.5 is class 1 for the model as for ``evaluation``."""
    from posescore.evaluation import _round_class

    X, _, groups = _toy_data()
    y = np.where(X[:, 0] > 0, 0.5, 0.0)
    model = LegSeverityModel(family="ridge", ordinal_weight=1.0).fit(X, y, groups)
    assert not isinstance(model.ordinal_[0], float) and model.ordinal_[1:] == [0.0, 0.0, 0.0]
    assert _round_class(np.array([0.5]))[0] == 1
    assert model.predict_proba(X[X[:, 0] > 1.5])[:, 1].min() > 0.5
