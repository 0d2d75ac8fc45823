"""The web app (Jinja2 + HTMX, no front-end build): login, patient list with search, import, the patient
page (timeline and trajectory charts, disease state, options, not recommended, trials, toxicity and
supportive care, ordered for the reader's role), the tumor-board PDF and the patient's summary.

Sessions are server-side (a random id in an HttpOnly, SameSite=Strict cookie); every form carries the
session's CSRF token, checked on POST; the login form uses a double-submit cookie. No clinical logic here.
"""

import json
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import FastAPI, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.datastructures import UploadFile

from rrmm.db import DELETE_ROLES, WRITE_ROLES, AlreadyExists, NotFound, PermissionDenied, Repository, UserInfo

if TYPE_CHECKING:
    from rrmm.api.app import Settings

HERE = Path(__file__).parent
SESSION_COOKIE = "rrmm_session"
LOGIN_CSRF_COOKIE = "rrmm_login_csrf"

#: The order of the patient page's sections for each role: what each reader needs first.
VIEWS: dict[str, tuple[str, ...]] = {
    "hematologist": (
        "state",
        "options",
        "excluded",
        "trials",
        "toxicity",
        "interactions",
        "care",
        "timeline",
    ),
    "pharmacist": ("toxicity", "interactions", "options", "care", "state", "excluded", "trials", "timeline"),
    "nurse": ("toxicity", "care", "interactions", "state", "options", "timeline", "excluded", "trials"),
    "read-only": ("state", "options", "excluded", "trials", "toxicity", "interactions", "care", "timeline"),
}


class _Redirect(Exception):
    def __init__(self, to: str) -> None:
        self.to = to


def add_web_routes(app: FastAPI, repo: Repository, settings: "Settings") -> None:
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.exception_handler(_Redirect)
    def _redirect(_: Request, exc: _Redirect) -> Response:
        return RedirectResponse(exc.to, status_code=303)

    def session(request: Request) -> tuple[UserInfo, str]:
        sid = request.cookies.get(SESSION_COOKIE)
        found = repo.session_user(sid) if sid else None
        if found is None:
            raise _Redirect(f"/login?next={request.url.path}")
        return found

    def check_csrf(expected: str, given: str | None) -> None:
        if not given or not secrets.compare_digest(expected, given):
            raise HTTPException(status_code=403, detail="the form's CSRF token is missing or wrong")

    def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        return templates.TemplateResponse(request, name, context, status_code=status)

    @app.get("/", include_in_schema=False)
    def home() -> Response:
        return RedirectResponse("/patients", status_code=303)

    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_form(request: Request, next: str = "/patients", error: str | None = None) -> HTMLResponse:
        token = secrets.token_urlsafe(24)
        response = page(request, "login.html", next=_safe_next(next), csrf=token, error=error)
        response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", max_age=3600)
        return response

    @app.post("/login", include_in_schema=False)
    def login(
        request: Request,
        username: Annotated[str, Form()],
        password: Annotated[str, Form()],
        csrf_token: Annotated[str, Form()],
        next: Annotated[str, Form()] = "/patients",
    ) -> Response:
        check_csrf(request.cookies.get(LOGIN_CSRF_COOKIE, ""), csrf_token)
        user = repo.authenticate(username, password)
        if user is None:
            return RedirectResponse("/login?error=1", status_code=303)
        sid, _ = repo.new_session(user.username)
        response = RedirectResponse(_safe_next(next), status_code=303)
        response.set_cookie(SESSION_COOKIE, sid, httponly=True, samesite="strict", max_age=12 * 3600)
        response.delete_cookie(LOGIN_CSRF_COOKIE)
        return response

    @app.post("/logout", include_in_schema=False)
    def logout(request: Request, csrf_token: Annotated[str, Form()]) -> Response:
        _, csrf = session(request)
        check_csrf(csrf, csrf_token)
        repo.end_session(request.cookies.get(SESSION_COOKIE, ""))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    @app.get("/patients", response_class=HTMLResponse, include_in_schema=False)
    def patients(request: Request, q: str | None = None) -> HTMLResponse:
        user, csrf = session(request)
        rows = repo.list_patients(user, q or None)
        name = "_patient_rows.html" if request.headers.get("hx-request") else "patients.html"
        return page(
            request, name, user=user, csrf=csrf, rows=rows, q=q or "", can_write=user.role in WRITE_ROLES
        )

    @app.get("/import", response_class=HTMLResponse, include_in_schema=False)
    def import_form(request: Request) -> HTMLResponse:
        user, csrf = session(request)
        return page(request, "import.html", user=user, csrf=csrf, errors=[], warnings=[], form={})

    @app.post("/import", response_class=HTMLResponse, include_in_schema=False)
    async def import_submit(request: Request) -> Response:
        from rrmm.api.app import record_from_body

        user, csrf = session(request)
        form = await request.form()
        check_csrf(csrf, _text(form.get("csrf_token")))
        upload = form.get("file")
        fields = {k: _text(v) for k, v in form.items() if k not in ("file", "csrf_token")}
        try:
            if isinstance(upload, UploadFile) and upload.filename:
                body: Any = json.loads(await upload.read())
            else:
                body = essentials_record(fields)
            record, warnings = record_from_body(body)
            repo.create_patient(record, user)
        except json.JSONDecodeError as exc:
            return _import_error(page, request, user, csrf, fields, f"the file is not JSON: {exc.msg}")
        except HTTPException as exc:
            return _import_error(page, request, user, csrf, fields, _detail(exc.detail))
        except ValueError as exc:
            return _import_error(page, request, user, csrf, fields, str(exc))
        except AlreadyExists:
            return _import_error(page, request, user, csrf, fields, f"a patient {record.id!r} already exists")
        except PermissionDenied:
            return page(request, "forbidden.html", status=403, user=user, csrf=csrf)
        if warnings:
            return page(
                request,
                "import.html",
                user=user,
                csrf=csrf,
                errors=[],
                warnings=warnings,
                form={},
                created=record.id,
            )
        return RedirectResponse(f"/patients/{record.id}", status_code=303)

    @app.get("/patients/{patient_id}", response_class=HTMLResponse, include_in_schema=False)
    def patient_page(request: Request, patient_id: str, view: str | None = None) -> HTMLResponse:
        from rrmm.report.charts import swimmer_svg, trajectory_svg

        user, csrf = session(request)
        try:
            record = repo.get_patient(patient_id, user)
        except NotFound:
            return page(request, "not_found.html", status=404, user=user, csrf=csrf, patient_id=patient_id)
        plan = settings.plan(record)
        chosen = view if view in VIEWS else user.role
        return page(
            request,
            "patient.html",
            user=user,
            csrf=csrf,
            record=record,
            plan=plan,
            sections=VIEWS.get(chosen, VIEWS["read-only"]),
            view=chosen,
            views=[v for v in VIEWS if v != "read-only"],
            swimmer=swimmer_svg(plan, record),
            trajectory=trajectory_svg(record, plan),
            can_delete=user.role in DELETE_ROLES,
        )

    @app.post("/patients/{patient_id}/delete", include_in_schema=False)
    def delete(request: Request, patient_id: str, csrf_token: Annotated[str, Form()]) -> Response:
        user, csrf = session(request)
        check_csrf(csrf, csrf_token)
        try:
            repo.delete_patient(patient_id, user)
        except PermissionDenied:
            return page(request, "forbidden.html", status=403, user=user, csrf=csrf)
        return RedirectResponse("/patients", status_code=303)

    @app.get("/patients/{patient_id}/report.pdf", include_in_schema=False)
    def report_pdf(request: Request, patient_id: str) -> Response:
        from rrmm.report.pdf import tumor_board_pdf

        user, _ = session(request)
        record = repo.get_patient(patient_id, user)
        pdf = tumor_board_pdf(settings.plan(record), record)
        return Response(
            pdf,
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="tumor-board-{patient_id}.pdf"'},
        )

    @app.get("/patients/{patient_id}/summary", response_class=HTMLResponse, include_in_schema=False)
    def summary(request: Request, patient_id: str) -> HTMLResponse:
        from rrmm.report.patient import patient_summary_html

        user, _ = session(request)
        record = repo.get_patient(patient_id, user)
        return HTMLResponse(patient_summary_html(settings.plan(record), record))


