import dataclasses

import numpy as np
import pytest
from synthetic_walker import (
    LEG_PX,
    frontal_walker,
    legs_misnamed,
    sagittal_walker,
    with_perspective,
)

from posescore import constants as c
from posescore.config import GaitConfig, Settings, SignalConfig
from posescore.gait import detect_gait_events, gait_summary
from posescore.geometry import estimate_leg_length_px
from posescore.score import measure_pose
from posescore.signals import (
    Trajectories,
    clean_pose,
    detect_view,
    even_frame_times,
    evenly_timed,
    exchange_sides,
    fill_gaps,
    leg_swap_frames,
    lowpass_runs,
    near_leg_excess,
    resample_frames,
    swap_legs,
    walking_direction,
)
from posescore.types import PoseSequence

CFG = SignalConfig()


def _pose(lm: np.ndarray, fps: float = 30.0) -> PoseSequence:
    return PoseSequence(
        landmarks=lm, timestamps_s=np.arange(len(lm)) / fps, fps=fps, width=640, height=480
    )


# --------------------------------------------------------------------------- gap filling


def test_fill_gaps_short_interior_gap_is_linear():
    t = np.arange(10) / 10.0
    y = np.arange(10, dtype=float) * 2.0
    y[3:6] = np.nan
    out = fill_gaps(y[:, None], t, max_gap_frames=3)[:, 0]
    np.testing.assert_allclose(out, np.arange(10) * 2.0)


def test_fill_gaps_long_gap_and_edges_stay_nan():
    t = np.arange(12) / 10.0
    y = np.ones(12)
    y[0] = np.nan
    y[4:9] = np.nan  # 5 frames
    y[11] = np.nan
    out = fill_gaps(y[:, None], t, max_gap_frames=4)[:, 0]
    assert np.isnan(out[0]) and np.isnan(out[11])
    assert np.isnan(out[4:9]).all()  # never carried forward
    np.testing.assert_array_equal(out[[1, 2, 3, 9, 10]], 1.0)


def test_fill_gaps_does_not_modify_input():
    y = np.array([1.0, np.nan, 3.0])
    fill_gaps(y[:, None], np.arange(3.0), 2)
    assert np.isnan(y[1])


def test_clean_pose_masks_low_visibility_and_fills_by_max_gap():
    pose, _ = sagittal_walker(duration_s=3.0)
    lm = pose.landmarks.copy()
    knee = c.LEFT_KNEE
    lm[10:13, knee, 3] = 0.1  # 3 frames = 0.1 s: filled
    lm[40:55, knee, 3] = 0.1  # 15 frames = 0.5 s: stays NaN
    traj = clean_pose(_pose(lm), CFG)
    assert traj.valid[10:13, knee].all()
    assert not traj.valid[40:55, knee].any()
    assert np.isnan(traj.xy_px[40:55, knee]).all()
    # the filled frames lie close to the true (smooth) trajectory
    np.testing.assert_allclose(traj.xy_px[10:13, knee], pose.landmarks[10:13, knee, :2], atol=3.0)


# --------------------------------------------------------------------------- filtering


def test_lowpass_keeps_slow_signal_and_removes_fast_noise():
    fps = 60.0
    t = np.arange(600) / fps
    slow = 50 * np.sin(2 * np.pi * 1.0 * t)
    fast = 5 * np.sin(2 * np.pi * 20.0 * t)
    x = np.stack([slow + fast, slow], axis=1)[:, None, :]  # (T, 1, 2)
    out = lowpass_runs(x, fps, cutoff_hz=6.0, order=4)
    inner = slice(60, -60)
    np.testing.assert_allclose(out[inner, 0, 0], slow[inner], atol=0.5)
    np.testing.assert_allclose(out[inner, 0, 1], slow[inner], atol=0.5)


def test_lowpass_constant_signal_unchanged_and_short_runs_untouched():
    x = np.full((100, 1, 2), 7.0)
    x[10, 0, :] = np.nan  # splits into runs of 10 and 89 frames
    x[:5, 0, 0] = [1.0, 9.0, 1.0, 9.0, 1.0]
    out = lowpass_runs(x, fps=30.0, cutoff_hz=8.0, order=4)
    np.testing.assert_array_equal(out[:10], x[:10])  # 10 <= padlen 15: unfiltered
    np.testing.assert_allclose(out[11:], 7.0)
    assert np.isnan(out[10]).all()


