"""Users, patients, plans and the audit log, on top of the tables of :mod:`rrmm.db.models`.

Every patient operation takes the acting :class:`~rrmm.db.types.UserInfo`, checks its role
(:class:`~rrmm.db.types.PermissionDenied`), and writes its audit row in the same transaction as the
change itself: either both are committed or neither is. Reads are audited the same way.

Secrets: passwords are kept only as Argon2id hashes; API tokens and session ids only as SHA-256
digests (they are 256-bit random values, so a plain digest is enough), with their expiry.

Logging (``rrmm.db``) names actions, roles and counts, never a patient's data, id or a password.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Engine, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from rrmm.db.models import (
    ApiToken,
    AuditRow,
    CdsClientRow,
    CdsJtiRow,
    PatientRow,
    PlanRow,
    SessionRow,
    UserRow,
)
from rrmm.db.types import (
    AUDIT_ROLES,
    DELETE_ROLES,
    READ_ROLES,
    ROLES,
    WRITE_ROLES,
    AlreadyExists,
    AuditEntry,
    CdsClientInfo,
    NotFound,
    PatientInfo,
    PermissionDenied,
    PlanInfo,
    UserInfo,
)
from rrmm.record import Record, record_from_mapping

__all__ = ["MIN_PASSWORD_LENGTH", "Repository", "patient_summary", "record_json"]

log = logging.getLogger("rrmm.db")

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
_USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
_ACTION = re.compile(r"[a-z][a-z-]{0,31}")
_ACTOR_MAX = 128  # audit_log.actor


def record_json(record: Record) -> dict[str, Any]:
    """The record as stored: its JSON form without default values."""
    return record.model_dump(mode="json", exclude_defaults=True)


def patient_summary(record: Record) -> str:
    """Short, non-identifying text for patient lists: diagnosis date and number of therapy entries
    (no clinical computation: therapies are counted as recorded, one entry per drug)."""
    n = len(record.therapies)
    return f"dx {record.diagnosis.date.isoformat()}, {n} {'therapy' if n == 1 else 'therapies'}"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _utc(value: datetime) -> datetime:
    """Aware UTC (SQLite hands stored UTC times back naive)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _system_now() -> datetime:
    return datetime.now(UTC)


