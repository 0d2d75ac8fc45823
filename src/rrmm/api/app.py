"""The clinic service (``rrmm serve``): REST API under ``/v1``, CDS Hooks under ``/cds-services`` and the web
app at ``/``. An interface only: it authenticates, reads and writes through :class:`rrmm.db.Repository`
(which audits every read and write) and calls the library (planner, toxicity, trials, FHIR, reports).

Errors: an invalid record or bundle is 422 with the path of the entry at fault; no credentials 401; a role
that may not do it 403; an unknown patient 404; a patient id already taken 409.
"""

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import Body, Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict

from rrmm.db import AlreadyExists, NotFound, PatientInfo, PermissionDenied, Repository, UserInfo
from rrmm.planning.plan import Plan
from rrmm.record import Record, RecordError
from rrmm.record.load import record_from_mapping
from rrmm.trials.study import Study

if TYPE_CHECKING:
    import httpx

log = logging.getLogger("rrmm.api")

_PATIENT_PATH = re.compile(r"(/patients/)[^/?\s\"]+")


class RedactPatientIds(logging.Filter):
    """Access logs carry request paths, and paths carry patient ids: each ``/patients/<id>`` is logged as
    ``/patients/*`` (logs carry no patient data)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _PATIENT_PATH.sub(r"\1*", a) if isinstance(a, str) else a for a in record.args
            )
        record.msg = _PATIENT_PATH.sub(r"\1*", str(record.msg))
        return True


def redact_access_logs() -> None:
    """Install :class:`RedactPatientIds` on uvicorn's access logger (once)."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactPatientIds) for f in access.filters):
        access.addFilter(RedactPatientIds())


SESSION_COOKIE = "rrmm_session"
Jurisdiction = Literal["us", "eu"]


@dataclass
class Settings:
    """What the service needs besides the database: the URL it is reached at from outside (links in CDS
    cards, and the ``aud`` a CDS client's JWT must name: behind a proxy, the proxy's https URL), the trial
    corpus (loaded once at start; ``None`` when there is none), and the HTTP client that fetches a
    registered CDS client's JWK Set from its ``jku`` (``None``: a default client; tests pass a mock)."""

    app_url: str = "http://127.0.0.1:8000"
    studies: list[Study] | None = None
    http: "httpx.Client | None" = None

    def plan(self, record: Record, jurisdiction: str = "us") -> Plan:
        """The plan of ``rrmm plan`` for a stored record, against this server's trial corpus."""
        from rrmm.planning import build_plan

        return build_plan(record, jurisdiction, self.studies)


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class TokenOut(_Out):
    access_token: str
    token_type: str = "bearer"


class Credentials(_Out):
    username: str
    password: str


class PatientOut(_Out):
    id: str
    updated_at: str
    updated_by: str
    summary: str
    warnings: list[str] = []


class PlanSaved(_Out):
    id: int
    patient_id: str
    created_at: str
    created_by: str
    kb_version: str


class AuditOut(_Out):
    at: str
    actor: str
    action: str
    patient_id: str | None
    detail: str


def _patient_out(info: PatientInfo, warnings: list[str] | None = None) -> PatientOut:
    return PatientOut(
        id=info.id,
        updated_at=info.updated_at.isoformat(),
        updated_by=info.updated_by,
        summary=info.summary,
        warnings=warnings or [],
    )


def unprocessable(loc: str, message: str) -> HTTPException:
    return HTTPException(status_code=422, detail=[{"loc": loc.split(".") if loc else [], "msg": message}])


def record_from_body(body: Any) -> tuple[Record, list[str]]:
    """A record from a request body that is either a record (schema version 1) or a FHIR Bundle."""
    if not isinstance(body, dict):
        raise unprocessable("", "the body must be a JSON object: a patient record or a FHIR Bundle")
    if body.get("resourceType") == "Bundle":
        from rrmm.fhir.importer import FhirImportError, import_bundle

        try:
            result = import_bundle(body)
        except FhirImportError as exc:
            raise unprocessable(exc.resource, exc.message) from None
        return result.record, [str(w) for w in result.warnings]
    try:
        return record_from_mapping(body), []
    except RecordError as exc:
        raise unprocessable(exc.path, exc.message) from None