def test_lowpass_cutoff_above_nyquist_is_clamped():
    x = np.random.default_rng(0).normal(size=(50, 1, 2))
    out = lowpass_runs(x, fps=10.0, cutoff_hz=20.0, order=2)
    assert np.isfinite(out).all()


# --------------------------------------------------------------------------- scale and view


def test_leg_length_of_synthetic_walker():
    pose, _ = sagittal_walker()
    traj = clean_pose(pose, CFG)
    assert traj.leg_length_px == pytest.approx(LEG_PX, rel=0.01)


def test_leg_length_ignores_nan_side():
    pose, _ = sagittal_walker(duration_s=2.0)
    xy = pose.landmarks[:, :, :2].copy()
    xy[:, c.RIGHT_KNEE] = np.nan
    assert estimate_leg_length_px(xy) == pytest.approx(LEG_PX, rel=0.01)
    xy[:, c.LEFT_KNEE] = np.nan
    assert np.isnan(estimate_leg_length_px(xy))


def test_trajectories_helpers():
    pose, _ = sagittal_walker(duration_s=2.0)
    traj = clean_pose(pose, CFG)
    assert isinstance(traj, Trajectories)
    assert traj.xy_px.shape == (60, 33, 2) and traj.valid.shape == (60, 33)
    np.testing.assert_array_equal(traj.point("right", "toe"), traj.xy_px[:, c.RIGHT_FOOT_INDEX])
    norm = traj.xy_leglen
    pelvis = 0.5 * (norm[:, c.LEFT_HIP] + norm[:, c.RIGHT_HIP])
    np.testing.assert_allclose(pelvis, 0.0, atol=1e-9)
    ankle_drop = norm[:, c.LEFT_ANKLE, 1]  # y down: ankle below pelvis
    assert (ankle_drop > 0.7).all() and (ankle_drop < 1.01).all()


@pytest.mark.parametrize("near", ["left", "right"])
@pytest.mark.parametrize("direction", [1, -1])
def test_detect_view_sagittal_near_side_from_z(near, direction):
    pose, _ = sagittal_walker(duration_s=2.0, near=near, direction=direction)
    assert clean_pose(pose, CFG).view == f"sagittal_{near}"


def test_detect_view_sagittal_falls_back_to_visibility():
    pose, _ = sagittal_walker(duration_s=2.0, near="left")
    lm = pose.landmarks
    z = np.full(lm.shape[:2], np.nan)
    vis = lm[:, :, 3].copy()
    vis[:, [c.RIGHT_HIP, c.RIGHT_KNEE, c.RIGHT_ANKLE]] = 0.6
    assert detect_view(lm[:, :, :2], z=z, visibility=vis) == "sagittal_left"
    assert detect_view(lm[:, :, :2]) == "oblique"  # no depth, no visibility: undecided


@pytest.mark.parametrize("facing, view", [(True, "frontal"), (False, "posterior")])
def test_detect_view_frontal_and_posterior(facing, view):
    pose, _ = frontal_walker(duration_s=2.0, facing_camera=facing)
    assert clean_pose(pose, CFG).view == view


def test_detect_view_oblique_between_thresholds():
    pose, _ = frontal_walker(duration_s=2.0)
    xy = pose.landmarks[:, :, :2].copy()
    pelvis_x = xy[:, [c.LEFT_HIP, c.RIGHT_HIP], 0].mean(axis=1, keepdims=True)
    xy[:, :, 0] = pelvis_x + 0.45 * (xy[:, :, 0] - pelvis_x)  # widths ratio 1.0 -> 0.45
    assert detect_view(xy) == "oblique"


def test_walking_direction_and_mirror():
    pose, _ = sagittal_walker(duration_s=2.0)
    xy = pose.landmarks[:, :, :2].copy()
    assert walking_direction(xy) == 1
    xy[:, :, 0] = -xy[:, :, 0]
    assert walking_direction(xy) == -1
    assert walking_direction(np.full_like(xy, np.nan)) == 0


# --------------------------------------------------------------------------- degenerate input


def test_too_short_sequence():
    pose, _ = sagittal_walker(duration_s=0.1)  # T = 3
    traj = clean_pose(pose, CFG)
    assert traj.n_frames == 3
    assert traj.leg_length_px == pytest.approx(LEG_PX, rel=0.05)


