"""posescore's typed output contract: pydantic models of every JSON it writes.

The models are the contract; ``python -m posescore.contract --write docs/schema`` writes
their JSON Schemas (``docs/schema/*.json``), which a test keeps in step.
"""

import json

from posescore.contract.base import Contract
from posescore.contract.compare import COMPARE_SCHEMA, Comparison
from posescore.contract.course import COURSE_SCHEMA, Course, Profile
from posescore.contract.notices import Notice, NoticeCode, Stage
from posescore.contract.score import Score
from posescore.contract.visit import VISIT_SCHEMA, Visit
from posescore.contract.visit_change import (
    VISIT_COMPARE_SCHEMA,
    VISIT_COURSE_SCHEMA,
    VisitComparison,
    VisitCourse,
)

SCHEMAS: dict[str, type[Contract]] = {
    "score": Score,
    "comparison": Comparison,
    "course": Course,
    "profile": Profile,
    "visit": Visit,
    "visit_comparison": VisitComparison,
    "visit_course": VisitCourse,
}
"""File stem in docs/schema -> model."""


def schema_texts() -> dict[str, str]:
    """File name -> JSON Schema text of each contract model (as committed in docs/schema)."""
    return {
        f"{stem}.json": json.dumps(model.model_json_schema(by_alias=True), indent=2) + "\n"
        for stem, model in SCHEMAS.items()
    }

__all__ = [
    "COMPARE_SCHEMA",
    "COURSE_SCHEMA",
    "SCHEMAS",
    "Comparison",
    "Contract",
    "Course",
    "Notice",
    "NoticeCode",
    "Profile",
    "Score",
    "Stage",
    "VISIT_COMPARE_SCHEMA",
    "VISIT_COURSE_SCHEMA",
    "VISIT_SCHEMA",
    "Visit",
    "VisitComparison",
    "VisitCourse",
    "schema_texts",
]
