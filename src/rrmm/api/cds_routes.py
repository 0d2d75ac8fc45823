"""CDS Hooks 2.0 routes: discovery at ``GET /cds-services`` and the ``patient-view`` service.

The cards are made by :mod:`rrmm.api.cds` from the prefetched FHIR data. A call is authenticated either as
the specification has it, by a JWT the EHR signs for the call (:mod:`rrmm.api.cds_auth`; the EHR is
registered with ``rrmm cds-clients add`` and acts as its service-account user), or by the bearer token of
an rrmm user. The patient it was about is audited as a read, with the client that asked.
"""

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Body, Depends, FastAPI, HTTPException, Request
from pydantic import ValidationError

from rrmm.api.cds_auth import CdsAuthError, ClientKeys, JwksCache, is_jwt, verify_client_jwt
from rrmm.db import CdsClientInfo, Repository, UserInfo

if TYPE_CHECKING:
    from rrmm.api.app import Settings

log = logging.getLogger("rrmm.api")


def add_cds_routes(
    app: FastAPI, repo: Repository, settings: "Settings", current_user: Callable[[Request], UserInfo]
) -> None:
    from rrmm.api import cds

    jwks_cache = JwksCache(settings.http)

    def refuse(reason: str) -> HTTPException:
        log.warning("cds-auth refused: %s", reason)  # the reason names no claim value, key or patient
        return HTTPException(
            status_code=401,
            detail=reason,
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )

    def cds_caller(request: Request) -> tuple[UserInfo, str]:
        """The user a call acts as, and who made it (for the audit): a registered CDS client's JWT whose
        ``aud`` is this endpoint's public URL, or else an rrmm bearer token or session."""
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        if not is_jwt(token):
            return current_user(request), "rrmm token"
        clients: dict[str, CdsClientInfo] = {}

        def client_keys(issuer: str) -> ClientKeys | None:
            found = repo.cds_client(issuer)
            if found is None:
                return None
            clients[issuer] = found
            return ClientKeys(found.jwks, found.jku)

        audience = settings.app_url.rstrip("/") + request.url.path
        try:
            call = verify_client_jwt(
                token, audience=audience, client_keys=client_keys, fetch_jwks=jwks_cache.get
            )
        except CdsAuthError as exc:
            raise refuse(str(exc)) from None
        if not repo.claim_jti(call.issuer, call.jti, call.expires_at):
            raise refuse("the JWT's jti was already used (replay)")
        who = f"cds client {call.issuer}" + (f", tenant {call.tenant}" if call.tenant else "")
        return clients[call.issuer].user, who

    @app.get("/cds-services", tags=["cds-hooks"])
    def discovery() -> dict[str, Any]:
        """CDS Hooks discovery: the services this server offers (no patient data, so no credentials)."""
        return cds.discovery()

    @app.post(f"/cds-services/{cds.SERVICE_ID}", tags=["cds-hooks"])
    def patient_view(
        caller: Annotated[tuple[UserInfo, str], Depends(cds_caller)],
        body: Annotated[dict[str, Any], Body()],
    ) -> dict[str, Any]:
        """patient-view: cards with the disease state, the top options and what needs action now."""
        user, who = caller
        try:
            request = cds.CdsRequest.model_validate(body)
        except (ValidationError, ValueError) as exc:
            raise HTTPException(status_code=422, detail=str(exc).splitlines()[0]) from None
        if not request.prefetch or "patient" in cds.missing_prefetch(request):
            # CDS Hooks 2.0: a service that cannot obtain the data it needs SHALL answer 412 (rrmm does not
            # query the EHR's FHIR server itself)
            raise HTTPException(status_code=412, detail="prefetch with the patient is required")
        repo.record_access(user, "cds-read", request.context.patientId, who[:500])
        return cds.cds_response(request, settings.app_url)