def test_all_nan_input():
    traj = clean_pose(_pose(np.full((40, 33, 4), np.nan)), CFG)
    assert not traj.valid.any()
    assert np.isnan(traj.leg_length_px)
    assert traj.view == "oblique"
    assert traj.direction == 0


def test_constant_pose():
    pose, _ = sagittal_walker(duration_s=2.0)
    lm = np.repeat(pose.landmarks[:1], 60, axis=0)
    traj = clean_pose(_pose(lm), CFG)
    np.testing.assert_allclose(traj.xy_px, lm[:, :, :2], atol=1e-9)


def test_despike_removes_short_glitch_and_keeps_waveform():
    from posescore.signals import despike_runs

    t = np.arange(120) / 30.0
    clean = 50 * np.sin(2 * np.pi * 0.9 * t)
    glitchy = clean.copy()
    glitchy[40:42] += 60.0  # a landmark thrown onto the other leg for two frames
    glitchy[90] = np.nan  # a gap splits the run; both runs are handled
    out = despike_runs(glitchy[:, None], window_frames=5, min_deviation=20.0)[:, 0]
    assert np.nanmax(np.abs(out[35:47] - clean[35:47])) < 3.0
    finite = np.isfinite(glitchy)
    finite[40:42] = False
    np.testing.assert_allclose(out[finite], clean[finite], atol=1e-9)  # the rest untouched
    assert np.isnan(out[90])


def test_despike_columns_with_different_gaps_match_one_at_a_time():
    from posescore.signals import despike_runs

    rng = np.random.default_rng(3)
    x = np.cumsum(rng.normal(0, 2, (200, 2, 3)), axis=0)
    x[rng.integers(0, 200, 12), rng.integers(0, 2, 12), rng.integers(0, 3, 12)] += 80.0
    x[50:53, 0, :] = np.nan  # landmark 0 has a gap, landmark 1 none
    x[120, 1, 2] = np.nan
    together = despike_runs(x, window_frames=7, min_deviation=10.0)
    for k in range(2):
        for d in range(3):
            alone = despike_runs(x[:, k, d].copy()[:, None], window_frames=7, min_deviation=10.0)
            np.testing.assert_array_equal(together[:, k, d], alone[:, 0])
    assert not np.array_equal(together, x, equal_nan=True)  # spikes were replaced


@pytest.mark.parametrize("spikes", [5, 2000])  # few candidates, and so many that it falls back
def test_despike_matches_the_two_filter_hampel_definition(spikes):
    from scipy.ndimage import median_filter

    from posescore.signals import despike_runs

    rng = np.random.default_rng(spikes)
    x = np.cumsum(rng.normal(0, 2, (300, 8)), axis=0)
    x[rng.integers(0, 300, spikes), rng.integers(0, 8, spikes)] += rng.normal(0, 60, spikes)
    median = median_filter(x, size=(9, 1), mode="nearest")
    deviation = np.abs(x - median)
    mad = median_filter(deviation, size=(9, 1), mode="nearest")
    spike = (deviation > 3.0 * 1.4826 * mad) & (deviation > 10.0)
    expected = np.where(spike, median, x)
    np.testing.assert_array_equal(despike_runs(x, window_frames=9, min_deviation=10.0), expected)
    assert spike.any()


def test_dominant_period_frames():
    from posescore.gait import dominant_period_frames

    x = np.sin(2 * np.pi * np.arange(300) / 36.0) + 0.3 * np.sin(2 * np.pi * np.arange(300) / 18.0)
    assert dominant_period_frames(x, 15, 120) == pytest.approx(36, abs=1)
    assert dominant_period_frames(np.zeros(300), 15, 120) is None
    assert dominant_period_frames(np.full(5, np.nan), 15, 120) is None


# --------------------------------------------------------------------------- leg label swaps


def _with_swapped_runs(lm: np.ndarray, runs: list[tuple[int, int]]) -> np.ndarray:
    frames = np.zeros(len(lm), dtype=bool)
    for start, stop in runs:
        frames[start:stop] = True
    return swap_legs(lm, frames)


