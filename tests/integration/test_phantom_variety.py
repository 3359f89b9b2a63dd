"""Varied phantom: families, scene, clothing, extras, rotation, posture mix, data sets."""

import csv
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from posescore.constants import LEG_LANDMARKS, SIDES
from posescore.phantom import (
    FAMILY_NAMES,
    MANIFEST_COLUMNS,
    Distractor,
    Occluder,
    PhantomParams,
    PhantomScene,
    PostureMix,
    draw_family_look,
    draw_look,
    draw_scene,
    generate_dataset,
    plan_dataset,
    render_phantom,
)
from posescore.phantom.expression import LegExpression, legacy_expression
from posescore.phantom.families import draw_format, draw_posture_mix, skin_tone
from posescore.phantom.kinematics import leg_angles, leg_phases, plan_gait
from posescore.phantom.writer import ffmpeg_path
from posescore.video import iter_frames, probe_video

REPO = Path(__file__).resolve().parents[2]
SMALL = {"width": 320, "height": 240, "duration_s": 0.5}


def test_family_0_is_the_original_phantom():
    params = PhantomParams(seed=12)
    assert params.resolved_look() == draw_look(12)
    assert params.resolved_scene() == PhantomScene() and params.resolved_scene().is_legacy
    assert params.resolved_posture_mix() == PostureMix()
    assert draw_format(12, 0) == {"fps": 30.0, "width": 640, "height": 480, "rotation_deg": 0,
                                  "bitrate_kbps": None}


def test_family_draws_are_seeded_and_varied():
    for family in FAMILY_NAMES:
        if family == 0:
            continue
        assert draw_family_look(3, family) == draw_family_look(3, family)
        assert draw_scene(3, family) == draw_scene(3, family)
        assert draw_posture_mix(3, family) == draw_posture_mix(3, family)
        looks = [draw_family_look(s, family) for s in range(30)]
        assert len({lk.skin_bgr for lk in looks}) > 20
        assert len({lk.lower_garment for lk in looks}) >= 2 or family == 1
    looks = [draw_family_look(s, 5) for s in range(200)]
    luma = [0.114 * b + 0.587 * g + 0.299 * r for b, g, r in (lk.skin_bgr for lk in looks)]
    assert min(luma) < 70 and max(luma) > 200  # very dark to very light skin
    fracs = [lk.body_height_frac for lk in looks]
    assert min(fracs) < 0.4 and max(fracs) > 0.8
    assert {lk.lower_garment for lk in looks} == {"trousers", "long_trousers", "cropped",
                                                  "shorts", "skirt"}
    scenes = [draw_scene(s, 5) for s in range(200)]
    assert {sc.background for sc in scenes} == {"plain", "gradient", "texture", "tiles",
                                                "furniture"}
    assert any(sc.distractor for sc in scenes) and any(sc.occluder for sc in scenes)
    assert any(sc.jpeg_quality for sc in scenes) and any(sc.shake_px for sc in scenes)
    assert skin_tone(0.0) != skin_tone(1.0)
    with pytest.raises(ValueError):
        draw_scene(0, 99)


def test_posture_mix_scales_each_component():
    t = np.arange(0.0, 6.0, 1 / 120)
    plan = plan_gait(3, 6.0, {"left": legacy_expression(4.0), "right": LegExpression()}, 100.0)
    phase = leg_phases(plan, t)["left"]
    args = (plan.posture_present["left"], plan.hip_excursion_factor["left"],
            plan.knee_excursion_factor["left"])
    full = leg_angles(phase, legacy_expression(4.0), *args)
    mix = PostureMix(equinus=0.5, inversion=1.5, toe_extension=0.0)
    mixed = leg_angles(phase, legacy_expression(4.0, mix), *args)
    assert mixed.foot_inversion_deg.max() == pytest.approx(1.5 * full.foot_inversion_deg.max())
    assert not mixed.toe_extension_dystonic_deg.any()
    healthy = leg_angles(phase, LegExpression(), *args)
    excess_full = full.ankle_plantarflexion_deg - healthy.ankle_plantarflexion_deg
    excess_mixed = mixed.ankle_plantarflexion_deg - healthy.ankle_plantarflexion_deg
    np.testing.assert_allclose(excess_mixed, 0.5 * excess_full, atol=1e-9)
    mixes = [draw_posture_mix(s, 5) for s in range(300)]
    eq = np.array([m.equinus for m in mixes])
    assert eq.mean() == pytest.approx(1.0, abs=0.1) and eq.min() < 0.4 and eq.max() > 1.4


