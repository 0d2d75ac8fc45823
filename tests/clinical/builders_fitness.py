"""Builders for the small records of the staging, risk, kidney and fitness tests (schema version 1)."""

from __future__ import annotations

from typing import Any

from rrmm.record import Record, record_from_mapping

DIAGNOSIS = "2019-03-01"
FIRST_THERAPY = "2019-03-20"


def lab(test: str, date: str, value: float, unit: str, uln: float | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"date": date, "test": test, "value": float(value), "unit": unit}
    if uln is not None:
        entry["upper_limit_normal"] = float(uln)
    return entry


def b2m(value: float, date: str = DIAGNOSIS) -> dict[str, Any]:
    return lab("beta2_microglobulin", date, value, "mg/L")


def albumin(value: float, date: str = DIAGNOSIS) -> dict[str, Any]:
    return lab("albumin", date, value, "g/dL")


def ldh(value: float, uln: float | None = 250.0, date: str = DIAGNOSIS) -> dict[str, Any]:
    return lab("ldh", date, value, "U/L", uln)


def creatinine(value: float, date: str = DIAGNOSIS, unit: str = "mg/dL") -> dict[str, Any]:
    return lab("creatinine", date, value, unit)


def cyto(
    abnormality: str, present: bool, fraction: float | None = None, date: str = DIAGNOSIS
) -> dict[str, Any]:
    entry: dict[str, Any] = {"date": date, "abnormality": abnormality, "present": present, "method": "FISH"}
    if fraction is not None:
        entry["clone_fraction"] = float(fraction)
    return entry


ALL_ABNORMALITIES = (
    "del(17p)",
    "TP53 mutation",
    "t(4;14)",
    "t(14;16)",
    "t(14;20)",
    "gain(1q)",
    "amp(1q)",
    "del(1p)",
)


def negative_panel(*, except_: tuple[str, ...] = (), date: str = DIAGNOSIS) -> list[dict[str, Any]]:
    """Every abnormality the risk definitions read, tested and absent, except those named."""
    return [cyto(name, False, date=date) for name in ALL_ABNORMALITIES if name not in except_]


def make_record(**fields: Any) -> Record:
    """A valid record: a 60-year-old man (born 1959-01-01) diagnosed on 2019-03-01, lenalidomide from
    2019-03-20; any field may be replaced."""
    base: dict[str, Any] = {
        "schema_version": "1",
        "id": "clinical-test",
        "birth_date": "1959-01-01",
        "sex": "male",
        "diagnosis": {"date": DIAGNOSIS},
        "therapies": [{"drug": "lenalidomide", "start": FIRST_THERAPY}],
    }
    base.update(fields)
    return record_from_mapping(base)
