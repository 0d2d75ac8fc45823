"""Patients, plans and the audit log (both backends): roles, auditing, and atomic writes."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from db.support import Clock, patient
from rrmm.db import (
    AUDIT_ACTIONS,
    DELETE_ROLES,
    ROLES,
    WRITE_ROLES,
    AlreadyExists,
    AuditEntry,
    NotFound,
    PatientInfo,
    PermissionDenied,
    PlanInfo,
    Repository,
    UserInfo,
    patient_summary,
    record_json,
)
from rrmm.db.models import AuditRow, PatientRow, PlanRow
from rrmm.record import record_from_json

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.json"))
PLAN = {"options": [{"regimen": "DPd", "score": 0.8}], "warnings": [], "nested": {"a": [1, 2.5, None, True]}}


def audit_rows(engine: Engine) -> list[AuditRow]:
    with Session(engine) as session:
        return list(session.scalars(select(AuditRow).order_by(AuditRow.id)))


def actions(engine: Engine) -> list[tuple[str, str, str | None]]:
    return [(r.actor, r.action, r.patient_id) for r in audit_rows(engine)]


def count(engine: Engine, model: type[Any]) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


# -- create / get ----------------------------------------------------------------------------------------


def test_create_and_get(repo: Repository, doctor: UserInfo, clock: Clock) -> None:
    record = patient("pt-001")
    info = repo.create_patient(record, doctor)
    assert info == PatientInfo("pt-001", clock.now, doctor.username, "dx 2019-03-14, 3 therapies")
    assert repo.get_patient("pt-001", doctor) == record


def test_summary_counts_therapy_entries() -> None:
    assert patient_summary(patient(n_therapies=1)) == "dx 2019-03-14, 1 therapy"
    assert patient_summary(patient(n_therapies=0, dx="2021-11-02")) == "dx 2021-11-02, 0 therapies"
    assert patient_summary(patient(n_therapies=4)) == "dx 2019-03-14, 4 therapies"


def test_record_is_stored_as_its_json(repo: Repository, doctor: UserInfo, engine: Engine) -> None:
    record = patient("pt-001")
    repo.create_patient(record, doctor)
    with Session(engine) as session:
        stored = session.scalars(select(PatientRow.record)).one()
    assert stored == record.model_dump(mode="json", exclude_defaults=True) == record_json(record)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_records_round_trip(repo: Repository, doctor: UserInfo, path: Path) -> None:
    record = record_from_json(path.read_bytes())
    repo.create_patient(record, doctor)
    assert repo.get_patient(record.id, doctor) == record


def test_create_twice(repo: Repository, doctor: UserInfo, users: dict[str, UserInfo], engine: Engine) -> None:
    repo.create_patient(patient("pt-001", n_therapies=3), doctor)
    with pytest.raises(AlreadyExists):
        repo.create_patient(patient("pt-001", n_therapies=1), users["nurse"])
    assert repo.get_patient("pt-001", doctor).therapies == patient("pt-001", n_therapies=3).therapies
    assert [a for _, a, _ in actions(engine)] == ["create", "read"]


def test_get_unknown_patient(repo: Repository, doctor: UserInfo, engine: Engine) -> None:
    with pytest.raises(NotFound):
        repo.get_patient("nobody", doctor)
    assert actions(engine) == []


def test_times_are_aware_utc(repo: Repository, doctor: UserInfo) -> None:
    repo.create_patient(patient(), doctor)
    repo.save_plan("pt-001", PLAN, "kb-1", doctor)
    (info,) = repo.list_patients(doctor)
    (plan,) = repo.plans("pt-001", doctor)
    entries = repo.audit_log(doctor)
    for when in (info.updated_at, plan.created_at, *(e.at for e in entries)):
        assert when.tzinfo is not None and when.utcoffset() == timedelta(0)


def test_clock_in_another_zone_is_stored_as_utc(engine: Engine, doctor: UserInfo, clock: Clock) -> None:
    from datetime import timezone

    repo = Repository(engine, now=lambda: clock.now.astimezone(timezone(timedelta(hours=-5))))
    repo.create_patient(patient(), doctor)
    (info,) = repo.list_patients(doctor)
    assert info.updated_at == clock.now and info.updated_at.tzinfo == UTC


# -- list ------------------------------------------------------------------------------------------------


def test_list_and_search(repo: Repository, doctor: UserInfo, clock: Clock) -> None:
    repo.create_patient(patient("MM-B", n_therapies=1, dx="2020-05-01"), doctor)
    repo.create_patient(patient("mm-a", n_therapies=2), doctor)
    repo.create_patient(patient("other_1", n_therapies=4, dx="2018-01-01"), doctor)
    assert [p.id for p in repo.list_patients(doctor)] == ["MM-B", "mm-a", "other_1"]
    assert [p.id for p in repo.list_patients(doctor, "mm-")] == ["MM-B", "mm-a"]  # case-insensitive id
    assert [p.id for p in repo.list_patients(doctor, "Dx 2020")] == ["MM-B"]  # summary, any case
    assert [p.id for p in repo.list_patients(doctor, "4 THERAPIES")] == ["other_1"]
    assert [p.id for p in repo.list_patients(doctor, "r_")] == ["other_1"]  # _ is a literal, not a wildcard
    assert repo.list_patients(doctor, "%") == []  # so is %
    assert repo.list_patients(doctor, "nothing") == []
    assert [p.id for p in repo.list_patients(doctor, "")] == ["MM-B", "mm-a", "other_1"]
    assert repo.list_patients(doctor, "mm-a") == [
        PatientInfo("mm-a", clock.now, doctor.username, "dx 2019-03-14, 2 therapies")
    ]


def test_list_is_audited_without_patient_ids(repo: Repository, doctor: UserInfo, engine: Engine) -> None:
    repo.create_patient(patient("pt-001"), doctor)
    repo.create_patient(patient("pt-002"), doctor)
    repo.list_patients(doctor)
    repo.list_patients(doctor, "pt-002")
    lists = [r for r in audit_rows(engine) if r.action == "list"]
    assert [(r.actor, r.patient_id, r.detail) for r in lists] == [
        (doctor.username, None, "2 patients"),
        (doctor.username, None, "1 patients, filtered by a search"),
    ]
    assert not any("pt-00" in r.detail for r in lists)


# -- update ----------------------------------------------------------------------------------------------


def test_update(repo: Repository, users: dict[str, UserInfo], clock: Clock) -> None:
    doctor, nurse = users["hematologist"], users["nurse"]
    repo.create_patient(patient("pt-001", n_therapies=1), doctor)
    clock.advance(hours=2)
    changed = patient("pt-001", n_therapies=4, dx="2019-03-15")
    info = repo.update_patient("pt-001", changed, nurse)
    assert info == PatientInfo("pt-001", clock.now, nurse.username, "dx 2019-03-15, 4 therapies")
    assert repo.get_patient("pt-001", doctor) == changed
    assert repo.list_patients(doctor) == [info]


def test_update_checks_the_id(repo: Repository, doctor: UserInfo, engine: Engine) -> None:
    repo.create_patient(patient("pt-001"), doctor)
    with pytest.raises(ValueError, match="id"):
        repo.update_patient("pt-001", patient("pt-002"), doctor)
    with pytest.raises(NotFound):
        repo.update_patient("pt-404", patient("pt-404"), doctor)
    assert [a for _, a, _ in actions(engine)] == ["create"]


# -- delete ----------------------------------------------------------------------------------------------


def test_delete_removes_the_patient_and_its_plans(repo: Repository, doctor: UserInfo, engine: Engine) -> None:
    repo.create_patient(patient("pt-001"), doctor)
    repo.create_patient(patient("pt-002"), doctor)
    repo.save_plan("pt-001", PLAN, "kb-1", doctor)
    repo.save_plan("pt-001", PLAN, "kb-2", doctor)
    kept = repo.save_plan("pt-002", PLAN, "kb-1", doctor)
    repo.delete_patient("pt-001", doctor)
    with pytest.raises(NotFound):
        repo.get_patient("pt-001", doctor)
    with pytest.raises(NotFound):
        repo.plans("pt-001", doctor)
    assert [p.id for p in repo.list_patients(doctor)] == ["pt-002"]
    assert repo.plans("pt-002", doctor) == [kept]
    assert count(engine, PlanRow) == 1
    (deleted,) = [r for r in audit_rows(engine) if r.action == "delete"]
    assert (deleted.patient_id, deleted.detail) == ("pt-001", "2 plans deleted")
    # the patient's earlier audit rows stay
    assert [r.action for r in audit_rows(engine) if r.patient_id == "pt-001"] == [
        "create",
        "save-plan",
        "save-plan",
        "delete",
    ]
    with pytest.raises(NotFound):
        repo.delete_patient("pt-001", doctor)


def test_deleted_id_can_be_reused(repo: Repository, doctor: UserInfo) -> None:
    repo.create_patient(patient("pt-001", n_therapies=1), doctor)
    repo.delete_patient("pt-001", doctor)
    repo.create_patient(patient("pt-001", n_therapies=2), doctor)
    assert len(repo.get_patient("pt-001", doctor).therapies) == 2


# -- plans -----------------------------------------------------------------------------------------------


def test_save_plan_and_plans_newest_first(repo: Repository, users: dict[str, UserInfo], clock: Clock) -> None:
    doctor, pharmacist = users["hematologist"], users["pharmacist"]
    repo.create_patient(patient("pt-001"), doctor)
    assert repo.plans("pt-001", doctor) == []
    first = repo.save_plan("pt-001", PLAN, "kb-2026.1", doctor)
    assert first == PlanInfo(first.id, "pt-001", clock.now, doctor.username, "kb-2026.1", PLAN)
    clock.advance(minutes=1)
    second = repo.save_plan("pt-001", {"options": []}, "kb-2026.2", pharmacist)
    same_time = repo.save_plan("pt-001", {"n": 3}, "kb-2026.2", pharmacist)  # same instant: by id
    assert second.id != first.id
    assert repo.plans("pt-001", users["read-only"]) == [same_time, second, first]


def test_plan_json_round_trip(repo: Repository, doctor: UserInfo) -> None:
    repo.create_patient(patient(), doctor)
    plan = {"tuple": (1, 2), "text": "é ≥ 3 — ok", "float": 0.1, "big": 2**40}
    info = repo.save_plan("pt-001", plan, "kb", doctor)
    expected = json.loads(json.dumps(plan))
    assert info.plan == expected
    assert repo.plans("pt-001", doctor)[0].plan == expected


def test_save_plan_errors(repo: Repository, doctor: UserInfo, engine: Engine) -> None:
    with pytest.raises(NotFound):
        repo.save_plan("pt-404", PLAN, "kb", doctor)
    repo.create_patient(patient(), doctor)
    for bad_plan in ([1, 2], "text", {"x": {1, 2}}, {"x": float("nan")}):
        with pytest.raises(ValueError, match="plan"):
            repo.save_plan("pt-001", bad_plan, "kb", doctor)  # type: ignore[arg-type]
    for bad_kb in ("", "v" * 65):
        with pytest.raises(ValueError, match="kb_version"):
            repo.save_plan("pt-001", PLAN, bad_kb, doctor)
    assert count(engine, PlanRow) == 0
    assert [a for _, a, _ in actions(engine)] == ["create"]


def test_plans_unknown_patient(repo: Repository, doctor: UserInfo) -> None:
    with pytest.raises(NotFound):
        repo.plans("pt-404", doctor)


# -- permissions -----------------------------------------------------------------------------------------


def _operations(repo: Repository) -> dict[str, Callable[[UserInfo], object]]:
    return {
        "create": lambda u: repo.create_patient(patient("pt-new"), u),
        "read": lambda u: repo.get_patient("pt-001", u),
        "list": lambda u: repo.list_patients(u),
        "update": lambda u: repo.update_patient("pt-001", patient("pt-001", n_therapies=1), u),
        "delete": lambda u: repo.delete_patient("pt-001", u),
        "save-plan": lambda u: repo.save_plan("pt-001", PLAN, "kb", u),
        "read-plans": lambda u: repo.plans("pt-001", u),
        "read-audit": lambda u: repo.audit_log(u),
    }


ALLOWED = {
    "create": WRITE_ROLES,
    "read": set(ROLES),
    "list": set(ROLES),
    "update": WRITE_ROLES,
    "delete": DELETE_ROLES,
    "save-plan": WRITE_ROLES,
    "read-plans": set(ROLES),
    "read-audit": set(ROLES),
}


def test_error_classes() -> None:
    assert issubclass(NotFound, LookupError)  # rrmm users token catches LookupError
    assert not issubclass(AlreadyExists, ValueError)  # callers catch ValueError (bad input) first
    assert not issubclass(PermissionDenied, ValueError)


def test_role_sets() -> None:
    assert ROLES == ("hematologist", "pharmacist", "nurse", "read-only")
    assert {"hematologist", "pharmacist", "nurse"} == WRITE_ROLES
    assert {"hematologist"} == DELETE_ROLES


@pytest.mark.parametrize("operation", list(ALLOWED))
@pytest.mark.parametrize("role", ROLES)
def test_permissions(
    repo: Repository, users: dict[str, UserInfo], engine: Engine, role: str, operation: str
) -> None:
    repo.create_patient(patient("pt-001", n_therapies=3), users["hematologist"])
    repo.save_plan("pt-001", PLAN, "kb", users["hematologist"])
    before = actions(engine)
    run = _operations(repo)[operation]
    if role in ALLOWED[operation]:
        run(users[role])
        new = actions(engine)[len(before) :]
        assert new[-1][:2] == (users[role].username, operation)
    else:
        with pytest.raises(PermissionDenied, match=role):
            run(users[role])
        assert actions(engine) == before  # nothing changed, nothing audited
        assert repo.get_patient("pt-001", users["hematologist"]) == patient("pt-001", n_therapies=3)
        assert count(engine, PlanRow) == 1
        assert count(engine, PatientRow) == 1


@pytest.mark.parametrize("operation", list(ALLOWED))
def test_unknown_role_may_do_nothing(repo: Repository, doctor: UserInfo, operation: str) -> None:
    repo.create_patient(patient("pt-001"), doctor)
    with pytest.raises(PermissionDenied):
        _operations(repo)[operation](UserInfo(doctor.username, "admin"))


def test_read_only_user_end_to_end(repo: Repository, users: dict[str, UserInfo]) -> None:
    viewer = users["read-only"]
    repo.create_patient(patient("pt-001"), users["nurse"])
    repo.save_plan("pt-001", PLAN, "kb", users["pharmacist"])
    assert repo.get_patient("pt-001", viewer) == patient("pt-001")
    assert [p.id for p in repo.list_patients(viewer)] == ["pt-001"]
    assert len(repo.plans("pt-001", viewer)) == 1
    for denied in (
        lambda: repo.create_patient(patient("pt-002"), viewer),
        lambda: repo.update_patient("pt-001", patient("pt-001"), viewer),
        lambda: repo.delete_patient("pt-001", viewer),
        lambda: repo.save_plan("pt-001", PLAN, "kb", viewer),
    ):
        with pytest.raises(PermissionDenied):
            denied()


# -- the audit log ---------------------------------------------------------------------------------------


def test_every_read_and_write_is_audited(repo: Repository, users: dict[str, UserInfo], clock: Clock) -> None:
    doctor, nurse, viewer = users["hematologist"], users["nurse"], users["read-only"]
    expected: list[tuple[str, str, str | None]] = []

    def step(actor: UserInfo, action: str, patient_id: str | None, run: Callable[[], object]) -> None:
        clock.advance(seconds=1)
        run()
        expected.append((actor.username, action, patient_id))

    step(nurse, "create", "pt-001", lambda: repo.create_patient(patient("pt-001"), nurse))
    step(viewer, "read", "pt-001", lambda: repo.get_patient("pt-001", viewer))
    step(viewer, "list", None, lambda: repo.list_patients(viewer, "pt"))
    step(nurse, "update", "pt-001", lambda: repo.update_patient("pt-001", patient("pt-001", 1), nurse))
    step(doctor, "save-plan", "pt-001", lambda: repo.save_plan("pt-001", PLAN, "kb", doctor))
    step(viewer, "read-plans", "pt-001", lambda: repo.plans("pt-001", viewer))
    step(doctor, "login", None, lambda: repo.authenticate(doctor.username, "correct horse battery"))
    step(doctor, "login-failed", None, lambda: repo.authenticate(doctor.username, "not the password"))
    step(doctor, "delete", "pt-001", lambda: repo.delete_patient("pt-001", doctor))
    step(viewer, "read-audit", "pt-001", lambda: repo.audit_log(viewer, "pt-001"))

    clock.advance(seconds=1)
    entries = repo.audit_log(doctor)  # newest first; this reading is not among them
    start = clock.now - timedelta(seconds=len(expected))
    assert [(e.actor, e.action, e.patient_id) for e in reversed(entries)] == expected
    assert [e.at for e in reversed(entries)] == [start + timedelta(seconds=i) for i in range(len(expected))]
    assert {e.action for e in entries} | {"read-audit"} == set(AUDIT_ACTIONS)
    assert repo.audit_log(doctor, limit=1)[0] == AuditEntry(
        clock.now, doctor.username, "read-audit", None, f"{len(expected)} entries"
    )


def test_audit_log_filter_and_limit(repo: Repository, doctor: UserInfo, clock: Clock) -> None:
    for pid in ("pt-001", "pt-002"):
        repo.create_patient(patient(pid), doctor)
        clock.advance(seconds=1)
    repo.get_patient("pt-001", doctor)
    entries = repo.audit_log(doctor, "pt-001")
    assert [(e.action, e.patient_id) for e in entries] == [("read", "pt-001"), ("create", "pt-001")]
    assert [e.action for e in repo.audit_log(doctor, limit=2)] == ["read-audit", "read"]
    assert repo.audit_log(doctor, "pt-404") == []
    with pytest.raises(ValueError):
        repo.audit_log(doctor, limit=0)


def test_reading_the_audit_log_is_audited(
    repo: Repository, users: dict[str, UserInfo], engine: Engine
) -> None:
    repo.audit_log(users["nurse"], "pt-001", limit=5)
    (row,) = audit_rows(engine)
    assert (row.actor, row.action, row.patient_id, row.detail) == (
        "user-nurse",
        "read-audit",
        "pt-001",
        "0 entries",
    )


def test_record_access(repo: Repository, users: dict[str, UserInfo], engine: Engine, clock: Clock) -> None:
    repo.record_access(users["read-only"], "cds-read", "ehr-123")
    (entry,) = repo.audit_log(users["hematologist"], "ehr-123")
    assert entry == AuditEntry(clock.now, "user-read-only", "cds-read", "ehr-123", "")
    for bad in ("", "CDS", "cds read", "x" * 33):
        with pytest.raises(ValueError):
            repo.record_access(users["nurse"], bad, None)
    with pytest.raises(PermissionDenied):
        repo.record_access(UserInfo("x", "admin"), "cds-read", "ehr-123")


# -- a crash in the middle of a write leaves nothing half-written ------------------------------------------


class Crash(RuntimeError):
    pass


def _crash_after_the_write(
    repo: Repository, monkeypatch: pytest.MonkeyPatch, check: Callable[[Session], None]
) -> list[bool]:
    """Make the audit insert fail, after checking that the change itself is already in the transaction."""
    reached: list[bool] = []

    def audit(session: Session, *args: object, **kwargs: object) -> None:
        check(session)
        reached.append(True)
        raise Crash("the process died while writing the audit row")

    monkeypatch.setattr(repo, "_audit", audit)
    return reached


def test_crash_while_creating(
    repo: Repository, doctor: UserInfo, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def written(session: Session) -> None:
        assert session.execute(text("SELECT id FROM patients")).scalars().all() == ["pt-001"]

    reached = _crash_after_the_write(repo, monkeypatch, written)
    with pytest.raises(Crash):
        repo.create_patient(patient("pt-001"), doctor)
    assert reached == [True]
    monkeypatch.undo()
    assert count(engine, PatientRow) == 0
    assert count(engine, AuditRow) == 0
    with pytest.raises(NotFound):
        repo.get_patient("pt-001", doctor)
    repo.create_patient(patient("pt-001"), doctor)  # and the id is free


def test_crash_while_updating(
    repo: Repository, doctor: UserInfo, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = patient("pt-001", n_therapies=3)
    repo.create_patient(original, doctor)

    def written(session: Session) -> None:
        summary = session.execute(text("SELECT summary FROM patients")).scalar_one()
        assert summary == "dx 2019-03-14, 1 therapy"

    _crash_after_the_write(repo, monkeypatch, written)
    with pytest.raises(Crash):
        repo.update_patient("pt-001", patient("pt-001", n_therapies=1), doctor)
    monkeypatch.undo()
    assert repo.get_patient("pt-001", doctor) == original
    assert repo.list_patients(doctor)[0].summary == "dx 2019-03-14, 3 therapies"
    assert [a for _, a, _ in actions(engine)] == ["create", "read", "list"]


def test_crash_while_deleting(
    repo: Repository, doctor: UserInfo, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo.create_patient(patient("pt-001"), doctor)
    plan = repo.save_plan("pt-001", PLAN, "kb", doctor)

    def written(session: Session) -> None:
        assert session.execute(text("SELECT count(*) FROM patients")).scalar() == 0
        assert session.execute(text("SELECT count(*) FROM plans")).scalar() == 0

    _crash_after_the_write(repo, monkeypatch, written)
    with pytest.raises(Crash):
        repo.delete_patient("pt-001", doctor)
    monkeypatch.undo()
    assert repo.get_patient("pt-001", doctor) == patient("pt-001")
    assert repo.plans("pt-001", doctor) == [plan]
    assert "delete" not in [a for _, a, _ in actions(engine)]


def test_crash_while_saving_a_plan(
    repo: Repository, doctor: UserInfo, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo.create_patient(patient("pt-001"), doctor)

    def written(session: Session) -> None:
        assert session.execute(text("SELECT count(*) FROM plans")).scalar() == 1

    _crash_after_the_write(repo, monkeypatch, written)
    with pytest.raises(Crash):
        repo.save_plan("pt-001", PLAN, "kb", doctor)
    monkeypatch.undo()
    assert count(engine, PlanRow) == 0
    assert [a for _, a, _ in actions(engine)] == ["create"]


def test_crash_in_the_database_rolls_back_too(
    repo: Repository, doctor: UserInfo, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The audit insert itself failing in the database (a NOT NULL violation) undoes the patient row."""
    from sqlalchemy.exc import IntegrityError

    real = Repository._audit

    def null_action(
        self: Repository, session: Session, at: Any, actor: str, action: str, pid: Any, detail: str
    ) -> None:
        real(self, session, at, actor, None, pid, detail)  # type: ignore[arg-type]

    monkeypatch.setattr(Repository, "_audit", null_action)
    with pytest.raises(IntegrityError):
        repo.create_patient(patient("pt-001"), doctor)
    monkeypatch.undo()
    assert count(engine, PatientRow) == 0 and count(engine, AuditRow) == 0