@pytest.fixture(scope="module")
def busy_clip(tmp_path_factory):
    out = tmp_path_factory.mktemp("variety") / "busy.mp4"
    look = draw_family_look(4, 5).model_copy(update={
        "lower_garment": "skirt", "shirt_pattern": "stripes", "hair_style": "long",
        "sleeve": "long"})
    scene = PhantomScene(
        background="furniture", background_seed=3, brightness=0.9, light_gradient=0.4,
        blur_sigma_px=0.6, jpeg_quality=40, shake_px=3.0, shake_deg=0.8,
        distractor=Distractor(seed=9, mode="walk_across", x_frac=0.3, facing="left"),
        occluder=Occluder(kind="box", start_s=0.1, duration_s=0.3, width_frac=0.4,
                          height_frac=0.25))
    params = PhantomParams(affected_side="left", severity=2.5, seed=4, family=5, look=look,
                           scene=scene, posture_mix=PostureMix(equinus=1.4, inversion=0.3),
                           **SMALL)
    return params, out, render_phantom(params, out)


def test_busy_clip_truth_records_every_variation(busy_clip):
    params, out, truth = busy_clip
    assert json.loads(out.with_suffix(".truth.json").read_text()) == json.loads(
        json.dumps(truth))
    n = truth["frame_count"]
    assert truth["family"] == 5 and truth["scene"]["background"] == "furniture"
    assert truth["look"]["lower_garment"] == "skirt"
    assert truth["posture_mix"]["equinus"] == 1.4
    amp = truth["expression"]
    assert amp["left"]["equinus_deg"] == pytest.approx(30.0 * 1.4 * 2.5 / 4, abs=0.01)
    assert amp["right"]["equinus_deg"] == 0.0
    assert len(truth["shake"]["dx_px"]) == n and np.std(truth["shake"]["dx_px"]) > 0.5
    assert truth["distractor"]["mode"] == "walk_across" and len(
        truth["distractor"]["bbox_px"]) == n
    rects = truth["occluder"]["rect_px"]
    assert sum(r is not None for r in rects) == pytest.approx(0.3 * params.fps, abs=1.5)
    for side in SIDES:  # occluded flags agree with the rectangle
        for i, (x, y) in enumerate(truth["joints_px"][side]["ankle"]):
            r = rects[i]
            inside = r is not None and r[0] <= x <= r[2] and r[1] <= y <= r[3]
            assert truth["joints_occluded"][side]["ankle"][i] == inside
    assert {"distractor", "occluder", "shake", "jpeg", "light_gradient"} <= set(
        truth["variation_tags"])


def test_busy_clip_is_deterministic(busy_clip, tmp_path):
    params, out, truth = busy_clip
    again = render_phantom(params, tmp_path / "again.mp4")
    assert again == truth
    first = [cv2.VideoCapture(str(p)).read()[1] for p in (out, tmp_path / "again.mp4")]
    np.testing.assert_array_equal(first[0], first[1])


def test_every_family_renders_a_short_clip(tmp_path):
    for family in FAMILY_NAMES:
        params = PhantomParams(affected_side="right", severity=3.0, seed=21, family=family,
                               view="oblique_right" if family == 2 else "sagittal_right",
                               **SMALL)
        truth = render_phantom(params, tmp_path / f"f{family}.mp4")
        assert truth["family"] == family
        assert np.asarray(truth["joints_px"]["right"]["knee"]).shape == (15, 2)
        if family == 2:
            assert truth["near_side"] == "right"


def test_original_sample_video_is_reproduced():
    sample = REPO / "sample_videos" / "right_s4_frontal.truth.json"
    if not sample.exists():
        pytest.skip("sample video missing")
    old = json.loads(sample.read_text())
    params = PhantomParams(**old["params"])
    from posescore.phantom.synth import make_camera, simulate_clip

    look = params.resolved_look()
    sim, frac = simulate_clip(params, look)
    cam = make_camera(params, look, sim, frac, params.resolved_scene())
    knee = cam.project(sim.skeleton.points["right_knee"][::8])
    np.testing.assert_allclose(np.round(knee, 2), old["joints_px"]["right"]["knee"], atol=0.011)


