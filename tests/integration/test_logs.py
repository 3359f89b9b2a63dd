"""MediaPipe's native log lines are kept off stderr; everything else passes."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from posescore.logs import NATIVE_LOG_LINE

NATIVE = [
    b"W0000 00:00:1796661059.274441   28874 inference_feedback_manager.cc:114] Feedback manager "
    b"requires a model with a single signature inference.\n",
    b"I0000 00:00:1796660911.765704   27161 gl_context.cc:369] GL version: 2.1\n",
    b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\n",
    b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n",
    b"OpenCV: FFMPEG: tag 0x30385056/'VP80' is not supported with codec id 139 and format "
    b"'webm / WebM'\n",
]
OURS = [b"posescore: error: video file not found: a.mp4\n", b"WARNING posescore.batch: 1 failed\n",
        b"OpenCV: FFMPEG: something else went wrong\n"]


def test_the_pattern_knows_the_native_lines_and_spares_ours():
    assert all(NATIVE_LOG_LINE.match(line) for line in NATIVE)
    assert not any(NATIVE_LOG_LINE.match(line) for line in OURS)


def test_a_filtered_process_and_its_children_write_only_their_own_lines():
    lines = NATIVE + OURS
    child = f"import os; [os.write(2, l) for l in {lines!r}]"
    code = (
        "import os, subprocess, sys\n"
        "from posescore.logs import filter_native_stderr\n"
        "filter_native_stderr()\n"
        f"[os.write(2, l) for l in {lines!r}]\n"
        f"subprocess.run([sys.executable, '-c', {child!r}], check=True)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True)
    assert out.stderr == b"".join(OURS) * 2


SAMPLE = Path(__file__).parents[2] / "sample_videos" / "left_s2_sagittal_left.mp4"


@pytest.mark.slow
@pytest.mark.parametrize(("command", "shows"), [("score", b"left  leg  severity="),
                                                ("batch", b"scored 1, failed 0"),
                                                ("visit", b"left  leg  severity=")])
def test_scoring_commands_write_nothing_to_stderr_but_their_warnings(tmp_path, command, shows):
    program = Path(sys.executable).with_name("posescore")
    folder = tmp_path / "videos"
    folder.mkdir()
    shutil.copy(SAMPLE, folder)
    manifest = folder / "visit.csv"
    manifest.write_text(f"video,task,view\n{SAMPLE.name},walk_forward,\n")
    argv = {
        "score": [str(folder / SAMPLE.name)],
        "batch": [str(folder), "--out", str(tmp_path / "out"), "--workers", "2"],
        "visit": [str(manifest)],
    }[command]
    env = {**os.environ, "POSESCORE_CACHE": str(tmp_path / "cache")}  # MediaPipe runs
    out = subprocess.run([str(program), command, *argv], capture_output=True, env=env,
                         check=True)
    assert out.stderr == b""
    assert shows in out.stdout
