"""A ClinicalTrials.gov study as rrmm reads it: :class:`Study`, built from an API v2 study object.

:func:`study_from_v2` reads the ``protocolSection`` of one API v2 study (see the API's study data
structure): ``identificationModule``, ``statusModule``, ``conditionsModule``, ``designModule``,
``armsInterventionsModule``, ``eligibilityModule`` and ``contactsLocationsModule``. Every module but the
identification and status modules may be absent (the trimmed records of the HINT corpus have only a few);
a field that is there with the wrong type is an error that names the field, never a silent default.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

__all__ = ["Site", "Study", "StudyFormatError", "load_studies", "parse_age_years", "study_from_v2"]

_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(year|month|week|day|hour|minute)s?\s*$", re.IGNORECASE)
_YEARS_PER_UNIT = {
    "year": 1.0,
    "month": 1.0 / 12.0,
    "week": 7.0 / 365.25,
    "day": 1.0 / 365.25,
    "hour": 1.0 / (365.25 * 24.0),
    "minute": 1.0 / (365.25 * 24.0 * 60.0),
}
_NO_AGE = frozenset({"", "n/a", "na", "none", "no limit"})


class StudyFormatError(ValueError):
    """A study object that does not have the API v2 shape; the message names the field."""


class Site(BaseModel):
    """One location of a study. Its ``status`` is the site's own recruitment status, not the study's."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    facility: str | None = None
    status: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    country: str | None = None
    latitude: float | None = None
    longitude: float | None = None


class Study(BaseModel):
    """The parts of a registered study that trial matching uses."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    nct_id: str
    title: str
    status: str
    why_stopped: str | None = None
    last_update: str | None = None
    phases: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    interventions: tuple[str, ...] = ()
    eligibility_criteria: str = ""
    minimum_age_years: float | None = None
    maximum_age_years: float | None = None
    sex: str | None = None
    healthy_volunteers: bool | None = None
    locations: tuple[Site, ...] = ()


def parse_age_years(text: str | None) -> float | None:
    """``"18 Years"`` -> 18.0, ``"6 Months"`` -> 0.5; ``None`` or ``"N/A"`` -> ``None``.

    Raises :class:`ValueError` on any other text.
    """
    if text is None or text.strip().lower() in _NO_AGE:
        return None
    m = _AGE.match(text)
    if m is None:
        raise ValueError(f"age {text!r} is not '<number> Years|Months|Weeks|Days|Hours|Minutes'")
    return float(m.group(1)) * _YEARS_PER_UNIT[m.group(2).lower()]


class _Reader:
    """Typed access to one study object; each error names the dotted path of the field."""

    def __init__(self, obj: Mapping[str, Any]) -> None:
        self._obj = obj

    @staticmethod
    def fail(path: str, problem: str) -> StudyFormatError:
        return StudyFormatError(f"{path}: {problem}")

    def module(self, name: str, *, required: bool = False) -> tuple[str, Mapping[str, Any]]:
        section = self._obj.get("protocolSection")
        if not isinstance(section, Mapping):
            raise self.fail("protocolSection", f"expected an object, got {_kind(section)}")
        path = f"protocolSection.{name}"
        mod = section.get(name)
        if mod is None:
            if required:
                raise self.fail(path, "missing")
            return path, {}
        if not isinstance(mod, Mapping):
            raise self.fail(path, f"expected an object, got {_kind(mod)}")
        return path, mod

    def sub(self, mod: tuple[str, Mapping[str, Any]], key: str) -> tuple[str, Mapping[str, Any]]:
        """A nested object (``{}`` when absent)."""
        path, m = mod
        value = m.get(key)
        if value is None:
            return f"{path}.{key}", {}
        if not isinstance(value, Mapping):
            raise self.fail(f"{path}.{key}", f"expected an object, got {_kind(value)}")
        return f"{path}.{key}", value

    def text(self, mod: tuple[str, Mapping[str, Any]], key: str, *, required: bool = False) -> str | None:
        path, m = mod
        value = m.get(key)
        if value is None:
            if required:
                raise self.fail(f"{path}.{key}", "missing")
            return None
        if not isinstance(value, str):
            raise self.fail(f"{path}.{key}", f"expected a string, got {_kind(value)}")
        if required and not value.strip():
            raise self.fail(f"{path}.{key}", "empty")
        return value

    def texts(self, mod: tuple[str, Mapping[str, Any]], key: str) -> tuple[str, ...]:
        path, m = mod
        value = m.get(key)
        if value is None:
            return ()
        if not isinstance(value, list):
            raise self.fail(f"{path}.{key}", f"expected a list of strings, got {_kind(value)}")
        for i, item in enumerate(value):
            if not isinstance(item, str):
                raise self.fail(f"{path}.{key}[{i}]", f"expected a string, got {_kind(item)}")
        return tuple(value)

    def flag(self, mod: tuple[str, Mapping[str, Any]], key: str) -> bool | None:
        path, m = mod
        value = m.get(key)
        if value is None or isinstance(value, bool):
            return value
        raise self.fail(f"{path}.{key}", f"expected true or false, got {_kind(value)}")

    def objects(self, mod: tuple[str, Mapping[str, Any]], key: str) -> list[tuple[str, Mapping[str, Any]]]:
        path, m = mod
        value = m.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(f"{path}.{key}", f"expected a list of objects, got {_kind(value)}")
        out: list[tuple[str, Mapping[str, Any]]] = []
        for i, item in enumerate(value):
            if not isinstance(item, Mapping):
                raise self.fail(f"{path}.{key}[{i}]", f"expected an object, got {_kind(item)}")
            out.append((f"{path}.{key}[{i}]", item))
        return out

    def number(self, mod: tuple[str, Mapping[str, Any]], key: str) -> float | None:
        path, m = mod
        value = m.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(f"{path}.{key}", f"expected a number, got {_kind(value)}")
        return float(value)

    def age(self, mod: tuple[str, Mapping[str, Any]], key: str) -> float | None:
        text = self.text(mod, key)
        try:
            return parse_age_years(text)
        except ValueError as exc:
            raise self.fail(f"{mod[0]}.{key}", str(exc)) from None


def _kind(value: object) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )


def _squash(text: str | None) -> str | None:
    """Collapse the registry's line-wrapping whitespace in a short free-text field."""
    if text is None:
        return None
    squashed = " ".join(text.split())
    return squashed or None


