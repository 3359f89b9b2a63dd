"""Phantom walker: kinematics maths, ground truth, video file; one slow MediaPipe check."""

import json

import cv2
import numpy as np
import pytest
from pydantic import ValidationError

from posescore.constants import LEG_LANDMARKS, SIDES
from posescore.phantom import PhantomParams, build_phantom_specs, draw_look, render_phantom
from posescore.phantom.body import body_dims
from posescore.phantom.expression import LegExpression, legacy_expression
from posescore.phantom.kinematics import (
    build_skeleton,
    choose_posture_strides,
    floor_offsets_m,
    leg_angles,
    leg_phases,
    plan_gait,
    posture_activation,
    stride_spans_s,
)
from posescore.phantom.look import MIN_COLOUR_DISTANCE_LAB, colour_distance
from posescore.phantom.render import Camera
from posescore.phantom.synth import make_camera, simulate_clip

T_S = np.arange(0.0, 6.0, 1 / 240)


def _legacy(severity):
    return {"left": legacy_expression(severity), "right": LegExpression()}


def _angles(severity, seed=3, cadence=110.0):
    plan = plan_gait(seed, 6.0, _legacy(severity), cadence)
    phases = leg_phases(plan, T_S)
    return {
        side: leg_angles(phases[side], plan.expression[side], plan.posture_present[side],
                         plan.hip_excursion_factor[side], plan.knee_excursion_factor[side])
        for side in SIDES
    }, phases


def test_dystonic_angles_grow_with_severity_on_affected_leg_only():
    results = [_angles(s)[0] for s in (0.0, 1.0, 2.0, 3.0, 4.0)]
    plantar = [a["left"].ankle_plantarflexion_deg.mean() for a in results]
    toe = [a["left"].toe_extension_dystonic_deg.mean() for a in results]
    inversion = [a["left"].foot_inversion_deg.max() for a in results]
    assert np.all(np.diff(plantar) > 0)
    assert np.all(np.diff(toe) > 0)
    assert np.all(np.diff(inversion) > 0)
    assert toe[0] == 0.0 and inversion[0] == 0.0
    assert inversion[-1] == pytest.approx(30.0) and toe[-1] == pytest.approx(40.0)
    for a in results:  # the healthy leg never changes (cadence fixed)
        np.testing.assert_array_equal(a["right"].ankle_plantarflexion_deg,
                                      results[0]["right"].ankle_plantarflexion_deg)
        assert not a["right"].toe_extension_dystonic_deg.any()
        assert not a["right"].foot_inversion_deg.any()


def test_severe_leg_takes_shorter_steps_and_slower_cadence():
    angles, _ = _angles(4.0)
    left, right = angles["left"].hip_flexion_deg, angles["right"].hip_flexion_deg
    assert np.ptp(left) < 0.8 * np.ptp(right)
    healthy = plan_gait(3, 6.0, _legacy(0.0))
    severe = plan_gait(3, 6.0, _legacy(4.0))
    assert severe.cadence_steps_per_min < 0.85 * healthy.cadence_steps_per_min
    assert 95.0 <= healthy.cadence_steps_per_min <= 120.0


def test_posture_frequency_follows_severity_and_sets_are_nested():
    probs = [legacy_expression(s).posture_fraction for s in (0, 1, 2, 3, 4)]
    assert probs == pytest.approx([0.0, 0.3, 0.6, 0.9, 1.0])
    rng = np.random.default_rng(0)
    order, u = rng.permutation(1000), 0.5
    sets = [choose_posture_strides(legacy_expression(s).posture_fraction, order, u, 1000)
            for s in (0.5, 1, 2, 3, 4)]
    fractions = [s.mean() for s in sets]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert fractions[1:4] == pytest.approx([0.3, 0.6, 0.9], abs=0.002)
    for small, big in zip(sets[:-1], sets[1:]):
        assert np.all(big[small])


def test_posture_share_within_clips_follows_severity():
    shares = {}
    for severity in (1.0, 2.0, 3.0, 4.0):
        values = []
        for seed in range(40):
            plan = plan_gait(seed, 6.0, _legacy(severity), 100.0)
            begin, end = stride_spans_s(plan.cycle_starts_s, "left")
            in_clip = (end > 0) & (begin < 6.0)
            values.append(plan.posture_present["left"][in_clip].mean())
            assert not plan.posture_present["right"].any()
        shares[severity] = np.mean(values)
    assert shares[1.0] == pytest.approx(0.3, abs=0.06)
    assert shares[2.0] == pytest.approx(0.6, abs=0.06)
    assert shares[3.0] == pytest.approx(0.9, abs=0.06)
    assert shares[4.0] == 1.0


def test_activation_is_smooth_and_sustained_at_severity_4():
    phase = np.linspace(2.0, 8.0, 6000)
    present = np.array([False, False, False, True, False, True, True, False, False, False])
    act = posture_activation(phase, present)
    assert act.min() == 0.0 and act.max() == pytest.approx(1.0)
    assert np.abs(np.diff(act)).max() < 0.02
    assert posture_activation(phase, np.ones(10, bool)).min() == 1.0