class Repository:
    """The rrmm database. ``now`` (a clock returning aware datetimes) and ``hasher`` (Argon2 parameters)
    are for tests; the defaults are the system clock and argon2-cffi's recommended parameters."""

    def __init__(
        self,
        engine: Engine,
        *,
        now: Callable[[], datetime] | None = None,
        hasher: PasswordHasher | None = None,
    ) -> None:
        self.engine = engine
        self._clock = now or _system_now
        self._hasher = hasher or PasswordHasher()
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._dummy_hash: str | None = None

    # -- plumbing ------------------------------------------------------------------------------------

    def _now(self) -> datetime:
        return _utc(self._clock())

    @contextmanager
    def _tx(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        with self._sessions.begin() as session:
            yield session

    def _audit(
        self, session: Session, at: datetime, actor: str, action: str, patient_id: str | None, detail: str
    ) -> None:
        """Add one audit row to the caller's transaction (flushed, so a failure surfaces here)."""
        session.add(
            AuditRow(at=at, actor=actor[:_ACTOR_MAX], action=action, patient_id=patient_id, detail=detail)
        )
        session.flush()

    @staticmethod
    def _require(actor: UserInfo, allowed: Collection[str], action: str) -> None:
        if actor.role not in ROLES or actor.role not in allowed:
            log.warning("permission denied: %s for role %s", action, actor.role)
            raise PermissionDenied(f"role {actor.role!r} may not {action}")

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))
        return self._dummy_hash

    @staticmethod
    def _user(session: Session, username: str) -> UserRow | None:
        return session.scalars(select(UserRow).where(UserRow.username == username)).one_or_none()

    @classmethod
    def _existing_user(cls, session: Session, username: str) -> UserRow:
        """The user's row; NotFound when there is no such user."""
        row = cls._user(session, username)
        if row is None:
            raise NotFound(f"no user {username!r}")
        return row

    @staticmethod
    def _patient(session: Session, patient_id: str) -> PatientRow:
        row = session.get(PatientRow, patient_id)
        if row is None:
            raise NotFound(f"no patient {patient_id!r}")
        return row

    @staticmethod
    def _patient_info(row: PatientRow) -> PatientInfo:
        return PatientInfo(
            id=row.id, updated_at=_utc(row.updated_at), updated_by=row.updated_by, summary=row.summary
        )

    @staticmethod
    def _plan_info(row: PlanRow) -> PlanInfo:
        return PlanInfo(
            id=row.id,
            patient_id=row.patient_id,
            created_at=_utc(row.created_at),
            created_by=row.created_by,
            kb_version=row.kb_version,
            plan=dict(row.plan),
        )

    # -- users ---------------------------------------------------------------------------------------

    def add_user(self, username: str, password: str, role: str) -> UserInfo:
        """A new user with an Argon2id password hash. ValueError: unknown role, username not
        ``[A-Za-z0-9][A-Za-z0-9._@-]*`` (at most 64), password shorter than 10 characters.
        AlreadyExists: the username is taken."""
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r} (roles: {', '.join(ROLES)})")
        if not isinstance(username, str) or not _USERNAME.fullmatch(username):
            raise ValueError(
                "a username is 1-64 letters, digits or . _ @ - and starts with a letter or digit"
            )
        self._check_password(password)
        password_hash = self._hasher.hash(password)
        try:
            with self._tx() as session:
                if self._user(session, username) is not None:
                    raise AlreadyExists(f"user {username!r} already exists")
                session.add(
                    UserRow(username=username, password_hash=password_hash, role=role, created_at=self._now())
                )
                session.flush()
        except IntegrityError:
            raise AlreadyExists(f"user {username!r} already exists") from None
        log.info("add-user: 1 user, role %s", role)
        return UserInfo(username=username, role=role)

    @staticmethod
    def _check_password(password: str) -> None:
        if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
            raise ValueError(f"a password has at least {MIN_PASSWORD_LENGTH} characters")
        if len(password) > MAX_PASSWORD_LENGTH:
            raise ValueError(f"a password has at most {MAX_PASSWORD_LENGTH} characters")

    def get_user(self, username: str) -> UserInfo | None:
        with self._tx() as session:
            row = self._user(session, username)
            return None if row is None else UserInfo(username=row.username, role=row.role)

    def list_users(self) -> list[UserInfo]:
        with self._tx() as session:
            rows = session.scalars(select(UserRow).order_by(UserRow.username)).all()
            return [UserInfo(username=r.username, role=r.role) for r in rows]

    def set_password(self, username: str, password: str) -> None:
        """A new password; ends the user's sessions and revokes their API tokens. NotFound."""
        self._check_password(password)
        password_hash = self._hasher.hash(password)
        with self._tx() as session:
            row = self._existing_user(session, username)
            row.password_hash = password_hash
            session.execute(delete(ApiToken).where(ApiToken.user_id == row.id))
            session.execute(delete(SessionRow).where(SessionRow.user_id == row.id))
        log.info("set-password: 1 user")

    def set_role(self, username: str, role: str) -> UserInfo:
        """Change a user's role (effective on their next request). ValueError, NotFound."""
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r} (roles: {', '.join(ROLES)})")
        with self._tx() as session:
            row = self._existing_user(session, username)
            row.role = role
        log.info("set-role: 1 user, role %s", role)
        return UserInfo(username=username, role=role)

    def authenticate(self, username: str, password: str) -> UserInfo | None:
        """The user if the password is right, else ``None``. An unknown user costs one hash
        verification too (against a dummy hash), so timing does not tell which usernames exist.
        Audited as ``login`` or ``login-failed`` (actor = the username given; never the password)."""
        now = self._now()
        given = password if isinstance(password, str) else ""
        found: tuple[str, str] | None = None
        if isinstance(username, str):
            with self._tx() as session:
                row = self._user(session, username)
                found = None if row is None else (row.password_hash, row.role)
        # The hash is verified outside any transaction: it is slow on purpose, and must not hold a lock.
        rehashed: str | None = None
        if found is None:
            self._verify(self._dummy(), given)
            user, detail = None, "unknown user"
        elif self._verify(found[0], given):
            if self._hasher.check_needs_rehash(found[0]):
                rehashed = self._hasher.hash(given)
            user, detail = UserInfo(username=username, role=found[1]), ""
        else:
            user, detail = None, "wrong password"
        with self._tx() as session:
            if rehashed is not None:
                session.execute(
                    update(UserRow).where(UserRow.username == username).values(password_hash=rehashed)
                )
            action = "login" if user is not None else "login-failed"
            self._audit(session, now, str(username), action, None, detail)
        if user is None:
            log.warning("login-failed")
        else:
            log.info("login: role %s", user.role)
        return user

    def issue_token(self, username: str, days: int = 30) -> str:
        """A new random API token for the user (``secrets.token_urlsafe(32)``), valid ``days``;
        only its SHA-256 is stored. NotFound: no such user."""
        if days <= 0:
            raise ValueError("a token is valid for at least one day")
        token = secrets.token_urlsafe(32)
        now = self._now()
        with self._tx() as session:
            row = self._existing_user(session, username)
            session.add(
                ApiToken(
                    token_hash=_digest(token),
                    user_id=row.id,
                    created_at=now,
                    expires_at=now + timedelta(days=days),
                )
            )
        log.info("issue-token: 1 token, %d days", days)
        return token

    def user_for_token(self, token: str) -> UserInfo | None:
        """The token's user, if the token exists and has not expired."""
        if not isinstance(token, str) or not token:
            return None
        now = self._now()
        with self._tx() as session:
            found = session.execute(
                select(ApiToken.expires_at, UserRow.username, UserRow.role)
                .join(UserRow, ApiToken.user_id == UserRow.id)
                .where(ApiToken.token_hash == _digest(token))
            ).one_or_none()
        if found is None or _utc(found.expires_at) <= now:
            return None
        return UserInfo(username=found.username, role=found.role)

    def revoke_token(self, token: str) -> None:
        """Forget an API token (no error if it is unknown)."""
        with self._tx() as session:
            session.execute(delete(ApiToken).where(ApiToken.token_hash == _digest(token)))

    def new_session(self, username: str, hours: int = 12) -> tuple[str, str]:
        """A new browser session: ``(session id, CSRF token)``, both random; the session id is stored
        only as its SHA-256, with the expiry. NotFound: no such user."""
        if hours <= 0:
            raise ValueError("a session lasts at least one hour")
        session_id = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        now = self._now()
        with self._tx() as session:
            row = self._existing_user(session, username)
            session.add(
                SessionRow(
                    session_hash=_digest(session_id),
                    csrf_token=csrf,
                    user_id=row.id,
                    created_at=now,
                    expires_at=now + timedelta(hours=hours),
                )
            )
        log.info("new-session: 1 session, %d hours", hours)
        return session_id, csrf

    def session_user(self, session_id: str) -> tuple[UserInfo, str] | None:
        """``(user, CSRF token)`` of a session that exists and has not expired."""
        if not isinstance(session_id, str) or not session_id:
            return None
        now = self._now()
        with self._tx() as session:
            found = session.execute(
                select(SessionRow.expires_at, SessionRow.csrf_token, UserRow.username, UserRow.role)
                .join(UserRow, SessionRow.user_id == UserRow.id)
                .where(SessionRow.session_hash == _digest(session_id))
            ).one_or_none()
        if found is None or _utc(found.expires_at) <= now:
            return None
        return UserInfo(username=found.username, role=found.role), found.csrf_token

    def end_session(self, session_id: str) -> None:
        """Forget a session (no error if it is unknown or already ended)."""
        with self._tx() as session:
            session.execute(delete(SessionRow).where(SessionRow.session_hash == _digest(session_id)))
        log.info("end-session")

    def purge_expired(self) -> int:
        """Delete expired API tokens, sessions and used CDS JWT ids; returns how many."""
        now = self._now()
        with self._tx() as session:
            tokens = [t for t in session.scalars(select(ApiToken)) if _utc(t.expires_at) <= now]
            sessions = [r for r in session.scalars(select(SessionRow)) if _utc(r.expires_at) <= now]
            jtis = [j for j in session.scalars(select(CdsJtiRow)) if _utc(j.expires_at) <= now]
            for row in (*tokens, *sessions, *jtis):
                session.delete(row)
        gone = len(tokens) + len(sessions) + len(jtis)
        log.info("purge-expired: %d tokens, sessions or JWT ids", gone)
        return gone

    # -- CDS Hooks clients ---------------------------------------------------------------------------

    def add_cds_client(
        self, issuer: str, username: str, *, jwks: dict[str, Any] | None = None, jku: str | None = None
    ) -> CdsClientInfo:
        """Trust the CDS Client whose JWTs carry ``iss`` = ``issuer``: its public keys are ``jwks`` (a JWK
        Set exchanged out-of-band) and/or fetched from ``jku``, the only key-set URL its JWTs may name; its
        calls act as the existing user ``username``. The JWK Set is checked by the caller
        (:func:`rrmm.api.cds_auth.public_jwk_set`). AlreadyExists: the issuer is registered; NotFound: no
        such user; ValueError: neither keys nor a key URL, or an over-long issuer or URL."""
        if not issuer or len(issuer) > 255:
            raise ValueError("the issuer is 1-255 characters")
        if jwks is None and not jku:
            raise ValueError("a CDS client needs its JWK Set or its jku URL")
        if jku is not None and len(jku) > 512:
            raise ValueError("the jku URL is at most 512 characters")
        now = self._now()
        with self._tx() as session:
            user = self._existing_user(session, username)
            if session.scalar(select(CdsClientRow.id).where(CdsClientRow.issuer == issuer)) is not None:
                raise AlreadyExists(f"CDS client {issuer!r} is already registered")
            row = CdsClientRow(issuer=issuer, jwks=jwks, jku=jku, user=user, created_at=now)
            session.add(row)
            info = self._cds_client_info(row)
        log.info("add-cds-client: acts as role %s", info.user.role)
        return info

    def cds_client(self, issuer: str) -> CdsClientInfo | None:
        """The registered CDS Client of this ``iss``, if any."""
        with self._tx() as session:
            row = session.scalar(select(CdsClientRow).where(CdsClientRow.issuer == issuer))
            return None if row is None else self._cds_client_info(row)

    def list_cds_clients(self) -> list[CdsClientInfo]:
        """Every registered CDS Client, by issuer."""
        with self._tx() as session:
            rows = session.scalars(select(CdsClientRow).order_by(CdsClientRow.issuer)).all()
            return [self._cds_client_info(r) for r in rows]

    @staticmethod
    def _cds_client_info(row: CdsClientRow) -> CdsClientInfo:
        return CdsClientInfo(row.issuer, UserInfo(row.user.username, row.user.role), row.jwks, row.jku)

    def remove_cds_client(self, issuer: str) -> None:
        """Stop trusting a CDS Client. NotFound: it is not registered."""
        with self._tx() as session:
            row = session.scalar(select(CdsClientRow).where(CdsClientRow.issuer == issuer))
            if row is None:
                raise NotFound(f"no CDS client {issuer!r}")
            session.delete(row)
        log.info("remove-cds-client")

    def claim_jti(self, issuer: str, jti: str, expires_at: datetime) -> bool:
        """Record that the JWT ``jti`` of ``issuer`` was used, until ``expires_at``; False when it was
        already used and has not expired (a replay). Only the SHA-256 of issuer and jti is kept."""
        digest = _digest(json.dumps([issuer, jti]))
        now = self._now()
        try:
            with self._tx() as session:
                row = session.get(CdsJtiRow, digest)
                if row is not None:
                    if _utc(row.expires_at) > now:
                        return False
                    session.delete(row)
                    session.flush()
                session.add(CdsJtiRow(jti_hash=digest, expires_at=_utc(expires_at)))
        except IntegrityError:  # the same jti claimed at the same moment by another worker
            return False
        return True

    # -- patients ------------------------------------------------------------------------------------

    def create_patient(self, record: Record, actor: UserInfo) -> PatientInfo:
        """Store a new patient (audited ``create``). PermissionDenied, AlreadyExists."""
        self._require(actor, WRITE_ROLES, "create patients")
        data, summary, now = record_json(record), patient_summary(record), self._now()
        with self._tx() as session:
            if session.get(PatientRow, record.id) is not None:
                raise AlreadyExists(f"patient {record.id!r} already exists")
            session.add(
                PatientRow(
                    id=record.id,
                    record=data,
                    summary=summary,
                    created_at=now,
                    created_by=actor.username,
                    updated_at=now,
                    updated_by=actor.username,
                )
            )
            try:
                session.flush()
            except IntegrityError:  # created by someone else since the check above
                raise AlreadyExists(f"patient {record.id!r} already exists") from None
            self._audit(session, now, actor.username, "create", record.id, "")
        log.info("create: 1 patient, role %s", actor.role)
        return PatientInfo(id=record.id, updated_at=now, updated_by=actor.username, summary=summary)

    def get_patient(self, patient_id: str, actor: UserInfo) -> Record:
        """The patient's record (audited ``read``). PermissionDenied, NotFound."""
        self._require(actor, READ_ROLES, "read patients")
        now = self._now()
        with self._tx() as session:
            record = record_from_mapping(self._patient(session, patient_id).record)
            self._audit(session, now, actor.username, "read", patient_id, "")
        log.info("read: 1 patient, role %s", actor.role)
        return record

    def list_patients(self, actor: UserInfo, search: str | None = None) -> list[PatientInfo]:
        """Every patient, by id; ``search`` keeps those whose id or summary contains it (ignoring
        case). Audited ``list`` with the count only."""
        self._require(actor, READ_ROLES, "list patients")
        now = self._now()
        query = select(PatientRow.id, PatientRow.updated_at, PatientRow.updated_by, PatientRow.summary)
        if search:
            query = query.where(
                or_(
                    PatientRow.id.icontains(search, autoescape=True),
                    PatientRow.summary.icontains(search, autoescape=True),
                )
            )
        with self._tx() as session:
            rows = session.execute(query.order_by(PatientRow.id)).all()
            detail = f"{len(rows)} patients" + (", filtered by a search" if search else "")
            self._audit(session, now, actor.username, "list", None, detail)
        log.info("list: %d patients, role %s", len(rows), actor.role)
        return [
            PatientInfo(id=r.id, updated_at=_utc(r.updated_at), updated_by=r.updated_by, summary=r.summary)
            for r in rows
        ]

    def update_patient(self, patient_id: str, record: Record, actor: UserInfo) -> PatientInfo:
        """Replace the patient's record (audited ``update``). PermissionDenied; ValueError if the
        record's id is not ``patient_id``; NotFound."""
        self._require(actor, WRITE_ROLES, "update patients")
        if record.id != patient_id:
            raise ValueError("the record's id differs from the patient id it is saved under")
        data, summary, now = record_json(record), patient_summary(record), self._now()
        with self._tx() as session:
            row = self._patient(session, patient_id)
            row.record = data
            row.summary = summary
            row.updated_at = now
            row.updated_by = actor.username
            session.flush()
            self._audit(session, now, actor.username, "update", patient_id, "")
            info = self._patient_info(row)
        log.info("update: 1 patient, role %s", actor.role)
        return info

    def delete_patient(self, patient_id: str, actor: UserInfo) -> None:
        """Delete the patient and its plans (audited ``delete``; its audit rows stay).
        PermissionDenied, NotFound."""
        self._require(actor, DELETE_ROLES, "delete patients")
        now = self._now()
        with self._tx() as session:
            self._patient(session, patient_id)
            n_plans = session.scalar(
                select(func.count()).select_from(PlanRow).where(PlanRow.patient_id == patient_id)
            )
            session.execute(delete(PlanRow).where(PlanRow.patient_id == patient_id))
            session.execute(delete(PatientRow).where(PatientRow.id == patient_id))
            self._audit(session, now, actor.username, "delete", patient_id, f"{n_plans} plans deleted")
        log.info("delete: 1 patient, %d plans, role %s", n_plans, actor.role)

    # -- plans ---------------------------------------------------------------------------------------

    def save_plan(self, patient_id: str, plan: dict[str, Any], kb_version: str, actor: UserInfo) -> PlanInfo:
        """Keep a plan computed for the patient (audited ``save-plan``). PermissionDenied; ValueError
        if the plan is not a JSON object or kb_version is empty or longer than 64; NotFound."""
        self._require(actor, WRITE_ROLES, "save plans")
        if not isinstance(plan, dict):
            raise ValueError("a plan is a JSON object (a dict)")
        try:
            stored: dict[str, Any] = json.loads(json.dumps(plan, allow_nan=False))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"the plan is not JSON: {exc}") from None
        if not isinstance(kb_version, str) or not 0 < len(kb_version) <= 64:
            raise ValueError("kb_version is 1-64 characters")
        now = self._now()
        with self._tx() as session:
            self._patient(session, patient_id)
            row = PlanRow(
                patient_id=patient_id,
                created_at=now,
                created_by=actor.username,
                kb_version=kb_version,
                plan=stored,
            )
            session.add(row)
            session.flush()
            self._audit(
                session, now, actor.username, "save-plan", patient_id, f"plan {row.id}, kb {kb_version}"
            )
            info = PlanInfo(
                id=row.id,
                patient_id=patient_id,
                created_at=now,
                created_by=actor.username,
                kb_version=kb_version,
                plan=stored,
            )
        log.info("save-plan: 1 plan, role %s", actor.role)
        return info

    def plans(self, patient_id: str, actor: UserInfo) -> list[PlanInfo]:
        """The patient's saved plans, newest first (audited ``read-plans``). PermissionDenied, NotFound."""
        self._require(actor, READ_ROLES, "read plans")
        now = self._now()
        with self._tx() as session:
            self._patient(session, patient_id)
            rows = session.scalars(
                select(PlanRow)
                .where(PlanRow.patient_id == patient_id)
                .order_by(PlanRow.created_at.desc(), PlanRow.id.desc())
            ).all()
            infos = [self._plan_info(r) for r in rows]
            self._audit(session, now, actor.username, "read-plans", patient_id, f"{len(infos)} plans")
        log.info("read-plans: %d plans, role %s", len(infos), actor.role)
        return infos

    # -- audit ---------------------------------------------------------------------------------------

    def audit_log(self, actor: UserInfo, patient_id: str | None = None, limit: int = 200) -> list[AuditEntry]:
        """The newest ``limit`` audit entries (of one patient when ``patient_id`` is given), newest
        first. Reading the log is itself audited (``read-audit``), after the entries are read."""
        self._require(actor, AUDIT_ROLES, "read the audit log")
        if limit < 1:
            raise ValueError("limit is at least 1")
        now = self._now()
        query = select(AuditRow)
        if patient_id is not None:
            query = query.where(AuditRow.patient_id == patient_id)
        with self._tx() as session:
            rows = session.scalars(query.order_by(AuditRow.at.desc(), AuditRow.id.desc()).limit(limit)).all()
            entries = [
                AuditEntry(
                    at=_utc(r.at), actor=r.actor, action=r.action, patient_id=r.patient_id, detail=r.detail
                )
                for r in rows
            ]
            self._audit(session, now, actor.username, "read-audit", patient_id, f"{len(entries)} entries")
        log.info("read-audit: %d entries, role %s", len(entries), actor.role)
        return entries

    def record_access(self, actor: UserInfo, action: str, patient_id: str | None, detail: str = "") -> None:
        """Audit an access to patient data that did not go through this repository (for example a CDS
        Hooks call that brought its own FHIR data): ``action`` is a lowercase word such as
        ``cds-read``. Any role may be recorded; PermissionDenied only for an unknown role."""
        self._require(actor, READ_ROLES, action)
        if not isinstance(action, str) or not _ACTION.fullmatch(action):
            raise ValueError("an audit action is 1-32 lowercase letters or hyphens")
        now = self._now()
        with self._tx() as session:
            self._audit(session, now, actor.username, action, patient_id, detail)
        log.info("%s: role %s", action, actor.role)

    def count_patients(self) -> int:
        """How many patients are stored (not audited: no patient data; for health checks)."""
        with self._tx() as session:
            return int(session.scalar(select(func.count()).select_from(PatientRow)) or 0)
