"""``rrmm serve --demo``: the hand-checked records of ``examples/`` and one demo user per role."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from rrmm.db import ROLES, AlreadyExists, Repository, UserInfo
from rrmm.record import RecordError, record_from_json

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def load_demo(repo: Repository, examples: Path = EXAMPLES) -> Iterator[str]:
    """Create ``demo-<role>`` users (password ``$RRMM_DEMO_PASSWORD`` or a random one, printed once) and
    load every example record; yields what it did, one line each (no patient data)."""
    password = os.environ.get("RRMM_DEMO_PASSWORD") or secrets.token_urlsafe(12)
    for role in ROLES:
        name = f"demo-{role}"
        try:
            repo.add_user(name, password, role)
            yield f"user {name} ({role})"
        except (AlreadyExists, ValueError) as exc:
            yield f"user {name}: {exc}"
    yield f"demo password: {password}"
    loader = UserInfo("demo-loader", "hematologist")
    loaded = 0
    for path in sorted(examples.glob("*.json")):
        try:
            repo.create_patient(record_from_json(path.read_bytes()), loader)
            loaded += 1
        except (AlreadyExists, RecordError):
            continue
    yield f"{loaded} example patients loaded"