def test_feet_stay_on_or_above_floor_and_touch_it():
    angles, phases = _angles(4.0)
    dims = body_dims(1.75)
    skeleton = build_skeleton(phases, angles, dims)
    pelvis_height, clearance = floor_offsets_m(skeleton, dims)
    both = np.minimum(clearance["left"], clearance["right"])
    assert both.min() >= -1e-12 and both.max() < 1e-9
    assert 0.8 < pelvis_height.min() and pelvis_height.max() < 1.05


def test_look_contrasts_with_background():
    for seed in range(20):
        look = draw_look(seed)
        for garment in (look.shirt_bgr, look.trousers_bgr, look.shoe_bgr, look.skin_bgr):
            for back in (look.wall_top_bgr, look.wall_bottom_bgr, look.floor_bgr):
                assert colour_distance(garment, back) >= MIN_COLOUR_DISTANCE_LAB
        assert 0.55 <= look.body_height_frac <= 0.80


def test_params_validation():
    with pytest.raises(ValidationError):
        PhantomParams(affected_side="none", severity=2.0)
    with pytest.raises(ValidationError):
        PhantomParams(view="frontal", walk="across")
    with pytest.raises(ValidationError):
        PhantomParams(view="sagittal_left", walk="towards")
    with pytest.raises(ValidationError):
        PhantomParams(affected_side="left", severity=4.5)
    specs = build_phantom_specs(12, seed=1, across_fraction=0.5)
    assert len({p.seed for p in specs}) == 12


@pytest.fixture(scope="module")
def short_clip(tmp_path_factory):
    out = tmp_path_factory.mktemp("phantom") / "clip.mp4"
    params = PhantomParams(affected_side="right", severity=3.0, view="sagittal_right", seed=5,
                           duration_s=1.0)
    return params, out, render_phantom(params, out)


def test_truth_sidecar_keys_and_shapes(short_clip):
    params, out, truth = short_clip
    sidecar = json.loads(out.with_suffix(".truth.json").read_text())
    assert sidecar == json.loads(json.dumps(truth))
    for key in ("schema_version", "params", "severity", "severity_class", "affected_side",
                "cadence_steps_per_min", "heel_strike_s", "toe_off_s", "stride_posture_present",
                "posture_fraction", "joints_px", "knee_flexion_deg", "ankle_plantarflexion_deg",
                "foot_inversion_deg", "toe_extension_deg", "timestamps_s"):
        assert key in truth
    assert truth["severity"] == {"left": 0.0, "right": 3.0}
    assert truth["severity_class"] == {"left": 0, "right": 3}
    n = truth["frame_count"]
    assert n == 30 and len(truth["timestamps_s"]) == n
    for side in SIDES:
        for joint in ("hip", "knee", "ankle", "heel", "toe"):
            assert np.asarray(truth["joints_px"][side][joint]).shape == (n, 2)
        assert len(truth["knee_flexion_deg"][side]) == n
        assert len(truth["stride_posture_present"][side]) == len(truth["stride_start_s"][side])
        assert all(0.0 <= t < 1.0 for t in truth["heel_strike_s"][side] + truth["toe_off_s"][side])


def test_video_is_readable_with_right_fps_count_and_size(short_clip):
    params, out, _ = short_clip
    cap = cv2.VideoCapture(str(out))
    assert cap.isOpened()
    assert cap.get(cv2.CAP_PROP_FPS) == pytest.approx(30.0)
    assert int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)) == 640
    assert int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)) == 480
    frames = 0
    while cap.read()[0]:
        frames += 1
    assert frames == 30
    assert out.stat().st_size < 1.5e6 / 6


def test_deterministic_for_a_seed(short_clip, tmp_path):
    params, out, truth = short_clip
    again = render_phantom(params, tmp_path / "again.mp4")
    assert again == truth
    first = [cv2.VideoCapture(str(p)).read()[1] for p in (out, tmp_path / "again.mp4")]
    np.testing.assert_array_equal(first[0], first[1])


def _walk_in_frame(params: PhantomParams):
    """Simulate and frame ``params``; assert every joint stays inside the picture."""
    look = params.resolved_look()
    sim, frac = simulate_clip(params, look)
    cam: Camera = make_camera(params, look, sim, frac)
    px = cam.project(np.stack(list(sim.skeleton.points.values()), axis=1))
    assert px[..., 0].min() > 0 and px[..., 0].max() < params.width
    assert px[..., 1].min() > 0 and px[..., 1].max() < params.height
    return sim, cam


def test_across_walk_stays_in_frame_and_moves():
    for view in ("sagittal_left", "sagittal_right"):
        params = PhantomParams(view=view, walk="across", seed=2, duration_s=6.0)
        sim, cam = _walk_in_frame(params)
        pelvis_x = cam.project(sim.skeleton.points["pelvis"])[:, 0]
        direction = -1 if view == "sagittal_left" else 1  # walks toward the face
        assert direction * (pelvis_x[-1] - pelvis_x[0]) > 0.4 * params.width


