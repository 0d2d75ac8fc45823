"""Helpers shared by the persistence tests (imported as ``db.support``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher

from builders import make_record, regimen
from rrmm.record import Record

PASSWORD = "correct horse battery"
# Cheap Argon2 parameters for speed; one test checks the library defaults.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@dataclass
class Clock:
    """A settable clock for the repository's ``now`` hook."""

    now: datetime = field(default_factory=lambda: datetime(2026, 1, 5, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def patient(patient_id: str = "pt-001", n_therapies: int = 3, dx: str = "2019-03-14") -> Record:
    """A small valid record: ``n_therapies`` therapy entries (one regimen of up to four drugs)."""
    drugs = ["bortezomib", "lenalidomide", "dexamethasone", "daratumumab"][:n_therapies]
    return make_record(
        id=patient_id,
        diagnosis={"date": dx},
        therapies=regimen(drugs, "2019-04-01", "2020-01-15") if drugs else [],
    )
