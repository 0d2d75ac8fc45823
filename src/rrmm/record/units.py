"""Laboratory units: every result is converted to its test's canonical unit with pint.

The canonical units are those of the record schema (``labs[].unit``). Spellings that laboratories use and
pint does not read (``10^9/L``, ``/uL``, ``mg/24h``, ``IU/L``, ``%``) are rewritten first; molar units
convert through the molar mass in ``data/units.yaml``. A unit that does not convert is an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import pint
import yaml


class UnitError(ValueError):
    """A unit that cannot be read or converted to the test's canonical unit."""


@dataclass(frozen=True)
class TestUnit:
    canonical: str
    molar_mass_g_per_mol: float | None = None


@cache
def test_units() -> dict[str, TestUnit]:
    """The canonical unit of each laboratory test, from ``data/units.yaml``."""
    text = resources.files("rrmm.record").joinpath("data/units.yaml").read_text(encoding="utf-8")
    return {name: TestUnit(**spec) for name, spec in yaml.safe_load(text)["tests"].items()}


@cache
def _registry() -> pint.UnitRegistry[Any]:
    ureg: pint.UnitRegistry[Any] = pint.UnitRegistry(case_sensitive=True)
    # "cells" counts are dimensionless; "U" is pint's enzyme unit (micromole per minute).
    ureg.define("cell = [] = cells")
    ureg.define("IU_enzyme = U")
    return ureg


#: Record canonical units that UCUM spells otherwise (FHIR Quantity.code, OMOP UCUM concepts); the other
#: canonical units are UCUM codes already.
UCUM_OF_CANONICAL: dict[str, str] = {"10^9/L": "10*9/L", "mg/24h": "mg/(24.h)"}
CANONICAL_OF_UCUM: dict[str, str] = {v: k for k, v in UCUM_OF_CANONICAL.items()}


def ucum_code(unit: str) -> str:
    """The UCUM code of a record unit (``10^9/L`` -> ``10*9/L``); other units unchanged."""
    return UCUM_OF_CANONICAL.get(unit, unit)


def record_unit(code: str) -> str:
    """The record's spelling of a UCUM code (``10*9/L`` -> ``10^9/L``); other codes unchanged."""
    return CANONICAL_OF_UCUM.get(code, code)


_SPELLINGS: tuple[tuple[str, str], ...] = (
    (r"µ|μ", "u"),
    (r"\s+", ""),
    # UCUM (FHIR Quantity.code) writes powers of ten as 10*9 and a day's urine as /(24.h)
    (r"^10\*(\d+)/", r"10^\1/"),
    (r"(?i)/\(24\.h\)$", "/24h"),
    (r"(?i)/d$", "/24h"),
    (r"(?i)^percent$|^%$", "percent"),
    (r"(?i)/(24h|24hr|24hours|24hour|d|day)$", "/(24*hour)"),
    (r"(?i)^iu/", "IU_enzyme/"),
    (r"(?i)^u/l$", "U/L"),
    (r"(?i)^ukat/l$", "ukat/L"),
    (r"^g/l$|^g/L$", "g/L"),
    (r"(?i)^mg/dl$", "mg/dL"),
    (r"(?i)^g/dl$", "g/dL"),
    (r"(?i)^mg/l$", "mg/L"),
    (r"(?i)^umol/l$", "umol/L"),
    (r"(?i)^mmol/l$", "mmol/L"),
    (r"(?i)^ug/ml$", "ug/mL"),
    (r"(?i)^g/\(24\*hour\)$", "g/(24*hour)"),
    (r"(?i)^mg/\(24\*hour\)$", "mg/(24*hour)"),
    (r"(?i)^(?:x)?10\^?(\d+)/l$", r"10**\1/L"),
    (r"(?i)^(?:x)?10\^?(\d+)/(?:ul|mm3|mm\^3)$", r"10**\1/uL"),
    (r"(?i)^(?:cells)?/(?:ul|mm3|mm\^3)$", "1/uL"),
    (r"^G/L$|^(?i:giga/l)$", "10**9/L"),
)


#: What a laboratory unit may look like before pint reads it (pint evaluates powers: keep them small).
_SAFE_UNIT = re.compile(r"^[A-Za-z0-9µμ/^*.()%\s\-]{1,32}$")


def _pint_expression(unit: str) -> str:
    expr = unit
    for pattern, repl in _SPELLINGS:
        expr = re.sub(pattern, repl, expr)
    return expr


@cache
def _factor(test: str, unit: str) -> float:
    """Multiplier from ``unit`` to the canonical unit of ``test`` (cached: pint is slow to parse)."""
    spec = test_units()[test]
    ureg = _registry()
    powers = r"(\*\*|\^)\s*\(?\s*"
    if not _SAFE_UNIT.match(unit) or re.search(powers + r"(\d{3,}|\d+\s*\)?\s*(\*\*|\^))", unit):
        raise UnitError(f"unit {unit!r} is not a unit rrmm can read")
    try:
        source = ureg.parse_expression(_pint_expression(unit))
        target = ureg.parse_expression(_pint_expression(spec.canonical))
        if not isinstance(source, pint.Quantity) or not isinstance(target, pint.Quantity):
            raise TypeError(unit)
    except Exception as exc:  # pint's parser raises tokenizer, syntax and lookup errors of many kinds
        raise UnitError(f"unit {unit!r} is not a unit rrmm can read") from exc
    try:
        return float(source.to(target.units).magnitude / target.magnitude)
    except (pint.DimensionalityError, ZeroDivisionError):
        if spec.molar_mass_g_per_mol is None:
            raise UnitError(f"unit {unit!r} cannot be converted to {spec.canonical} for {test}") from None
    try:
        with ureg.context("chemistry", mw=spec.molar_mass_g_per_mol * ureg("g/mol")):
            return float(source.to(target.units).magnitude / target.magnitude)
    except (pint.DimensionalityError, ZeroDivisionError):
        raise UnitError(f"unit {unit!r} cannot be converted to {spec.canonical} for {test}") from None


def to_canonical(test: str, value: float, unit: str) -> tuple[float, str]:
    """``value`` in ``unit`` expressed in the canonical unit of ``test``.

    >>> to_canonical("creatinine", 88.4, "umol/L")[0].__round__(2)
    1.0
    """
    canonical = test_units()[test].canonical
    if unit == canonical:
        return value, canonical
    return round(value * _factor(test, unit), 6), canonical
