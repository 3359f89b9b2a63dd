"""Each bad input exits non-zero with one line naming the problem, never a traceback."""

import subprocess
import sys

import cv2
import numpy as np
import pytest


def _write_video(path, n_frames=30, fps=30.0, size=(160, 120)):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    for i in range(n_frames):
        frame = np.full((size[1], size[0], 3), 40, np.uint8)
        cv2.circle(frame, (20 + 3 * i, 60), 10, (255, 255, 255), -1)
        writer.write(frame)
    writer.release()
    return path


def _bad_inputs(tmp_path):
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    text = tmp_path / "notes.mp4"
    text.write_text("patient walked well today\n" * 20)
    image = tmp_path / "photo.mp4"
    ok, png = cv2.imencode(".png", np.zeros((64, 64, 3), np.uint8))
    image.write_bytes(png.tobytes())
    full = _write_video(tmp_path / "full.mp4", n_frames=60)
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    slow = _write_video(tmp_path / "slow.mp4", n_frames=20, fps=1.0)
    short = _write_video(tmp_path / "short.mp4", n_frames=2)
    tiny = _write_video(tmp_path / "tiny.mp4", size=(16, 16))
    return {
        "missing": (tmp_path / "nope.mp4", "not found"),
        "directory": (tmp_path, "directory"),
        "empty": (empty, "empty"),
        "text": (text, "not a video"),
        "image": (image, "not a video"),
        "truncated": (truncated, "truncated or corrupt"),
        "absurd fps": (slow, "fps"),
        "too few frames": (short, "frames"),
        "tiny frame": (tiny, "frame too small"),
    }


CASES = [
    "missing", "directory", "empty", "text", "image", "truncated", "absurd fps", "too few frames",
    "tiny frame",
]


@pytest.mark.parametrize("case", CASES)
def test_bad_input_one_line_error(tmp_path, case):
    path, phrase = _bad_inputs(tmp_path)[case]
    proc = subprocess.run(
        [sys.executable, "-m", "posescore.cli", "score", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("posescore: error:")
    assert phrase in lines[0].lower()
    assert "Traceback" not in proc.stderr


def test_unknown_task_is_a_usage_error(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "posescore.cli", "score", "x.mp4", "--task", "dance"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and "invalid choice" in proc.stderr


def test_batch_on_missing_folder(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "posescore.cli", "batch", str(tmp_path / "none"), "--out",
         str(tmp_path / "o")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1 and "not a folder" in proc.stderr


def test_output_paths_are_checked_before_any_work(tmp_path):
    """An output that cannot be a file is refused at once, in one line, before scoring."""
    (tmp_path / "folder.json").mkdir()
    (tmp_path / "file").write_text("x")
    for option, value, phrase in (
        ("--json", tmp_path / "folder.json", "is a folder"),
        ("--report", tmp_path / "file" / "r.html", "is not a folder"),
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "posescore.cli", "score", str(tmp_path / "none.mp4"), option,
             str(value)],
            capture_output=True, text=True, timeout=120,
        )
        assert proc.returncode == 1
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("posescore: error:"), proc.stderr
        assert phrase in lines[0]
    assert list(tmp_path.glob("**/*.tmp")) == []


def test_an_empty_video_path_is_named_as_such():
    proc = subprocess.run([sys.executable, "-m", "posescore.cli", "score", ""],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and "no video path given" in proc.stderr


def _one_line_error(args):
    proc = subprocess.run([sys.executable, "-m", "posescore.cli", *args],
                          capture_output=True, text=True, timeout=120)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 1 and len(lines) == 1, proc.stderr
    assert lines[0].startswith("posescore: error:") and "Traceback" not in proc.stderr
    return lines[0]


def test_unknown_expression_family_is_named(tmp_path):
    line = _one_line_error(["phantom", "--out", str(tmp_path), "--side", "left",
                            "--severity", "2", "--expression-family", "wobbly"])
    assert "unknown expression family 'wobbly'" in line and "stiff_knee" in line
    assert not list(tmp_path.iterdir())  # nothing rendered


def test_normative_needs_healthy_walks_and_writes_nothing_without(tmp_path):
    _write_video(tmp_path / "a.mp4")
    (tmp_path / "ratings.csv").write_text(
        "video,subject_id,left_severity,right_severity\na.mp4,s1,2,0\n")
    out = tmp_path / "ref.json"
    line = _one_line_error(["normative", str(tmp_path), "--out", str(out)])
    assert "no walk with both legs rated 0" in line and not out.exists()


def test_a_broken_normative_reference_is_refused_in_one_line(tmp_path):
    from posescore.errors import ModelError
    from posescore.normative import load_reference

    bad = tmp_path / "ref.json"
    bad.write_text("{not json")
    with pytest.raises(ModelError, match="not a readable normative reference"):
        load_reference(bad)
    with pytest.raises(ModelError, match="not found"):
        load_reference(tmp_path / "missing.json")