# -- logs ------------------------------------------------------------------------------------------------


def test_logs_never_hold_patient_data(
    repo: Repository, users: dict[str, UserInfo], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="rrmm.db")
    doctor = users["hematologist"]
    record = patient("secret-patient-7", dx="2017-06-09")
    repo.create_patient(record, doctor)
    repo.get_patient("secret-patient-7", doctor)
    repo.list_patients(doctor, "secret")
    repo.update_patient("secret-patient-7", record, doctor)
    repo.save_plan("secret-patient-7", {"regimen": "secret-regimen"}, "kb", doctor)
    repo.plans("secret-patient-7", doctor)
    repo.audit_log(doctor, "secret-patient-7")
    with pytest.raises(PermissionDenied):
        repo.delete_patient("secret-patient-7", users["nurse"])
    repo.delete_patient("secret-patient-7", doctor)
    messages = [r.getMessage() for r in caplog.records if r.name == "rrmm.db"]
    assert any(m.startswith("create: 1 patient") for m in messages)
    assert any(m.startswith("list: 1 patients") for m in messages)
    logged = "\n".join(messages)
    for secret in ("secret-patient-7", "2017-06-09", "bortezomib", "secret-regimen", "therap"):
        assert secret not in logged


# -- concurrency -----------------------------------------------------------------------------------------


def test_concurrent_requests(repo: Repository, users: dict[str, UserInfo], engine: Engine) -> None:
    """Threads (as a web server's worker pool) reading and writing at once: no "database is locked",
    one winner when all create the same id, and one audit row per successful call."""
    from concurrent.futures import ThreadPoolExecutor

    doctor = users["hematologist"]
    repo.create_patient(patient("shared"), doctor)

    def work(i: int) -> str:
        repo.get_patient("shared", users[ROLES[i % 4]])
        repo.save_plan("shared", {"i": i}, "kb", doctor)
        repo.create_patient(patient(f"pt-{i:02d}"), doctor)
        try:
            repo.create_patient(patient("same-id"), doctor)
        except AlreadyExists:
            return "lost"
        return "won"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(work, range(16)))
    assert outcomes.count("won") == 1
    assert count(engine, PatientRow) == 1 + 16 + 1
    assert len(repo.plans("shared", doctor)) == 16
    assert sorted(a for _, a, _ in actions(engine)).count("create") == 1 + 16 + 1
    assert [a for _, a, _ in actions(engine)].count("read") == 16
