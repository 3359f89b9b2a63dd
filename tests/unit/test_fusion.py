"""Fusion of a leg's severity over a visit's clips."""

import math

import pytest

from posescore.fusion import ClipReading, fuse_leg


def test_identical_clips_keep_their_interval_when_errors_are_fully_correlated():
    readings = [ClipReading("a", 2.0, (1.0, 3.0)), ClipReading("b", 2.0, (1.0, 3.0))]
    fused = fuse_leg(readings, rho=1.0)
    assert fused.severity == pytest.approx(2.0)
    assert fused.interval == pytest.approx((1.0, 3.0), abs=1e-3)
    assert fused.weights == {"a": 0.5, "b": 0.5}


def test_independent_clips_narrow_the_interval_by_root_two():
    readings = [ClipReading("a", 2.0, (1.0, 3.0)), ClipReading("b", 2.0, (1.0, 3.0))]
    lo, hi = fuse_leg(readings, rho=0.0).interval
    assert (hi - lo) == pytest.approx(2.0 / math.sqrt(2), abs=2e-3)


def test_the_narrow_clip_outweighs_the_wide_one():
    near = ClipReading("near", 3.0, (2.5, 3.5))
    far = ClipReading("far", 0.5, (0.0, 3.5))
    fused = fuse_leg([near, far], rho=0.5)
    assert fused.weights["near"] > 0.9
    assert 2.7 < fused.severity < 3.0
    assert fused.interval[0] < fused.severity < fused.interval[1]


def test_clips_that_cannot_read_the_leg_are_left_out():
    fused = fuse_leg([ClipReading("ok", 1.0, (0.5, 1.5)), ClipReading("bad", None, None)], 0.5)
    assert fused.weights == {"ok": 1.0}
    assert fused.severity == pytest.approx(1.0)


def test_a_leg_no_clip_can_read_has_no_number():
    fused = fuse_leg([ClipReading("bad", None, None)], 0.5)
    assert fused.severity is None and fused.interval is None and fused.weights == {}


def test_rho_outside_zero_one_is_refused():
    with pytest.raises(ValueError, match="rho"):
        fuse_leg([ClipReading("a", 1.0, (0.0, 2.0))], 1.5)


def test_a_far_leg_read_near_zero_with_a_high_upper_bound_weighs_little():
    near = ClipReading("near", 2.8, (1.5, 4.0))
    far = ClipReading("far", 0.15, (0.0, 3.0))
    fused = fuse_leg([near, far], rho=0.56)
    assert fused.weights["near"] > 0.75
    assert fused.severity > 2.2


def test_a_healthy_leg_read_near_zero_keeps_zero_in_its_interval():
    # each clip's interval is cut at 0, so its short lower side says nothing of its error
    fused = fuse_leg([ClipReading("a", 0.1, (0.0, 0.7)), ClipReading("b", 0.2, (0.0, 1.0))], 0.56)
    assert fused.interval[0] == 0.0 < fused.severity < fused.interval[1]