def _safe_next(target: str) -> str:
    """Only a path on this site (no open redirect)."""
    return target if target.startswith("/") and not target.startswith("//") else "/patients"


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _detail(detail: Any) -> str:
    if isinstance(detail, list) and detail and isinstance(detail[0], dict):
        loc = ".".join(str(p) for p in detail[0].get("loc", []))
        return f"{loc}: {detail[0].get('msg')}" if loc else str(detail[0].get("msg"))
    return str(detail)


def _import_error(
    page: Callable[..., HTMLResponse],
    request: Request,
    user: UserInfo,
    csrf: str,
    form: dict[str, str],
    error: str,
) -> HTMLResponse:
    return page(
        request, "import.html", status=422, user=user, csrf=csrf, errors=[error], warnings=[], form=form
    )


def essentials_record(fields: dict[str, str]) -> dict[str, Any]:
    """A record (schema version 1) from the essentials form: id, sex, age or birth date, diagnosis date,
    ECOG, up to five therapy rows (drug, start, end, stop reason) and the other medicines taken now (one per
    line, without dates). Empty fields are left out, never filled with a default; the record's own
    validation names what is wrong."""

    def get(name: str) -> str | None:
        value = fields.get(name, "").strip()
        return value or None

    record: dict[str, Any] = {
        "schema_version": "1",
        "id": get("id") or "",
        "sex": get("sex") or "unknown",
        "diagnosis": {"date": get("diagnosis_date") or ""},
        "therapies": [],
    }
    if get("age"):
        try:
            record["age"] = int(get("age") or "")
        except ValueError:
            raise ValueError("age: give a whole number of years") from None
    if get("birth_date"):
        record["birth_date"] = get("birth_date")
    if get("as_of"):
        record["as_of"] = get("as_of")
    if get("ecog") and get("ecog_date"):
        try:
            record["performance_status"] = [{"date": get("ecog_date"), "ecog": int(get("ecog") or "")}]
        except ValueError:
            raise ValueError("ecog: give 0 to 4") from None
    for i in range(5):
        drug = get(f"drug_{i}")
        if not drug:
            continue
        therapy: dict[str, Any] = {"drug": drug, "start": get(f"start_{i}") or ""}
        if get(f"end_{i}"):
            therapy["end"] = get(f"end_{i}")
        if get(f"stop_{i}"):
            therapy["stop_reason"] = get(f"stop_{i}")
        record["therapies"].append(therapy)
    medicines = [" ".join(line.split()) for line in fields.get("medications", "").splitlines()]
    if any(medicines):
        record["medications"] = [{"name": m} for m in medicines if m]
    return record
