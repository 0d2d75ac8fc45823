"""Persistence of the rrmm web app: users and their roles, patients, saved plans, and the audit log.

SQLAlchemy 2 models with Alembic migrations shipped in the package (:func:`migrate` upgrades to the
newest); an SQLite file (``$RRMM_HOME/rrmm.sqlite``) by default, PostgreSQL when ``RRMM_DATABASE_URL``
names one (``postgresql+psycopg://...``)::

    engine = make_engine()
    migrate(engine)
    repo = Repository(engine)
"""

from rrmm.db.engine import alembic_config, current_revision, database_url, head_revision, make_engine, migrate
from rrmm.db.repository import MIN_PASSWORD_LENGTH, Repository, patient_summary, record_json
from rrmm.db.types import (
    AUDIT_ACTIONS,
    AUDIT_ROLES,
    DELETE_ROLES,
    READ_ROLES,
    ROLES,
    WRITE_ROLES,
    AlreadyExists,
    AuditEntry,
    AuthError,
    CdsClientInfo,
    NotFound,
    PatientInfo,
    PermissionDenied,
    PlanInfo,
    UserInfo,
)

__all__ = [
    "AUDIT_ACTIONS",
    "AUDIT_ROLES",
    "DELETE_ROLES",
    "MIN_PASSWORD_LENGTH",
    "READ_ROLES",
    "ROLES",
    "WRITE_ROLES",
    "AlreadyExists",
    "AuditEntry",
    "AuthError",
    "CdsClientInfo",
    "NotFound",
    "PatientInfo",
    "PermissionDenied",
    "PlanInfo",
    "Repository",
    "UserInfo",
    "alembic_config",
    "current_revision",
    "database_url",
    "head_revision",
    "make_engine",
    "migrate",
    "patient_summary",
    "record_json",
]
