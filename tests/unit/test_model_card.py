"""The model card check a batch's parent runs: its errors, and no scikit-learn import."""

import json
import subprocess
import sys

import pytest

from posescore.errors import ModelError
from posescore.model_card import card_path, checked_card, file_sha256


def _model(tmp_path, content=b"model bytes"):
    path = tmp_path / "m.skops"
    path.write_bytes(content)
    card_path(path).write_text(json.dumps({"sha256": file_sha256(path), "measures": []}))
    return path


def test_a_matching_card_is_returned(tmp_path):
    path = _model(tmp_path)
    assert checked_card(path)["sha256"] == file_sha256(path)


def test_missing_file_missing_card_bad_card_and_altered_file_are_refused(tmp_path):
    with pytest.raises(ModelError, match="model file not found: none.skops"):
        checked_card(tmp_path / "none.skops")
    path = _model(tmp_path)
    path.write_bytes(b"replaced")
    with pytest.raises(ModelError, match="does not match the SHA-256"):
        checked_card(path)
    card_path(path).write_text("{not json")
    with pytest.raises(ModelError, match="not valid JSON"):
        checked_card(path)
    card_path(path).unlink()
    with pytest.raises(ModelError, match="model card not found"):
        checked_card(path)


def test_checking_a_card_imports_no_scikit_learn(tmp_path):
    path = _model(tmp_path)
    code = ("import sys; from posescore.model_card import checked_card; "
            f"checked_card({str(path)!r}); print('sklearn' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "False"