def _legs_apart(lm: np.ndarray, min_leglen: float = 0.1) -> np.ndarray:
    gap = np.linalg.norm(lm[:, c.LEFT_ANKLE, :2] - lm[:, c.RIGHT_ANKLE, :2], axis=1)
    return gap > min_leglen * LEG_PX


@pytest.mark.parametrize("fps", [30.0, 60.0])
def test_leg_swap_frames_undoes_short_label_exchanges(fps):
    pose, _ = sagittal_walker(fps=fps, duration_s=6.0)
    lm = pose.landmarks
    runs = [(int(1.3 * fps), int(1.5 * fps)), (int(3.0 * fps), int(3.35 * fps))]
    swapped = _with_swapped_runs(lm, runs)
    found = leg_swap_frames(swapped[:, :, :2], fps)
    assert 0.3 * fps <= found.sum() <= 0.6 * fps
    restored = swap_legs(swapped, found)
    apart = _legs_apart(lm)
    np.testing.assert_allclose(restored[apart], lm[apart])
    assert not np.allclose(swapped[apart], lm[apart])  # the test exchanged legs apart


def test_leg_swap_frames_leaves_a_clean_walk_alone():
    for pose in (sagittal_walker()[0], frontal_walker()[0]):
        assert not leg_swap_frames(pose.landmarks[:, :, :2], pose.fps).any()


def test_leg_swap_frames_with_nan_gaps_short_and_degenerate_input():
    pose, _ = sagittal_walker(duration_s=6.0)
    lm = pose.landmarks.copy()
    swapped = _with_swapped_runs(lm, [(40, 46)])
    swapped[20:25] = np.nan  # a gap elsewhere
    swapped[90:, c.LEFT_HEEL] = np.nan  # one landmark lost for good
    found = leg_swap_frames(swapped[:, :, :2], pose.fps)
    apart = _legs_apart(lm)
    assert found[40:46][apart[40:46]].all()
    assert not found[:38].any() and not found[48:].any()
    assert not leg_swap_frames(lm[:1, :, :2], 30.0).any()
    assert not leg_swap_frames(np.full((50, c.N_LANDMARKS, 2), np.nan), 30.0).any()
    constant = np.repeat(lm[:1, :, :2], 50, axis=0)
    assert not leg_swap_frames(constant, 30.0).any()


def test_clean_pose_corrects_leg_swaps_unless_disabled():
    pose, _ = sagittal_walker(duration_s=6.0)
    swapped = _pose(_with_swapped_runs(pose.landmarks, [(40, 46), (100, 108)]))
    ref = clean_pose(pose, CFG).point("left", "ankle")
    fixed = clean_pose(swapped, CFG).point("left", "ankle")
    raw = clean_pose(swapped, SignalConfig(correct_leg_swaps=False)).point("left", "ankle")
    assert np.nanmax(np.abs(fixed - ref)) < 0.02 * LEG_PX
    assert np.nanmax(np.abs(raw - ref)) > 0.1 * LEG_PX


# --- uneven frame times (variable frame rate, pauses) -------------------------------------


def test_even_frame_times_leaves_even_frames_alone():
    t = np.arange(90) / 30.0 + 0.002 * np.sin(np.arange(90))  # 2 ms jitter
    assert even_frame_times(t, 30.0, 0.25) is None
    assert even_frame_times(t[:2], 30.0, 0.25) is None


def test_even_frame_times_for_uneven_frames_and_a_wrong_declared_rate():
    t = np.r_[np.arange(60) / 60.0, 1.0 + np.arange(1, 31) / 30.0]  # 60 then 30 frames/s
    grid = even_frame_times(t, 45.0, 0.25)
    assert grid is not None and grid[0] == 0.0 and grid[-1] == pytest.approx(2.0)
    assert np.diff(grid) == pytest.approx(1 / 60.0)  # the rate of most frames
    even_at_25 = np.arange(50) / 25.0
    assert even_frame_times(even_at_25, 30.0, 0.25) == pytest.approx(even_at_25)  # fps said 30


def test_even_frame_times_keeps_a_short_empty_stretch_for_any_pause():
    t = np.r_[np.arange(60), 1000 * 30 + np.arange(60)] / 30.0  # a 1000 s jump in the stamps
    grid = even_frame_times(t, 30.0, 0.25)
    assert grid.size == 120 + 8  # floor(0.25 s x 30) + 1 rows stand for the pause
    assert np.all(np.diff(grid) > 0) and grid[-1] == t[-1]