def test_towards_walk_approaches_the_camera_and_stays_in_frame():
    """Walking towards a frontal camera: the figure grows and ends at the look's size."""
    sim, cam = _walk_in_frame(
        PhantomParams(view="frontal", walk="towards", seed=2, duration_s=6.0)
    )
    leg_px = np.linalg.norm(cam.project(sim.skeleton.points["left_hip"])
                            - cam.project(sim.skeleton.points["left_ankle"]), axis=1)
    tenth = len(leg_px) // 10  # a stride or so: the straight leg of each end
    assert leg_px[-tenth:].max() > 1.3 * leg_px[:tenth].max()  # nearer at the end
    pelvis = sim.skeleton.points["pelvis"]
    assert cam.depth_m(pelvis[0]) > 2.0 and abs(cam.depth_m(pelvis[-1])) < 0.1
    # the body never reaches the back wall
    assert cam.depth_m(np.stack(list(sim.skeleton.points.values()))).max() < cam.wall_behind_m


def test_severe_equinus_lifts_the_heel_at_initial_contact(tmp_path):
    truths = {
        s: render_phantom(PhantomParams(affected_side="left" if s else "none", severity=s,
                                        view="sagittal_left", seed=4, duration_s=3.0),
                          tmp_path / f"s{s}.mp4")
        for s in (0.0, 4.0)
    }
    heel_minus_toe = {}
    for s, truth in truths.items():
        idx = [round(t * 30) for t in truth["heel_strike_s"]["left"]]
        heel = np.asarray(truth["joints_px"]["left"]["heel"])[idx, 1]
        toe = np.asarray(truth["joints_px"]["left"]["toe"])[idx, 1]
        heel_minus_toe[s] = float(np.mean(toe - heel))  # image y down: > 0 = heel higher
    assert heel_minus_toe[0.0] < 0 < heel_minus_toe[4.0]
    assert np.mean(truths[4.0]["ankle_plantarflexion_deg"]["left"]) > 20.0
    assert max(truths[4.0]["ankle_plantarflexion_deg"]["right"]) < 25.0


@pytest.mark.slow
def test_mediapipe_finds_the_phantom(tmp_path):
    import mediapipe as mp

    params = PhantomParams(affected_side="left", severity=2.0, view="sagittal_left", seed=7,
                           duration_s=3.0)
    out = tmp_path / "mp.mp4"
    truth = render_phantom(params, out)
    cap = cv2.VideoCapture(str(out))
    found, errors = 0, []
    with mp.solutions.pose.Pose(static_image_mode=False, model_complexity=1) as pose:
        for i in range(truth["frame_count"]):
            ok, frame = cap.read()
            assert ok
            res = pose.process(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
            if not res.pose_landmarks:
                continue
            found += 1
            for side in SIDES:
                lm = res.pose_landmarks.landmark[LEG_LANDMARKS[side]["knee"]]
                true_xy = truth["joints_px"][side]["knee"][i]
                errors.append(np.hypot(lm.x * params.width - true_xy[0],
                                       lm.y * params.height - true_xy[1]))
    assert found >= 0.9 * truth["frame_count"]
    assert np.median(errors) < 15.0


def test_contact_events_ignore_brief_flickers():
    from posescore.phantom.synth import contact_events

    t = np.arange(0, 2.0, 0.005)
    clearance = np.where((t > 0.3) & (t < 0.9), 0.0, 0.05)
    clearance[(t > 0.5) & (t < 0.52)] = 0.01  # 20 ms lift inside stance: not an event
    clearance[(t > 1.5) & (t < 1.52)] = 0.0  # 20 ms touch in swing: not an event
    on, off = contact_events(t, clearance)
    assert on == pytest.approx([0.305], abs=0.006) and off == pytest.approx([0.9], abs=0.006)


def test_swing_foot_lands_instead_of_hovering():
    """The landing foot is still coming down just before initial contact.

    Without ``lower_for_landing`` a third of the feet hovered about 1 cm up for several frames
    and "landed" only when the trailing foot rose (no visible landing to detect).
    """
    from posescore.phantom.simulation import OVERSAMPLE
    from posescore.phantom.synth import contact_events

    descending = []
    for walk in ("in_place", "across"):
        for severity in (0.0, 3.0):
            for seed in (1, 2):
                params = PhantomParams(view="sagittal_left", seed=seed, duration_s=5, width=640,
                                       height=480, walk=walk, affected_side="left",
                                       severity=severity)
                sim, _ = simulate_clip(params, params.resolved_look())
                dt = sim.t_s[1] - sim.t_s[0]
                for side in SIDES:
                    clearance = sim.clearance_m[side]
                    for t in contact_events(sim.t_s, clearance)[0]:
                        i = int(round(t / dt))
                        if i >= 3 * OVERSAMPLE:  # 3 and 1 video frames before contact
                            descending.append(clearance[i - 3 * OVERSAMPLE]
                                              > clearance[i - OVERSAMPLE] + 1e-3)
    assert len(descending) >= 50
    assert np.mean(descending) >= 0.8
