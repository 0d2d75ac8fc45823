"""Small value types shared by the clinical functions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Assessment(Generic[T]):
    """A clinical judgement with the facts that led to it.

    ``value`` is ``None`` when the record does not hold enough to decide; ``reasons`` then says what is
    missing. A missing fact is never silently replaced by a default.
    """

    value: T | None
    reasons: tuple[str, ...] = field(default_factory=tuple)

    @property
    def known(self) -> bool:
        return self.value is not None


@dataclass(frozen=True)
class Stage:
    """Stage at diagnosis by the three International Staging Systems; ``None`` where it cannot be given."""

    iss: str | None
    r_iss: str | None
    r2_iss: str | None
    reasons: tuple[str, ...] = ()
