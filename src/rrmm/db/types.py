"""Roles, the value objects the repository hands out, and its errors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = [
    "AUDIT_ACTIONS",
    "AUDIT_ROLES",
    "DELETE_ROLES",
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
    "UserInfo",
]

ROLES = ("hematologist", "pharmacist", "nurse", "read-only")
#: Roles that may read patients and plans (every role).
READ_ROLES = frozenset(ROLES)
#: Roles that may create and update patients and save plans.
WRITE_ROLES = {"hematologist", "pharmacist", "nurse"}
#: Roles that may delete a patient (and with it its plans).
DELETE_ROLES = {"hematologist"}
#: Roles that may read the audit log (every role; each reading is itself audited).
AUDIT_ROLES = frozenset(ROLES)

#: Every value of :attr:`AuditEntry.action`.
AUDIT_ACTIONS = (
    "create",
    "read",
    "list",
    "update",
    "delete",
    "save-plan",
    "read-plans",
    "login",
    "login-failed",
    "read-audit",
)


@dataclass(frozen=True)
class UserInfo:
    username: str
    role: str


@dataclass(frozen=True)
class CdsClientInfo:
    """A trusted CDS Client: the ``iss`` of its JWTs, its JWK Set (exchanged out-of-band) and/or the one
    ``jku`` URL its JWTs may name, and the user its calls act as."""

    issuer: str
    user: UserInfo
    jwks: dict[str, Any] | None
    jku: str | None


@dataclass(frozen=True)
class PatientInfo:
    id: str
    updated_at: datetime
    updated_by: str
    summary: str


@dataclass(frozen=True)
class PlanInfo:
    id: int
    patient_id: str
    created_at: datetime
    created_by: str
    kb_version: str
    plan: dict[str, Any]


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor: str
    action: str
    patient_id: str | None
    detail: str


class PermissionDenied(Exception):
    """The acting user's role does not allow this action."""


class NotFound(LookupError):
    """No such patient (or user). A LookupError, so ``except LookupError`` catches it too."""


class AlreadyExists(Exception):
    """A patient (or user) with this id already exists. Deliberately not a ValueError: callers catch
    ValueError for bad input before they catch this."""


class AuthError(Exception):
    """Authentication failed (for callers that prefer an exception to ``None``)."""
