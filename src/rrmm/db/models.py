"""The tables (SQLAlchemy 2 declarative, typed). The schema itself is created by the Alembic migrations
in :mod:`rrmm.db.migrations`; a test checks that they and these models agree.

Times are stored in UTC (``timestamp with time zone`` on PostgreSQL; SQLite keeps them as naive UTC
text, which the repository reads back as aware UTC). Records and plans are JSON (``jsonb`` on
PostgreSQL). Audit rows have no foreign key to patients: they outlive a deleted patient.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, DateTime, ForeignKey, Index, Integer, MetaData, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeEngine

from rrmm.db.types import ROLES

__all__ = [
    "ApiToken",
    "AuditRow",
    "Base",
    "CdsClientRow",
    "CdsJtiRow",
    "PatientRow",
    "PlanRow",
    "SessionRow",
    "UserRow",
    "json_type",
]

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ROLE_CHECK = "role IN (" + ", ".join(f"'{r}'" for r in ROLES) + ")"


def json_type() -> TypeEngine[Any]:
    """JSON, stored as ``jsonb`` on PostgreSQL."""
    return JSON().with_variant(JSONB(), "postgresql")


def _utc() -> DateTime:
    return DateTime(timezone=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UserRow(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(ROLE_CHECK, name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(_utc())

    tokens: Mapped[list[ApiToken]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )
    sessions: Mapped[list[SessionRow]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )


class ApiToken(Base):
    """A bearer token for the REST API; only its SHA-256 is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(_utc())
    expires_at: Mapped[datetime] = mapped_column(_utc())

    user: Mapped[UserRow] = relationship(back_populates="tokens")


class SessionRow(Base):
    """A browser session: the SHA-256 of the session id, and the session's CSRF token."""

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(_utc())
    expires_at: Mapped[datetime] = mapped_column(_utc())

    user: Mapped[UserRow] = relationship(back_populates="sessions")


class PatientRow(Base):
    __tablename__ = "patients"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    record: Mapped[dict[str, Any]] = mapped_column(json_type())
    summary: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(_utc())
    created_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(_utc())
    updated_by: Mapped[str] = mapped_column(String(64))

    plans: Mapped[list[PlanRow]] = relationship(
        back_populates="patient", cascade="all, delete-orphan", passive_deletes=True
    )


class PlanRow(Base):
    __tablename__ = "plans"
    __table_args__ = (Index("ix_plans_patient_id_created_at", "patient_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(_utc())
    created_by: Mapped[str] = mapped_column(String(64))
    kb_version: Mapped[str] = mapped_column(String(64))
    plan: Mapped[dict[str, Any]] = mapped_column(json_type())

    patient: Mapped[PatientRow] = relationship(back_populates="plans")


class AuditRow(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(_utc(), index=True)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(32))
    patient_id: Mapped[str | None] = mapped_column(String(128), index=True)
    detail: Mapped[str] = mapped_column(Text, default="")


class CdsClientRow(Base):
    """A CDS Client (an EHR) trusted to call the CDS Hooks services: the ``iss`` of its JWTs, its public
    keys (a JWK Set exchanged out-of-band) and/or the one ``jku`` URL it may name, and the rrmm user its
    calls act as (their role and the audit log's actor)."""

    __tablename__ = "cds_clients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issuer: Mapped[str] = mapped_column(String(255), unique=True)
    jwks: Mapped[dict[str, Any] | None] = mapped_column(json_type(), nullable=True)
    jku: Mapped[str | None] = mapped_column(String(512), nullable=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(_utc())

    user: Mapped[UserRow] = relationship()


class CdsJtiRow(Base):
    """A JWT id already used by a CDS Client, kept until the JWT expires (CDS Hooks: ``jti`` protects
    against replay). Only the SHA-256 of ``iss`` + ``jti`` is kept."""

    __tablename__ = "cds_jti"

    jti_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(_utc(), index=True)