def create_app(repo: Repository, settings: Settings | None = None) -> FastAPI:
    """The whole service on one repository (tests pass one on a temporary database)."""
    settings = settings or Settings()
    redact_access_logs()
    app = FastAPI(
        title="rrmm",
        version="1",
        description="Clinical decision support for relapsed/refractory multiple myeloma. Every patient read "
        "and write is authenticated and audited.",
    )
    app.state.repo = repo
    app.state.settings = settings

    @app.exception_handler(NotFound)
    def _not_found(_: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse(status_code=404, content={"detail": str(exc) or "not found"})

    @app.exception_handler(PermissionDenied)
    def _forbidden(_: Request, exc: PermissionDenied) -> JSONResponse:
        return JSONResponse(status_code=403, content={"detail": str(exc) or "forbidden for this role"})

    @app.exception_handler(AlreadyExists)
    def _conflict(_: Request, exc: AlreadyExists) -> JSONResponse:
        return JSONResponse(status_code=409, content={"detail": str(exc) or "already exists"})

    def current_user(request: Request) -> UserInfo:
        """A bearer token (API) or a session cookie (browser); 401 otherwise."""
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            user = repo.user_for_token(header[7:].strip())
            if user is not None:
                return user
        session = request.cookies.get(SESSION_COOKIE)
        if session:
            found = repo.session_user(session)
            if found is not None:
                return found[0]
        raise HTTPException(
            status_code=401, detail="authentication required", headers={"WWW-Authenticate": "Bearer"}
        )

    User = Annotated[UserInfo, Depends(current_user)]

    def load(patient_id: str, user: UserInfo) -> Record:
        return repo.get_patient(patient_id, user)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v1/auth/token", response_model=TokenOut, tags=["auth"])
    def token(credentials: Credentials) -> TokenOut:
        """Exchange a username and password for a bearer token (30 days)."""
        user = repo.authenticate(credentials.username, credentials.password)
        if user is None:
            raise HTTPException(status_code=401, detail="wrong username or password")
        return TokenOut(access_token=repo.issue_token(user.username))

    @app.get("/v1/patients", response_model=list[PatientOut], tags=["patients"])
    def list_patients(
        user: User, search: Annotated[str | None, Query(max_length=100)] = None
    ) -> list[PatientOut]:
        return [_patient_out(p) for p in repo.list_patients(user, search)]

    @app.post("/v1/patients", response_model=PatientOut, status_code=201, tags=["patients"])
    def create_patient(user: User, body: Annotated[dict[str, Any], Body()]) -> PatientOut:
        """Create a patient from a record (schema version 1) or a FHIR R4 Bundle."""
        record, warnings = record_from_body(body)
        return _patient_out(repo.create_patient(record, user), warnings)

    @app.get("/v1/patients/{patient_id}", tags=["patients"])
    def read_patient(user: User, patient_id: str) -> dict[str, Any]:
        return load(patient_id, user).model_dump(mode="json", exclude_defaults=True)

    @app.put("/v1/patients/{patient_id}", response_model=PatientOut, tags=["patients"])
    def update_patient(user: User, patient_id: str, body: Annotated[dict[str, Any], Body()]) -> PatientOut:
        record, warnings = record_from_body(body)
        if record.id != patient_id:
            raise unprocessable("id", f"the record's id {record.id!r} is not {patient_id!r}")
        return _patient_out(repo.update_patient(patient_id, record, user), warnings)

    @app.delete("/v1/patients/{patient_id}", status_code=204, tags=["patients"])
    def delete_patient(user: User, patient_id: str) -> Response:
        repo.delete_patient(patient_id, user)
        return Response(status_code=204)

    @app.get("/v1/patients/{patient_id}/plan", tags=["plan"])
    def plan(user: User, patient_id: str, jurisdiction: Jurisdiction = "us") -> dict[str, Any]:
        """The plan as of the record's date (the command line's JSON), computed now, not saved."""
        result: dict[str, Any] = settings.plan(load(patient_id, user), jurisdiction).model_dump(mode="json")
        return result

    @app.post("/v1/patients/{patient_id}/plans", response_model=PlanSaved, status_code=201, tags=["plan"])
    def save_plan(user: User, patient_id: str, jurisdiction: Jurisdiction = "us") -> PlanSaved:
        """Compute the plan and keep it, with the knowledge-base version it was made with."""
        result = settings.plan(load(patient_id, user), jurisdiction)
        saved = repo.save_plan(
            patient_id, result.model_dump(mode="json"), result.knowledge_base.version, user
        )
        return PlanSaved(
            id=saved.id,
            patient_id=saved.patient_id,
            created_at=saved.created_at.isoformat(),
            created_by=saved.created_by,
            kb_version=saved.kb_version,
        )

    @app.get("/v1/patients/{patient_id}/plans", response_model=list[PlanSaved], tags=["plan"])
    def saved_plans(user: User, patient_id: str) -> list[PlanSaved]:
        return [
            PlanSaved(
                id=p.id,
                patient_id=p.patient_id,
                created_at=p.created_at.isoformat(),
                created_by=p.created_by,
                kb_version=p.kb_version,
            )
            for p in repo.plans(patient_id, user)
        ]

    @app.get("/v1/patients/{patient_id}/trials", tags=["plan"])
    def trials(user: User, patient_id: str) -> list[dict[str, Any]]:
        """Trials of the local corpus matched criterion by criterion (empty without a corpus)."""
        result = settings.plan(load(patient_id, user), "us")
        return [t.model_dump(mode="json") for t in result.trials]

    @app.get("/v1/patients/{patient_id}/toxicity", tags=["plan"])
    def toxicity(user: User, patient_id: str) -> dict[str, Any]:
        out: dict[str, Any] = settings.plan(load(patient_id, user), "us").toxicity.model_dump(mode="json")
        return out

    @app.get("/v1/patients/{patient_id}/fhir", tags=["fhir"])
    def patient_fhir(user: User, patient_id: str) -> dict[str, Any]:
        """The record as a FHIR R4 collection Bundle."""
        from rrmm.fhir.exporter import record_to_bundle

        return record_to_bundle(load(patient_id, user))

    @app.get("/v1/patients/{patient_id}/plan/fhir", tags=["fhir"])
    def plan_fhir(user: User, patient_id: str, jurisdiction: Jurisdiction = "us") -> dict[str, Any]:
        """The plan as a FHIR R4 Bundle with a RequestGroup."""
        from rrmm.fhir.plan import plan_to_bundle

        return plan_to_bundle(settings.plan(load(patient_id, user), jurisdiction))

    def report(render: Callable[[Any, Record], Any], user: UserInfo, patient_id: str) -> Any:
        record = load(patient_id, user)
        return render(settings.plan(record, "us"), record)

    @app.get(
        "/v1/patients/{patient_id}/reports/tumor-board.html", response_class=HTMLResponse, tags=["reports"]
    )
    def tumor_board_html(user: User, patient_id: str) -> HTMLResponse:
        from rrmm.report.html import tumor_board_html as render

        return HTMLResponse(report(render, user, patient_id))

    @app.get("/v1/patients/{patient_id}/reports/tumor-board.pdf", tags=["reports"])
    def tumor_board_pdf(user: User, patient_id: str) -> Response:
        from rrmm.report.pdf import tumor_board_pdf as render

        pdf = report(render, user, patient_id)
        headers = {"Content-Disposition": f'inline; filename="tumor-board-{patient_id}.pdf"'}
        return Response(content=pdf, media_type="application/pdf", headers=headers)

    @app.get(
        "/v1/patients/{patient_id}/reports/patient-summary.html",
        response_class=HTMLResponse,
        tags=["reports"],
    )
    def patient_summary(user: User, patient_id: str) -> HTMLResponse:
        from rrmm.report.patient import patient_summary_html as render

        return HTMLResponse(report(render, user, patient_id))

    @app.get("/v1/audit", response_model=list[AuditOut], tags=["audit"])
    def audit(
        user: User,
        patient_id: str | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    ) -> list[AuditOut]:
        return [
            AuditOut(
                at=a.at.isoformat(), actor=a.actor, action=a.action, patient_id=a.patient_id, detail=a.detail
            )
            for a in repo.audit_log(user, patient_id, limit)
        ]

    from rrmm.api.cds_routes import add_cds_routes
    from rrmm.web.routes import add_web_routes

    add_cds_routes(app, repo, settings, current_user)
    add_web_routes(app, repo, settings)
    return app
