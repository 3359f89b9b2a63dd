"""docs/features.md must match the feature and phenomenology registries."""

from posescore.featuredoc import DOC_PATH, features_markdown
from posescore.features import FEATURES
from posescore.phenomenology import PHENOMENOLOGY


def test_features_doc_matches_registry():
    assert DOC_PATH.is_file(), "run: python -m posescore.featuredoc"
    assert DOC_PATH.read_text(encoding="utf-8") == features_markdown(), (
        "docs/features.md is out of date; run: python -m posescore.featuredoc"
    )


def test_every_registered_name_is_documented():
    text = features_markdown()
    for name in [*FEATURES, *PHENOMENOLOGY]:
        assert f"`{name}`" in text
