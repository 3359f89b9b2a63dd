"""The manifest reader: typed rows, paths from the manifest's folder, errors naming the place."""

from pathlib import Path

import pytest

from posescore.constants import TASKS, VIEWS
from posescore.manifest import Column, ManifestError, read_manifest

COLUMNS = (
    Column("video", "path"),
    Column("session", "number", bounds=(0, 100)),
    Column("task", "choice", choices=TASKS, default="walk_forward"),
    Column("view", "choice", required=False, choices=VIEWS, default=None),
    Column("note", required=False, default=""),
)


def _write(folder: Path, text: str, name: str = "m.csv") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_rows_are_typed_and_paths_come_from_the_manifests_folder(tmp_path):
    path = _write(tmp_path, "\ufeff video , session,task,extra\n"
                            "a.mp4, 2 ,,x\n\n/abs/b.mp4,3.5,walk_backward,y\n")
    manifest = read_manifest(path, COLUMNS)
    assert manifest.columns == ("video", "session", "task", "extra")
    first, second = manifest.rows
    assert first.values == {"video": tmp_path / "a.mp4", "session": 2.0,
                            "task": "walk_forward", "view": None, "note": ""}
    assert second["video"] == Path("/abs/b.mp4") and second["session"] == 3.5
    assert (first.line, second.line) == (2, 4)  # the blank line counts


@pytest.mark.parametrize("text, message", [
    ("video,task\na.mp4,walk_forward\n", "m.csv: missing column(s) session"),
    ("video,session,task\n", "m.csv lists no rows"),
    ("video,session,task\n,1,run\n", "m.csv, line 2: empty video"),
    ("video,session,task\na.mp4,two,run\n", "m.csv, line 2: session 'two' is not a number"),
    ("video,session,task\na.mp4,nan,run\n", "m.csv, line 2: session nan is outside 0-100"),
    ("video,session,task\na.mp4,1,run\nb.mp4,101,run\n",
     "m.csv, line 3: session 101 is outside 0-100"),
    ("video,session,task\na.mp4,1,swim\n",
     f"m.csv, line 2: unknown task 'swim'; choose one of {', '.join(TASKS)}"),
    ("video,session,task,view\na.mp4,1,run,behind\n", "m.csv, line 2: unknown view 'behind'"),
])
def test_bad_input_names_file_line_and_column(tmp_path, text, message):
    with pytest.raises(ManifestError) as info:
        read_manifest(_write(tmp_path, text), COLUMNS)
    assert str(info.value).startswith(message)


def test_missing_file_and_missing_video(tmp_path):
    with pytest.raises(ManifestError, match="^ratings not found: none.csv$"):
        read_manifest(tmp_path / "none.csv", COLUMNS, what="ratings")
    path = _write(tmp_path, "video\ngone.mp4\n")
    with pytest.raises(ManifestError, match="^m.csv, line 2: video 'gone.mp4' not found$"):
        read_manifest(path, (Column("video", "path", must_exist=True),))


def test_a_lower_case_choice_reads_any_case(tmp_path):
    phase = Column("phase", "choice", choices=("pre", "post"), lower=True)
    path = _write(tmp_path, "phase\nPre\nPOST\n")
    assert [row["phase"] for row in read_manifest(path, (phase,)).rows] == ["pre", "post"]