@pytest.mark.skipif(ffmpeg_path() is None, reason="ffmpeg not installed")
def test_portrait_clip_is_stored_rotated_and_read_upright(tmp_path):
    upright = PhantomParams(seed=6, width=240, height=320, duration_s=0.5, family=1,
                            scene=PhantomScene(background="plain", noise_sigma=0.0))
    rotated = upright.model_copy(update={"rotation_deg": 90})
    render_phantom(upright, tmp_path / "up.mp4")
    truth = render_phantom(rotated, tmp_path / "rot.mp4")
    assert truth["video_format"]["stored_width"] == 320
    cap = cv2.VideoCapture(str(tmp_path / "rot.mp4"))
    assert cap.get(cv2.CAP_PROP_ORIENTATION_META) == 90
    meta = probe_video(tmp_path / "rot.mp4")
    assert meta.rotation_deg == 90 and (meta.width, meta.height) == (240, 320)
    a = next(iter_frames(tmp_path / "up.mp4"))[2].astype(float)
    b = next(iter_frames(tmp_path / "rot.mp4"))[2].astype(float)
    assert a.shape == b.shape == (320, 240, 3)
    assert np.abs(a - b).mean() < 3.0


@pytest.mark.skipif(ffmpeg_path() is None, reason="ffmpeg not installed")
def test_low_bitrate_clip_is_h264_and_reproducible(tmp_path):
    params = PhantomParams(seed=3, bitrate_kbps=120, family=1, **SMALL)
    truth = render_phantom(params, tmp_path / "a.mp4")
    render_phantom(params, tmp_path / "b.mp4")
    assert truth["video_format"]["codec"] == "h264" and "low_bitrate" in truth["variation_tags"]
    meta = probe_video(tmp_path / "a.mp4")
    assert meta.codec.lower() in ("avc1", "h264") and meta.frame_count == 15
    assert (tmp_path / "a.mp4").read_bytes() == (tmp_path / "b.mp4").read_bytes()
    rotated = params.model_copy(update={"rotation_deg": 270, "width": 240, "height": 320})
    render_phantom(rotated, tmp_path / "r.mp4")  # encode, then tag the rotation
    meta = probe_video(tmp_path / "r.mp4")
    assert meta.rotation_deg == 270 and (meta.width, meta.height) == (240, 320)
    assert next(iter_frames(tmp_path / "r.mp4"))[2].shape == (320, 240, 3)
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".mp4") == [
        "a.mp4", "b.mp4", "r.mp4"]


def test_rotation_without_ffmpeg_is_refused(tmp_path, monkeypatch):
    from posescore.errors import VideoError
    from posescore.phantom import writer

    monkeypatch.setattr(writer, "ffmpeg_path", lambda: None)
    with pytest.raises(VideoError, match="ffmpeg"):
        render_phantom(PhantomParams(rotation_deg=90, **SMALL), tmp_path / "x.mp4")


def test_params_validation_of_new_fields():
    with pytest.raises(ValueError):
        PhantomParams(view="oblique_left", walk="across")
    with pytest.raises(ValueError):
        PhantomParams(rotation_deg=45)
    with pytest.raises(ValueError):
        PostureMix(equinus=3.0)


def test_dataset_plan_is_reproducible_with_subjects_and_held_out_families():
    plan = plan_dataset(24, seed=7, families=(1, 2, 3), hold_out_families=(5,),
                        clips_per_subject=3, ffmpeg_ok=True)
    assert plan == plan_dataset(24, seed=7, families=(1, 2, 3), hold_out_families=(5,),
                                clips_per_subject=3, ffmpeg_ok=True)
    assert len(plan) == 24 and len({c.name for c in plan}) == 24
    assert len({c.params.seed for c in plan}) == 24
    by_subject: dict[str, list] = {}
    for clip in plan:
        by_subject.setdefault(clip.subject_id, []).append(clip)
        assert clip.split == ("test" if clip.params.family == 5 else "train")
    assert len(by_subject) == 8
    for clips in by_subject.values():
        assert len({c.params.family for c in clips}) == 1
        assert len({c.params.look.skin_bgr for c in clips}) == 1
        assert len({c.params.affected_side for c in clips}) == 1
        assert len({c.params.posture_mix for c in clips}) == 1
    assert {c.params.family for c in plan} == {1, 2, 3, 5}
    assert plan_dataset(24, seed=8) != plan_dataset(24, seed=7)
    phones = plan_dataset(20, seed=1, families=(4,), ffmpeg_ok=False)
    assert all(c.params.rotation_deg == 0 and c.params.height > c.params.width for c in phones)
    phones = plan_dataset(20, seed=1, families=(4,), ffmpeg_ok=True)
    assert any(c.params.rotation_deg in (90, 270) for c in phones)
    sides = [c.params.affected_side for c in plan_dataset(200, seed=3, clips_per_subject=1)]
    assert abs(sides.count("left") - sides.count("right")) <= 1
    with pytest.raises(ValueError):
        plan_dataset(4, families=(42,))


