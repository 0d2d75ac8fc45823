"""Small builders for hand-written test records (schema version 1)."""

from __future__ import annotations

from typing import Any

from rrmm.record import Record, record_from_mapping


def course(drug: str, start: str, end: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"drug": drug, "start": start, "end": end, **extra}


def regimen(drugs: list[str], start: str, end: str | None = None, **extra: Any) -> list[dict[str, Any]]:
    """Several drugs started together: one therapy entry per drug, as the schema asks."""
    return [course(d, start, end, **extra) for d in drugs]


def lab(test: str, date: str, value: float, unit: str, **extra: Any) -> dict[str, Any]:
    return {"date": date, "test": test, "value": value, "unit": unit, **extra}


def serum(series: list[tuple[str, float]]) -> list[dict[str, Any]]:
    """Serum M-protein results in g/dL."""
    return [lab("m_protein_serum", d, v, "g/dL") for d, v in series]


def record_dict(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "schema_version": "1",
        "id": "test-patient",
        "sex": "male",
        "age": 65,
        "diagnosis": {"date": "2019-01-01"},
        "therapies": [],
    }
    base.update(fields)
    return base


def make_record(**fields: Any) -> Record:
    return record_from_mapping(record_dict(**fields))
