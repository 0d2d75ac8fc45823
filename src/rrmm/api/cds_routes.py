"""CDS Hooks 2.0 routes: discovery at ``GET /cds-services`` and the ``patient-view`` service.

The cards are made by :mod:`rrmm.api.cds` from the prefetched FHIR data; the call needs a bearer token of an
rrmm user (the EHR's service account), and the patient it was about is audited as a read.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Body, Depends, FastAPI, HTTPException, Request
from pydantic import ValidationError

from rrmm.db import Repository, UserInfo

if TYPE_CHECKING:
    from rrmm.api.app import Settings


def add_cds_routes(
    app: FastAPI, repo: Repository, settings: "Settings", current_user: Callable[[Request], UserInfo]
) -> None:
    from rrmm.api import cds

    @app.get("/cds-services", tags=["cds-hooks"])
    def discovery() -> dict[str, Any]:
        """CDS Hooks discovery: the services this server offers."""
        return cds.discovery()

    @app.post(f"/cds-services/{cds.SERVICE_ID}", tags=["cds-hooks"])
    def patient_view(
        user: Annotated[UserInfo, Depends(current_user)], body: Annotated[dict[str, Any], Body()]
    ) -> dict[str, Any]:
        """patient-view: cards with the disease state, the top options and what needs action now."""
        try:
            request = cds.CdsRequest.model_validate(body)
        except (ValidationError, ValueError) as exc:
            raise HTTPException(status_code=422, detail=str(exc).splitlines()[0]) from None
        if not request.prefetch or "patient" in cds.missing_prefetch(request):
            # CDS Hooks 2.0: a service that cannot obtain the data it needs SHALL answer 412 (rrmm does not
            # query the EHR's FHIR server itself)
            raise HTTPException(status_code=412, detail="prefetch with the patient is required")
        repo.record_access(user, "cds-read", request.context.patientId)
        return cds.cds_response(request, settings.app_url)
