"""docs/features.md must match the feature and phenomenology registries."""

from posescore.featuredoc import (
    DOC_PATH,
    NORMATIVE_DOC_PATH,
    PUBLISHED_NORMAL,
    features_markdown,
    normative_markdown,
)
from posescore.features import FEATURES
from posescore.normative import load_reference
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


def test_normative_doc_matches_the_shipped_reference():
    reference = load_reference()
    assert NORMATIVE_DOC_PATH.read_text(encoding="utf-8") == normative_markdown(reference), (
        "docs/normative.md is out of date; run: python -m posescore.featuredoc"
    )
    assert set(PUBLISHED_NORMAL) <= set(reference.measures)


def test_model_card_doc_matches_the_shipped_card():
    import json

    from posescore.featuredoc import MODEL_CARD_DOC_PATH, model_card_markdown
    from posescore.model_file import DEFAULT_MODEL_PATH, card_path

    card = json.loads(card_path(DEFAULT_MODEL_PATH).read_text(encoding="utf-8"))
    assert MODEL_CARD_DOC_PATH.read_text(encoding="utf-8") == model_card_markdown(card), (
        "docs/model_card.md is out of date; run: python -m posescore.featuredoc"
    )
    for family in card["expression_families"]:
        assert f"`{family}`" in MODEL_CARD_DOC_PATH.read_text(encoding="utf-8")
