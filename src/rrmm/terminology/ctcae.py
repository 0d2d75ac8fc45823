"""CTCAE v5.0 adverse-event terms: the names a record may use, the toxicity each belongs to, its top grade.

National Cancer Institute. Common Terminology Criteria for Adverse Events (CTCAE) version 5.0, 2017. The
table is ``data/ctcae_terms.yaml``; a record's ``adverse_events[].term`` resolves to one of its terms (or an
alias such as "CRS"), and a grade above the term's highest is refused.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

import yaml
from pydantic import BaseModel, ConfigDict, Field


class UnknownTermError(ValueError):
    """An adverse-event term that is not a CTCAE v5.0 term rrmm knows."""


class CtcaeEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    term: str = Field(min_length=2)
    toxicity: str
    max_grade: int = Field(ge=1, le=5)
    aliases: tuple[str, ...] = ()


class _File(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    source: dict[str, str]
    terms: tuple[CtcaeEntry, ...]


def _key(name: str) -> str:
    return re.sub(r"[\s\-_]+", " ", name.strip().lower())


class CtcaeVocabulary:
    def __init__(self, entries: tuple[CtcaeEntry, ...]) -> None:
        self._by_name: dict[str, CtcaeEntry] = {}
        for e in entries:
            for name in (e.term, *e.aliases):
                key = _key(name)
                known = self._by_name.get(key)
                if known is not None and known.term != e.term:
                    raise ValueError(f"CTCAE name {name!r} is given to both {known.term!r} and {e.term!r}")
                self._by_name[key] = e

    def resolve(self, name: str) -> CtcaeEntry:
        entry = self._by_name.get(_key(name))
        if entry is None:
            raise UnknownTermError(f"unknown adverse-event term {name!r}: use a CTCAE v5.0 term")
        return entry


@cache
def ctcae_vocabulary() -> CtcaeVocabulary:
    """The packaged CTCAE term table, loaded and validated once."""
    text = resources.files("rrmm.terminology").joinpath("data/ctcae_terms.yaml").read_text(encoding="utf-8")
    return CtcaeVocabulary(_File.model_validate(yaml.safe_load(text)).terms)