def test_resample_frames_interpolates_and_leaves_pauses_empty():
    t = np.array([0.0, 0.1, 0.2, 2.2, 2.3])  # paused 2 s after 0.2 s
    values = np.array([[0.0, 10.0], [1.0, 11.0], [2.0, np.nan], [3.0, 13.0], [4.0, 14.0]])
    out = resample_frames(values, t, np.array([0.05, 0.1, 0.15, 1.0, 2.2, 2.25, 2.3]), 0.25)
    np.testing.assert_allclose(out[:, 0], [0.5, 1.0, 1.5, np.nan, 3.0, 3.5, 4.0])
    np.testing.assert_allclose(out[:, 1], [10.5, 11.0, np.nan, np.nan, 13.0, 13.5, 14.0])


def test_evenly_timed_variable_frame_rate_keeps_gait_timing():
    """A walker filmed at 60 then 30 frames/s with an average rate declared: cadence and
    stride time come out right once re-timed (counting frames at 45 frames/s misreads both)."""
    pose60, truth = sagittal_walker(fps=60.0, duration_s=10.0)
    keep = np.r_[np.arange(300), np.arange(300, 600, 2)]
    t = pose60.timestamps_s[keep]
    declared = (len(keep) - 1) / (t[-1] - t[0])
    uneven = PoseSequence(pose60.landmarks[keep], t, declared, pose60.width, pose60.height)
    timed, warning = evenly_timed(uneven, SignalConfig())
    assert "uneven frame times (30-60 frames/s)" in warning and "60.0 frames/s" in warning
    assert timed.fps == pytest.approx(60.0)

    def summary(pose):
        traj = clean_pose(pose, SignalConfig())
        events = {s: detect_gait_events(traj, s, GaitConfig()) for s in c.SIDES}
        return gait_summary(events, traj.fps, traj)

    assert summary(timed)["stride_time_s"] == pytest.approx(truth.stride_s, rel=0.03)
    assert summary(timed)["cadence_steps_per_min"] == pytest.approx(
        truth.cadence_steps_per_min, rel=0.03)
    assert abs(summary(uneven)["stride_time_s"] / truth.stride_s - 1) > 0.1  # as it was


def test_evenly_timed_pause_gives_no_stride_across_it():
    """Recording paused for 0.63 s, shorter than a stride: the stride across the pause would
    look 0.73 s long (the pause stands for 8 empty rows) and must not be measured."""
    pose, truth = sagittal_walker(fps=30.0, duration_s=10.0)
    t = pose.timestamps_s.copy()
    t[150:] += 0.6
    paused = PoseSequence(pose.landmarks, t, 30.0 * len(t) / (len(t) + 18), 1280, 720)
    timed, warning = evenly_timed(paused, SignalConfig())
    assert warning.startswith("a pause of 0.6 s in the frame times at 5.0 s")
    assert timed.fps == pytest.approx(30.0) and timed.n_frames == 300 + 8
    gap_rows = np.flatnonzero(~timed.detected())
    np.testing.assert_array_equal(gap_rows, np.arange(150, 158))
    traj = clean_pose(timed, SignalConfig())
    events = {s: detect_gait_events(traj, s, GaitConfig()) for s in c.SIDES}
    for ev in events.values():
        spans = ev.strides
        assert len(spans) >= 5
        assert not np.any((spans[:, 0] < gap_rows[0]) & (spans[:, 1] > gap_rows[-1]))
        assert ev.stride_times_s == pytest.approx(truth.stride_s, rel=0.05)
    summary = gait_summary(events, traj.fps, traj)
    assert summary["stride_time_s"] == pytest.approx(truth.stride_s, rel=0.03)
    assert summary["cadence_steps_per_min"] == pytest.approx(truth.cadence_steps_per_min, rel=0.03)


def test_evenly_timed_keeps_repeated_pictures_exact():
    """Pictures filmed at 30 frames/s, each stored twice at 60 with jitter, one frame lost:
    re-timed frames take the nearest picture, so the repeats still show."""
    pose, _ = sagittal_walker(fps=30.0, duration_s=4.0)
    lm = np.repeat(pose.landmarks, 2, axis=0)
    t = np.arange(len(lm)) / 60.0 + 0.001 * np.sin(np.arange(len(lm)))
    keep = np.ones(len(lm), bool)
    keep[101] = False  # one undecodable frame
    doubled = PoseSequence(lm[keep], t[keep], 60.0, 1280, 720)
    assert doubled.repeated_fraction() == pytest.approx(0.5, abs=0.01)
    timed, warning = evenly_timed(doubled, SignalConfig())
    assert warning is not None
    assert timed.repeated_fraction() == pytest.approx(0.5, abs=0.02)