def _upper(text: str | None) -> str | None:
    return text.strip().upper() if text is not None and text.strip() else None


def _site(r: _Reader, loc: tuple[str, Mapping[str, Any]]) -> Site:
    geo = r.sub(loc, "geoPoint")
    return Site(
        facility=r.text(loc, "facility"),
        status=_upper(r.text(loc, "status")),
        city=r.text(loc, "city"),
        state=r.text(loc, "state"),
        zip=r.text(loc, "zip"),
        country=r.text(loc, "country"),
        latitude=r.number(geo, "lat"),
        longitude=r.number(geo, "lon"),
    )


def study_from_v2(obj: Mapping[str, Any]) -> Study:
    """Read one API v2 study object (an element of ``studies[]``).

    Raises :class:`StudyFormatError` naming the field when the object does not have the v2 shape
    (no ``protocolSection``, no NCT id or overall status, a field of the wrong type, an unreadable age).
    """
    if not isinstance(obj, Mapping):
        raise StudyFormatError(f"study: expected an object, got {_kind(obj)}")
    r = _Reader(obj)
    ident = r.module("identificationModule", required=True)
    nct_id = r.text(ident, "nctId", required=True)
    assert nct_id is not None
    nct_id = nct_id.strip()
    try:
        status_mod = r.module("statusModule", required=True)
        status = _upper(r.text(status_mod, "overallStatus", required=True))
        assert status is not None
        last_update = r.text(r.sub(status_mod, "lastUpdatePostDateStruct"), "date")
        title = _squash(r.text(ident, "briefTitle")) or _squash(r.text(ident, "officialTitle")) or nct_id
        conditions_mod = r.module("conditionsModule")
        design = r.module("designModule")
        arms = r.module("armsInterventionsModule")
        interventions = []
        for iv in r.objects(arms, "interventions"):
            name = r.text(iv, "name", required=True)
            assert name is not None
            interventions.append(name.strip())
        elig = r.module("eligibilityModule")
        contacts = r.module("contactsLocationsModule")
        return Study(
            nct_id=nct_id,
            title=title,
            status=status,
            why_stopped=_squash(r.text(status_mod, "whyStopped")),
            last_update=last_update,
            phases=tuple(p.strip().upper() for p in r.texts(design, "phases")),
            conditions=r.texts(conditions_mod, "conditions"),
            keywords=r.texts(conditions_mod, "keywords"),
            interventions=tuple(interventions),
            eligibility_criteria=r.text(elig, "eligibilityCriteria") or "",
            minimum_age_years=r.age(elig, "minimumAge"),
            maximum_age_years=r.age(elig, "maximumAge"),
            sex=_upper(r.text(elig, "sex")),
            healthy_volunteers=r.flag(elig, "healthyVolunteers"),
            locations=tuple(_site(r, loc) for loc in r.objects(contacts, "locations")),
        )
    except StudyFormatError as exc:
        raise StudyFormatError(f"{nct_id}: {exc}") from None


def load_studies(path: str | Path) -> list[Study]:
    """Read a file holding a JSON list of API v2 study objects, or an API page ``{"studies": [...]}``.

    Raises :class:`StudyFormatError` naming the file, the entry's index and the field of the first
    malformed entry.
    """
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise StudyFormatError(f"{p}: not JSON: {exc}") from None
    if isinstance(data, Mapping):
        if "studies" not in data:
            raise StudyFormatError(f"{p}: expected a list of studies or an object with 'studies'")
        data = data["studies"]
    if not isinstance(data, list):
        raise StudyFormatError(f"{p}: 'studies' must be a list, got {_kind(data)}")
    studies = []
    for i, obj in enumerate(data):
        try:
            studies.append(study_from_v2(obj))
        except StudyFormatError as exc:
            raise StudyFormatError(f"{p}: entry {i}: {exc}") from None
    return studies
