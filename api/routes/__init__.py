"""The ``/v1`` API: one module per resource (jobs, comparisons, patients, visits), the model card.

Every route needs a key (checked by ``api.limits.GuardMiddleware`` before the body is read)
and looks ids up within the caller's tenant (``api.tenancy``); ``api.audit`` records every
call that reads or writes a patient's data.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request

from api.routes import (  # noqa: F401 (importing adds their routes)
    comparisons,
    jobs,
    patients,
    visits,
)
from api.routes.deps import needs, v1


@v1.get("/model", dependencies=[needs("read")])
def model_info(request: Request) -> dict[str, Any]:
    """Return the model card of the severity model the workers use."""
    return request.app.state.model.card