def test_evenly_timed_even_pose_is_returned_as_is():
    pose, _ = sagittal_walker()
    same, warning = evenly_timed(pose, SignalConfig())
    assert same is pose and warning is None


def test_near_leg_excess_measures_how_much_larger_the_near_leg_looks():
    pose, _ = sagittal_walker(near="left")
    lm = with_perspective(pose.landmarks, "left", 1.05)
    excess = near_leg_excess(lm[:, :, :2], "left")
    assert 0.03 < excess < 0.07  # 5 % longer, over the two legs' mean length
    assert near_leg_excess(lm[:, :, :2], "right") == pytest.approx(-excess)
    assert near_leg_excess(pose.landmarks[:, :, :2], "left") == pytest.approx(0.0, abs=1e-9)
    assert np.isnan(near_leg_excess(np.full((20, c.N_LANDMARKS, 2), np.nan), "left"))


@pytest.mark.parametrize("near", ["left", "right"])
def test_clean_pose_renames_legs_whose_near_one_looks_smaller(near):
    """A pose estimator naming the legs the other way round for the whole walk keeps its
    depth with the names (MediaPipe's z follows its labels), so only the picture's
    perspective shows the mistake."""
    pose, _ = sagittal_walker(near=near, duration_s=6.0)
    lm = with_perspective(pose.landmarks, near, 1.05)
    misnamed = legs_misnamed(lm)
    kept = clean_pose(dataclasses.replace(pose, landmarks=lm), CFG)
    renamed = clean_pose(dataclasses.replace(pose, landmarks=misnamed), CFG)
    assert kept.view == renamed.view == f"sagittal_{near}"
    assert not kept.legs_relabelled and renamed.legs_relabelled
    assert not kept.legs_exchanged.any() and renamed.legs_exchanged.mean() > 0.9
    np.testing.assert_allclose(renamed.xy_px, kept.xy_px, atol=1e-6)
    off = clean_pose(
        dataclasses.replace(pose, landmarks=misnamed), SignalConfig(correct_leg_swaps=False)
    )
    assert not off.legs_relabelled
    assert not np.allclose(off.point(near, "ankle"), kept.point(near, "ankle"), equal_nan=True)


def _mirrored_back_view(frames):
    """A back view whose landmarks are named as if the walker faced the camera in ``frames``."""
    pose, _ = frontal_walker(duration_s=4.0, facing_camera=False,
                             inversion_deg={"left": 25.0, "right": 0.0})
    lm = exchange_sides(pose.landmarks, frames(len(pose.landmarks)))
    return dataclasses.replace(pose, landmarks=lm)


def test_a_stated_posterior_view_names_the_legs_by_the_bodys_geometry():
    pose = _mirrored_back_view(lambda n: np.ones(n, dtype=bool))
    assert clean_pose(pose, CFG).view == "frontal"  # as a pose estimator mislabels it
    traj = clean_pose(pose, CFG.model_copy(update={"view": "posterior"}))
    assert traj.view == "posterior" and traj.legs_exchanged.all()
    assert (traj.point("left", "hip")[:, 0] < traj.point("right", "hip")[:, 0]).all()
    features = measure_pose(pose, Settings(signal=CFG.model_copy(update={"view": "posterior"})))
    assert features.features["left_foot_inversion_deg"] > 15.0
    assert abs(features.features["right_foot_inversion_deg"]) < 5.0


def test_a_detected_posterior_view_exchanges_back_the_frames_named_the_other_way():
    pose = _mirrored_back_view(lambda n: np.arange(n) % 5 < 2)  # 40 % of the frames
    traj = clean_pose(pose, CFG)
    assert traj.view == "posterior"
    assert (traj.legs_exchanged == (np.arange(len(traj.legs_exchanged)) % 5 < 2)).all()
    assert (traj.point("left", "hip")[:, 0] < traj.point("right", "hip")[:, 0]).all()