def test_cli_dataset_writes_manifest_and_videos(tmp_path):
    from posescore.cli import main

    out = tmp_path / "set"
    code = main(["phantom", "--dataset", "3", "--seed", "2", "--families", "0",
                 "--hold-out-families", "0", "--duration", "0.5", "--out", str(out)])
    assert code == 0
    rows = list(csv.DictReader((out / "manifest.csv").open()))
    assert len(rows) == 3 and list(rows[0]) == list(MANIFEST_COLUMNS)
    for row in rows:
        assert (out / row["video"]).exists()
        truth = json.loads((out / row["video"]).with_suffix(".truth.json").read_text())
        assert float(row["left_severity"]) == truth["severity"]["left"]
        assert row["split"] == "test" and row["family"] == "0"
    again = generate_dataset(tmp_path / "again", 3, 2, families=(0,), hold_out_families=(0,),
                             duration_s=0.5)
    assert again.read_text() == (out / "manifest.csv").read_text()


def test_enlarging_a_set_reuses_the_clips_already_rendered(tmp_path):
    out = tmp_path / "set"
    generate_dataset(out, 2, 5, families=(0,), duration_s=0.5)
    first = sorted(out.glob("*.mp4"))
    stamps = {p.name: p.stat().st_mtime_ns for p in first}
    # a clip whose sidecar records other parameters is rendered again
    stale = first[0].with_suffix(".truth.json")
    truth = json.loads(stale.read_text())
    truth["params"]["severity"] = 9.0
    stale.write_text(json.dumps(truth))
    manifest = generate_dataset(out, 3, 5, families=(0,), duration_s=0.5)
    rows = list(csv.DictReader(manifest.open()))
    assert len(rows) == 3
    assert first[1].stat().st_mtime_ns == stamps[first[1].name]  # reused
    assert first[0].stat().st_mtime_ns != stamps[first[0].name]  # rendered again
    assert json.loads(stale.read_text())["params"]["severity"] != 9.0
    fresh = generate_dataset(tmp_path / "fresh", 3, 5, families=(0,), duration_s=0.5)
    assert fresh.read_text() == manifest.read_text()


@pytest.mark.slow
def test_mediapipe_finds_a_varied_phantom(tmp_path):
    import mediapipe as mp

    look = draw_family_look(8, 2).model_copy(update={
        "lower_garment": "shorts", "shirt_pattern": "stripes", "body_height_frac": 0.6})
    scene = PhantomScene(background="furniture", background_seed=8, light_gradient=0.4,
                         jpeg_quality=35, shake_px=3.0, shake_deg=0.7, blur_sigma_px=0.8)
    params = PhantomParams(affected_side="right", severity=2.0, view="sagittal_right", seed=8,
                           family=2, look=look, scene=scene, duration_s=2.0)
    truth = render_phantom(params, tmp_path / "mp.mp4")
    found, errors = 0, []
    with mp.solutions.pose.Pose(static_image_mode=False, model_complexity=1) as pose:
        for i, _, frame in iter_frames(tmp_path / "mp.mp4"):
            res = pose.process(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
            if not res.pose_landmarks:
                continue
            found += 1
            lm = res.pose_landmarks.landmark[LEG_LANDMARKS["right"]["knee"]]
            x, y = truth["joints_px"]["right"]["knee"][i]
            errors.append(np.hypot(lm.x * params.width - x, lm.y * params.height - y))
    assert found >= 0.9 * truth["frame_count"]
    assert np.median(errors) < 15.0
