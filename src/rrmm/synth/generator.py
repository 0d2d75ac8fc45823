"""Synthetic patient records (schema version 1) for demos, property tests and benchmarks.

Each record is simulated forward in time from a diagnosis: baseline labs and FISH, a first line (induction,
autologous transplant and maintenance for younger patients; a continuous or fixed regimen otherwise), then
responses and relapses with serial M-protein / free light chain values, later lines chosen by what the
patient is refractory to and what was in use at the time, until the end of follow-up. Everything after the
end of follow-up is cut, so the last line may still be ongoing (``end: null``).

The records are synthetic demo data. The medicine is kept plausible, but the numbers behind it
(:mod:`rrmm.synth.frequencies`, :mod:`rrmm.synth.catalogue`) are rough guesses, not facts.

Dates are handled as proleptic ordinals (``date.toordinal()``) and written as ISO strings at the end of each
step; the only randomness is the ``random.Random`` passed in, so a seed gives the same records every time.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from itertools import accumulate
from operator import itemgetter
from typing import Any

from rrmm.synth import catalogue as C
from rrmm.synth import frequencies as F
from rrmm.terminology import ctcae_vocabulary

_EPOCH = dt.date(2000, 1, 1).toordinal()
_ISO: tuple[str, ...] = tuple(
    dt.date.fromordinal(day).isoformat() for day in range(_EPOCH, dt.date(2031, 1, 1).toordinal())
)


def _iso(day: int) -> str:
    i = day - _EPOCH
    if 0 <= i < len(_ISO):
        return _ISO[i]
    return dt.date.fromordinal(day).isoformat()


_CUTOFF = F.DATA_CUTOFF.toordinal()
_DX_FIRST = F.DIAGNOSIS_FIRST.toordinal()
_DX_LAST = F.DIAGNOSIS_LAST.toordinal()
_MONTH = 30.44

# (unit, factor from the canonical unit, decimals). Canonical units are those of the schema.
_Unit = tuple[str, float, int]
_CANONICAL_UNITS: dict[str, _Unit] = {
    "m_protein_serum": ("g/dL", 1.0, 2),
    "m_protein_urine_24h": ("mg/24h", 1.0, 0),
    "flc_kappa": ("mg/L", 1.0, 1),
    "flc_lambda": ("mg/L", 1.0, 1),
    "bm_plasma_cells": ("%", 1.0, 0),
    "creatinine": ("mg/dL", 1.0, 2),
    "hemoglobin": ("g/dL", 1.0, 1),
    "calcium": ("mg/dL", 1.0, 1),
    "albumin": ("g/dL", 1.0, 1),
    "beta2_microglobulin": ("mg/L", 1.0, 1),
    "ldh": ("U/L", 1.0, 0),
    "anc": ("10^9/L", 1.0, 2),
    "platelets": ("10^9/L", 1.0, 0),
}
# Other units laboratories report (SI-style), exercising unit normalisation of the record loader.
_OTHER_UNITS: dict[str, _Unit] = {
    "m_protein_serum": ("g/L", 10.0, 1),
    "m_protein_urine_24h": ("g/24h", 0.001, 3),
    "flc_kappa": ("mg/dL", 0.1, 2),
    "flc_lambda": ("mg/dL", 0.1, 2),
    "creatinine": ("umol/L", 88.4, 0),
    "hemoglobin": ("g/L", 10.0, 0),
    "calcium": ("mmol/L", 10.0 / 40.08, 2),
    "albumin": ("g/L", 10.0, 0),
}

# Fraction of the line's starting burden left at the nadir, by best response. Rough, for demo only.
_NADIR_FRACTION: dict[str, tuple[float, float]] = {
    "sCR": (0.0, 0.0),
    "CR": (0.0, 0.0),
    "VGPR": (0.02, 0.09),
    "PR": (0.12, 0.48),
    "MR": (0.52, 0.74),
    "SD": (0.78, 0.95),
    "PD": (0.93, 1.0),
}
# Progression-free survival multiplier by best response. Rough, for demo only.
_PFS_FACTOR: dict[str, float] = {
    "sCR": 1.5,
    "CR": 1.4,
    "VGPR": 1.1,
    "PR": 0.75,
    "MR": 0.45,
    "SD": 0.35,
    "PD": 0.0,
}
_IMMUNOTHERAPY_CLASSES = frozenset({"BCMA", "GPRC5D", "FcRH5"})
_TRIPLE_CLASS = frozenset({"PI", "IMiD", "anti-CD38"})


_ISOTYPE_NAMES = tuple(name for name, _ in F.ISOTYPES)
_ISOTYPE_CUM = tuple(accumulate(weight for _, weight in F.ISOTYPES))
_TRANSLOCATIONS = (*(name for name, _ in F.IGH_TRANSLOCATIONS), None)
_TRANSLOCATION_CUM = tuple(
    accumulate((*(p for _, p in F.IGH_TRANSLOCATIONS), 1.0 - sum(p for _, p in F.IGH_TRANSLOCATIONS)))
)
_COMORBIDITY_NAMES = tuple(name for name, _ in C.COMORBIDITIES)
_COMORBIDITY_CUM = tuple(accumulate(weight for _, weight in C.COMORBIDITIES))
_FISH_1Q_FROM = dt.date(2015, 1, 1).toordinal()


@dataclass(frozen=True)
class _Tables:
    classes: dict[str, str | None]
    # Per regimen of C.RELAPSE: its classes, its non-steroid drugs, whether it is an immunotherapy.
    relapse: tuple[tuple[C.Regimen, frozenset[str], frozenset[str], bool], ...]


def _classes_of(drugs: tuple[str, ...], classes: dict[str, str | None]) -> frozenset[str]:
    found: set[str] = set()
    for drug in drugs:
        drug_class = classes[drug]
        if drug_class is not None:
            found.add(drug_class)
    return frozenset(found)


@cache
def _tables() -> _Tables:
    classes = C.drug_classes()
    relapse = []
    for regimen in C.RELAPSE:
        regimen_classes = _classes_of(regimen.active, classes)
        immunotherapy = bool(regimen_classes & _IMMUNOTHERAPY_CLASSES)
        relapse.append((regimen, regimen_classes, frozenset(regimen.active), immunotherapy))
    return _Tables(classes, tuple(relapse))


def _clip(value: float, low: float, high: float) -> float:
    return low if value < low else high if value > high else value


class _Patient:
    """One synthetic patient, simulated forward from diagnosis to the end of follow-up."""

    def __init__(self, rng: random.Random, index: int) -> None:
        self.rng = rng
        self.index = index
        self.tables = _tables()
        self.latest = 0
        self.therapies: list[dict[str, Any]] = []
        self.labs: list[dict[str, Any]] = []
        self.cytogenetics: list[dict[str, Any]] = []
        self.findings: list[dict[str, Any]] = []
        self.transplants: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.adverse_events: list[dict[str, Any]] = []
        self.symptoms: list[dict[str, Any]] = []
        self.performance: list[dict[str, Any]] = []
        self.exposed: set[str] = set()
        self.refractory: set[str] = set()
        self.blocked: set[str] = set()  # not chosen again: refractory drugs, and both anti-CD38 antibodies
        self.abnormalities: set[str] = set()
        self.assessments = 0
        self.burden = 1.0

    # ------------------------------------------------------------------ recording helpers

    def _ri(self, low: int, high: int) -> int:
        """A random integer in [low, high] (``randint`` semantics, cheaper)."""
        return low + int(self.rng.random() * (high - low + 1))

    def _seen(self, day: int) -> None:
        if day > self.latest:
            self.latest = day

    def _lab(self, day: int, test: str, value: float, uln: float | None = None) -> None:
        if day > self.fu_end:
            return
        unit, factor, decimals = self.units[test]
        entry: dict[str, Any] = {
            "date": _iso(day),
            "test": test,
            "value": round(value * factor, decimals) if value > 0 else 0.0,
            "unit": unit,
        }
        if uln is not None:
            entry["upper_limit_normal"] = round(uln * factor, decimals)
        self.labs.append(entry)
        if day > self.latest:
            self.latest = day

    def _rx(
        self,
        drug: str,
        start: int,
        end: int | None,
        setting: str | None,
        reason: str | None,
        dose: tuple[float, str] | None = None,
    ) -> int | None:
        """Chart one drug course, cut at the end of follow-up; returns the charted end (None: ongoing)."""
        if start > self.fu_end:
            return None
        if end is not None and end < start:
            end = start
        if end is not None and end > self.fu_end:
            end = None
        entry: dict[str, Any] = {
            "drug": drug,
            "start": _iso(start),
            "end": None if end is None else _iso(end),
        }
        if setting is not None:
            entry["setting"] = setting
        if end is not None and reason is not None:
            entry["stop_reason"] = reason
        if dose is not None:
            entry["dose"], entry["dose_unit"] = dose
        self.therapies.append(entry)
        self._seen(start if end is None else end)
        if C.ADVERSE_EVENTS.get(drug):
            self._adverse_events(drug, start, end)
        return end

    def _dose(self, drug: str) -> tuple[float, str] | None:
        options = C.DOSES.get(drug)
        if options is None or self.rng.random() >= F.P_DOSE_STATED:
            return None
        return self.rng.choice(options)

    def _adverse_events(self, drug: str, start: int, end: int | None) -> None:
        rng = self.rng
        for spec in C.ADVERSE_EVENTS[drug]:
            if rng.random() >= spec.probability * F.P_AE_SCALE:
                continue
            onset = start + self._ri(*spec.onset)
            if onset > self.fu_end or (end is not None and onset > end + 14):
                continue
            grade = rng.choices((1, 2, 3, 4), cum_weights=spec.grades_cum)[0]
            self._adverse_event(spec.term, grade, onset, onset + self._ri(*spec.duration), drug)
            if spec.symptom is not None and rng.random() < 0.5:
                self._symptom(onset + self._ri(0, 5), spec.symptom, min(4, grade + rng.choice((-1, 0, 0, 1))))

    def _adverse_event(self, term: str, grade: int, onset: int, resolved: int, drug: str) -> None:
        grade = min(grade, ctcae_vocabulary().resolve(term).max_grade)  # e.g. CTCAE grades fatigue 1-3
        entry: dict[str, Any] = {"term": term, "grade": grade, "onset": _iso(onset)}
        roll = self.rng.random()
        if roll < 0.85:
            entry["resolved"] = _iso(resolved) if resolved <= self.fu_end else None
            self._seen(resolved if resolved <= self.fu_end else onset)
        elif roll < 0.95:
            entry["resolved"] = None
            self._seen(onset)
        else:
            self._seen(onset)
        entry["attributed_to"] = [drug]
        self.adverse_events.append(entry)

    def _toxicity(self, drug: str, day: int, start: int) -> None:
        """The adverse event that stopped ``drug`` on ``day``."""
        rng = self.rng
        specs = C.ADVERSE_EVENTS.get(drug)
        term = specs[0].term if specs else "Fatigue"
        onset = max(start, day - self._ri(0, 10))
        if onset > self.fu_end:
            return
        self._adverse_event(term, rng.choice((2, 3, 3, 3, 4)), onset, day + self._ri(14, 120), drug)

    def _symptom(self, day: int, symptom: str, severity: int) -> None:
        if day > self.fu_end:
            return
        entry: dict[str, Any] = {"date": _iso(day), "symptom": symptom, "severity": max(0, severity)}
        roll = self.rng.random()
        if roll < 0.7:
            entry["reported_by"] = "patient"
        elif roll < 0.9:
            entry["reported_by"] = "clinician"
        self.symptoms.append(entry)
        self._seen(day)

    def _event(self, day: int, kind: str, response: str | None = None) -> None:
        if day > self.fu_end:
            return
        entry: dict[str, Any] = {"date": _iso(day), "type": kind}
        if response is not None:
            entry["response"] = response
        self.events.append(entry)
        self._seen(day)

    def _finding(self, day: int, test: str, result: str, sensitivity: float | None = None) -> None:
        if day > self.fu_end:
            return
        entry: dict[str, Any] = {"date": _iso(day), "test": test, "result": result}
        if sensitivity is not None:
            entry["sensitivity"] = sensitivity
        self.findings.append(entry)
        self._seen(day)

    def _performance(self, day: int, ecog: int) -> None:
        if day > self.fu_end:
            return
        self.performance.append({"date": _iso(day), "ecog": int(_clip(ecog, 0, 3))})
        self._seen(day)

    # ------------------------------------------------------------------ the patient at diagnosis

    def _demographics(self) -> None:
        rng = self.rng
        self.diag = self._ri(_DX_FIRST, _DX_LAST)
        diagnosis = dt.date.fromordinal(self.diag)
        self.age = int(_clip(round(rng.gauss(F.AGE_MEAN, F.AGE_SD)), F.AGE_MIN, F.AGE_MAX))
        month, day = self._ri(1, 12), self._ri(1, 28)
        later_in_year = (month, day) > (diagnosis.month, diagnosis.day)
        self.birth = dt.date(diagnosis.year - self.age - later_in_year, month, day)
        self.sex = "female" if rng.random() < F.P_FEMALE else "male"
        if rng.random() < 0.003:
            self.sex = "unknown"
        self.place = rng.choice(C.PLACES) if rng.random() < F.P_LOCATION else None
        us = self.place[3] if self.place is not None else rng.random() < 0.6
        p_other = F.P_SI_UNITS_US if us else F.P_SI_UNITS_ELSEWHERE
        self.units = dict(_CANONICAL_UNITS)
        for test, unit in _OTHER_UNITS.items():
            if rng.random() < p_other:
                self.units[test] = unit
        ecog = rng.choices((0, 1, 2, 3), weights=(0.35, 0.42, 0.17, 0.06))[0]
        if self.age > 75 and rng.random() < 0.3:
            ecog += 1
        self.ecog = min(ecog, 3)
        self.interval = rng.choice((30, 30, 60, 90))

    def _isotype(self) -> dict[str, Any]:
        rng = self.rng
        isotype = rng.choices(_ISOTYPE_NAMES, cum_weights=_ISOTYPE_CUM)[0]
        kappa = rng.random() < (F.P_KAPPA_IGD if isotype == "IgD" else F.P_KAPPA)
        self.involved = "flc_kappa" if kappa else "flc_lambda"
        self.uninvolved = "flc_lambda" if kappa else "flc_kappa"
        diagnosis: dict[str, Any] = {"date": _iso(self.diag)}
        if isotype == "non-secretory":
            self.marker = "none"
            diagnosis["heavy_chain"], diagnosis["light_chain"] = "none", "none"
        elif isotype == "light-chain":
            self.marker = "flc"
            diagnosis["heavy_chain"], diagnosis["light_chain"] = "none", "kappa" if kappa else "lambda"
        else:
            self.marker = "serum"
            diagnosis["heavy_chain"], diagnosis["light_chain"] = isotype, "kappa" if kappa else "lambda"
        median = {"IgG": 3.2, "IgA": 2.3, "IgD": 0.9, "IgM": 2.0}.get(isotype, 1.0)
        self.m0 = _clip(math.exp(rng.gauss(math.log(median), 0.5)), 0.5, 9.0)
        # Involved and uninvolved free light chains (mg/L): baseline, and values in a deep response.
        self.inv_normal = rng.uniform(8.0, 18.0) if kappa else rng.uniform(10.0, 22.0)
        if self.marker == "flc":
            self.flc0 = _clip(math.exp(rng.gauss(math.log(1200.0), 0.9)), 180.0, 20000.0)
        elif self.marker == "serum":
            self.flc0 = _clip(math.exp(rng.gauss(math.log(120.0), 1.0)), 25.0, 3000.0)
        else:
            self.flc0 = self.inv_normal * rng.uniform(1.0, 1.3)
        self.unin_low = rng.uniform(1.5, 6.0) if kappa else rng.uniform(2.0, 8.0)
        self.unin_high = rng.uniform(8.0, 16.0) if not kappa else rng.uniform(10.0, 22.0)
        self.flc_every = rng.choice((2, 3, 3)) if self.marker == "serum" else 1
        if rng.random() < F.P_DIAGNOSIS_FLAGS_STATED:
            diagnosis["extramedullary_disease"] = rng.random() < F.P_EXTRAMEDULLARY
            diagnosis["plasma_cell_leukemia"] = rng.random() < F.P_PLASMA_CELL_LEUKEMIA
            diagnosis["al_amyloidosis"] = rng.random() < F.P_AL_AMYLOIDOSIS
            if rng.random() < 0.3:
                diagnosis["cns_involvement"] = False
        return diagnosis

    def _baseline_labs(self) -> None:
        rng = self.rng
        day = self.diag - self._ri(0, 10)
        renal_p = F.P_RENAL_IMPAIRMENT_LIGHT_CHAIN if self.marker == "flc" else F.P_RENAL_IMPAIRMENT
        female = self.sex == "female"
        self.cr_base = _clip(rng.gauss(0.8 if female else 0.95, 0.15), 0.5, 1.3)
        self.cr0 = rng.uniform(1.6, 6.0) if rng.random() < renal_p else self.cr_base
        self.hb0 = _clip(rng.gauss(10.6, 1.8), 6.0, 15.5)
        self.hb_normal = rng.uniform(12.0, 13.5) if female else rng.uniform(13.0, 15.0)
        if self.marker == "serum":
            self._lab(day, "m_protein_serum", round(self.m0, 2))
        elif self.marker == "flc" and rng.random() < F.P_SERUM_M_ZERO_REPORTED:
            self._lab(day, "m_protein_serum", 0.0)
        involved = self.flc0
        uninvolved = self.unin_low if self.marker != "none" else rng.uniform(5.0, 20.0)
        self._flc_pair(day, involved, uninvolved)
        urine_p = F.P_URINE_M_PROTEIN_LIGHT_CHAIN if self.marker == "flc" else F.P_URINE_M_PROTEIN
        if self.marker != "none" and rng.random() < urine_p:
            median = 1500.0 if self.marker == "flc" else 150.0
            self._lab(day, "m_protein_urine_24h", _clip(math.exp(rng.gauss(math.log(median), 1.0)), 0, 15000))
        self._lab(self.diag, "bm_plasma_cells", _clip(rng.gauss(40, 20), 10, 95))
        self._lab(day, "creatinine", self.cr0)
        self._lab(day, "hemoglobin", self.hb0)
        calcium = rng.uniform(10.6, 14.0) if rng.random() < F.P_HYPERCALCEMIA else rng.gauss(9.4, 0.5)
        self._lab(day, "calcium", _clip(calcium, 8.0, 14.0))
        self._lab(day, "albumin", _clip(rng.gauss(3.6, 0.55), 2.0, 5.0))
        b2m = math.exp(rng.gauss(math.log(3.6), 0.55)) * (1 + 0.35 * max(0.0, self.cr0 - 1.2))
        self.b2m = _clip(b2m, 1.0, 30.0)
        self._lab(day, "beta2_microglobulin", self.b2m)
        self.ldh_uln = uln = rng.choice((222.0, 225.0, 234.0, 246.0, 250.0, 280.0))
        ldh = uln * (rng.uniform(1.05, 2.5) if rng.random() < F.P_LDH_ELEVATED else rng.uniform(0.45, 0.97))
        self._lab(day, "ldh", ldh, uln)
        if rng.random() < 0.7:
            self._lab(day, "anc", _clip(rng.gauss(3.5, 1.2), 0.8, 9.0))
            self._lab(day, "platelets", _clip(rng.gauss(220, 70), 40, 450))

    def _fish(self, day: int, relapse: bool = False) -> None:
        rng = self.rng
        iso = _iso(day)
        entries = self.cytogenetics
        if relapse:
            del17p = "del(17p)" in self.abnormalities or rng.random() < F.P_ACQUIRED_DEL17P
            gain = "gain(1q)" in self.abnormalities or rng.random() < 0.1
            panel: tuple[tuple[str, bool], ...] = (("del(17p)", del17p), ("gain(1q)", gain))
        else:
            translocation = rng.choices(_TRANSLOCATIONS, cum_weights=_TRANSLOCATION_CUM)[0]
            gain = rng.random() < F.P_GAIN1Q
            rows: list[tuple[str, bool]] = [
                ("t(4;14)", translocation == "t(4;14)"),
                ("t(14;16)", translocation == "t(14;16)"),
                ("t(11;14)", translocation == "t(11;14)"),
            ]
            if rng.random() < F.P_PANEL_HAS_T14_20:
                rows.append(("t(14;20)", translocation == "t(14;20)"))
            rows.append(("del(17p)", rng.random() < F.P_DEL17P))
            if day >= _FISH_1Q_FROM or rng.random() < 0.6:
                rows.append(("gain(1q)", gain))
                if gain and rng.random() < F.P_AMP1Q_GIVEN_GAIN1Q:
                    rows.append(("amp(1q)", True))
                if rng.random() < F.P_PANEL_HAS_1P:
                    rows.append(("del(1p)", rng.random() < F.P_DEL1P))
            if translocation is None and rng.random() < F.P_PANEL_HAS_HYPERDIPLOIDY:
                rows.append(("hyperdiploidy", rng.random() < F.P_HYPERDIPLOIDY))
            panel = tuple(rows)
        for abnormality, present in panel:
            entry: dict[str, Any] = {
                "date": iso,
                "abnormality": abnormality,
                "present": present,
                "method": "FISH",
            }
            if present:
                self.abnormalities.add(abnormality)
                if abnormality == "del(17p)" or (abnormality == "gain(1q)" and rng.random() < 0.3):
                    entry["clone_fraction"] = round(rng.uniform(0.2, 0.95), 2)
            entries.append(entry)
        self._seen(day)

    # ------------------------------------------------------------------ disease markers over time

    def _value(self, burden: float) -> float:
        """The primary marker (serum M-protein g/dL, involved FLC mg/L, or the burden itself)."""
        if self.marker == "serum":
            return round(self.m0 * burden, 2)
        if self.marker == "flc":
            return round(self.inv_normal + (self.flc0 - self.inv_normal) * burden, 1)
        return round(burden, 3)

    def _burden(self, value: float) -> float:
        if self.marker == "serum":
            return value / self.m0
        if self.marker == "flc":
            return (value - self.inv_normal) / (self.flc0 - self.inv_normal)
        return value

    def _flc_pair(self, day: int, involved: float, uninvolved: float) -> None:
        if self.involved == "flc_kappa":
            self._lab(day, "flc_kappa", involved)
            self._lab(day, "flc_lambda", uninvolved)
        else:
            self._lab(day, "flc_kappa", uninvolved)
            self._lab(day, "flc_lambda", involved)

    def _assess(self, day: int, burden: float, on_therapy: bool, value: float | None = None) -> float:
        """One visit's labs; returns the primary marker value as charted (canonical unit).

        The hottest code of the generator: it writes most of the lab entries, so it is written out flat."""
        rnd = self.rng.random
        append = self.labs.append
        units = self.units
        if value is None:
            value = self._value(burden)
        self.assessments += 1
        n = self.assessments
        iso = _iso(day)
        b = burden if burden < 1.0 else 1.0
        marker = self.marker
        if marker == "serum":
            unit, factor, decimals = units["m_protein_serum"]
            append(
                {
                    "date": iso,
                    "test": "m_protein_serum",
                    "value": round(value * factor, decimals),
                    "unit": unit,
                }
            )
        if marker == "flc" or (marker == "serum" and n % self.flc_every == 0):
            if marker == "flc":
                involved = value
            else:
                involved = (self.inv_normal + (self.flc0 - self.inv_normal) * burden) * (0.95 + 0.1 * rnd())
            uninvolved = (self.unin_low + (self.unin_high - self.unin_low) * (1 - b)) * (0.9 + 0.2 * rnd())
            kappa, lambda_ = (
                (involved, uninvolved) if self.involved == "flc_kappa" else (uninvolved, involved)
            )
            unit, factor, decimals = units["flc_kappa"]
            append({"date": iso, "test": "flc_kappa", "value": round(kappa * factor, decimals), "unit": unit})
            unit, factor, decimals = units["flc_lambda"]
            append(
                {"date": iso, "test": "flc_lambda", "value": round(lambda_ * factor, decimals), "unit": unit}
            )
        if n % 4 == 0:
            creatinine = (self.cr_base + (self.cr0 - self.cr_base) * math.sqrt(b)) * (0.93 + 0.14 * rnd())
            unit, factor, decimals = units["creatinine"]
            append(
                {
                    "date": iso,
                    "test": "creatinine",
                    "value": round(creatinine * factor, decimals),
                    "unit": unit,
                }
            )
        counts = on_therapy and rnd() < F.P_BLOOD_COUNTS
        if counts or n % 4 == 1 or marker == "none":
            hb = self.hb0 + (self.hb_normal - self.hb0) * (1 - b) + 1.6 * (rnd() - 0.5) - 0.6 * on_therapy
            hb = _clip(hb, 6.0, 16.5)
            unit, factor, decimals = units["hemoglobin"]
            append({"date": iso, "test": "hemoglobin", "value": round(hb * factor, decimals), "unit": unit})
        if counts:
            anc = _clip((2.6 if on_therapy else 3.5) + 3.0 * (rnd() - 0.5), 0.3, 9.0)
            platelets = _clip(215.0 - 60.0 * b + 120.0 * (rnd() - 0.5), 30.0, 450.0)
            append({"date": iso, "test": "anc", "value": round(anc, 2), "unit": "10^9/L"})
            append({"date": iso, "test": "platelets", "value": round(platelets, 0), "unit": "10^9/L"})
        if day > self.latest:  # every visit charts at least one result (hemoglobin at least, above)
            self.latest = day
        return value

    def _course(
        self,
        t0: int,
        response: str,
        ttn: int,
        pfs: int,
        on_until: int | None,
        cut: int | None,
        fall_from: int | None = None,
    ) -> int | None:
        """Serial assessments of one line from ``t0``: a fall to the nadir, a plateau, then a rise confirmed
        on two consecutive monthly assessments (>25% and >= 0.5 g/dL, or >= 100 mg/L of involved FLC, above
        the nadir). Returns the day progression is confirmed, or None when follow-up ends (or the line is
        ``cut``) first. The marker holds steady until ``fall_from`` (a CAR-T infusion), if given."""
        rng = self.rng
        fu_end = self.fu_end if cut is None else min(self.fu_end, cut)
        b0 = self.burden
        low, high = _NADIR_FRACTION[response]
        bn = b0 * (low + (high - low) * rng.random())
        ttn = max(ttn, 1)
        n_rise = self._ri(3, 5)
        rise_from = t0 + max(ttn + 1, pfs - n_rise * 30)
        day = t0
        burden = b0
        nadir = math.inf
        rnd = rng.random
        interval = self.interval
        while day < rise_from:
            if day > fu_end:
                self.burden = burden
                return None
            since = day - t0
            if fall_from is not None and day < fall_from:
                burden = b0 * (0.97 + 0.06 * rnd())
            elif since < ttn:
                x = (
                    1.0 - since / ttn
                    if fall_from is None
                    else 1.0 - (day - fall_from) / (t0 + ttn - fall_from)
                )
                burden = bn + (b0 - bn) * x * x
            else:
                burden = bn * (0.95 + 0.1 * rnd())
            on = on_until is None or day <= on_until
            value = self._assess(day, burden, on)
            if value < nadir:
                nadir = value
            # Visits: monthly in a line's first year, then every 1-3 months; every 2-3 months off therapy.
            if not on:
                step = 50 + int(46 * rnd())
            elif since < 365:
                step = 26 + int(10 * rnd())
            else:
                step = interval - 5 + int(11 * rnd())
            if since < ttn < since + step:
                step = ttn - since  # the nadir is always seen
            day += step
        if nadir == math.inf:
            nadir = self._value(burden)
        absolute = 100.0 if self.marker == "flc" else 0.5
        threshold = max(nadir * 1.25, nadir + absolute)
        q = rng.uniform(1.25, 1.7)
        u = 1.05 + (q - 1.05) * rng.uniform(0.1, 0.8)
        decimals = 1 if self.marker == "flc" else 2 if self.marker == "serum" else 3
        for j in range(1, n_rise + 1):
            if day > fu_end:
                self.burden = burden
                return None
            value = round(nadir + (threshold - nadir) * u * q ** (j - (n_rise - 1)), decimals)
            burden = self._burden(value)
            self._assess(day, burden, on_until is None or day <= on_until, value)
            if j == n_rise:
                break
            day += self._ri(26, 35)
        self.burden = burden
        return day

    # ------------------------------------------------------------------ lines of therapy

    def _response(self, regimen: C.Regimen) -> str:
        return self.rng.choices(C.RESPONSES, cum_weights=regimen.response_cum)[0]

    def _timing(self, regimen: C.Regimen, response: str, number: int) -> tuple[int, int]:
        """Days to the nadir and to progression (from the line's start)."""
        rng = self.rng
        if response in ("sCR", "CR"):
            ttn = self._ri(90, 240)
        elif response == "VGPR":
            ttn = self._ri(60, 180)
        elif response == "PR":
            ttn = self._ri(45, 120)
        else:
            ttn = self._ri(28, 75)
        if response == "PD":
            return ttn, self._ri(60, 120)
        months = regimen.pfs_months * _PFS_FACTOR[response] * math.exp(rng.gauss(0, F.PFS_SIGMA))
        months *= self.risk_factor * F.LATER_LINE_PFS_FACTOR ** max(0, number - 2)
        return ttn, max(int(months * _MONTH), ttn + 60)

    def _starts(self, drugs: tuple[str, ...], t0: int) -> list[int]:
        """Start days of a regimen's drugs: the same day, or one drug a few days later."""
        starts = [t0] * len(drugs)
        if len(drugs) > 1 and self.rng.random() < 0.15:
            starts[self.rng.randrange(1, len(drugs))] += self._ri(1, 3)
        return starts

    @staticmethod
    def _end(
        natural: tuple[int, str] | None, pd: int | None, stop: int | None, cut: int | None, cut_reason: str
    ) -> tuple[int | None, str | None]:
        if natural is not None and (pd is None or natural[0] < pd) and (cut is None or natural[0] <= cut):
            return natural
        if pd is not None:
            return stop, "progression"
        if cut is not None:
            return cut, cut_reason
        return None, None

    def _mark_exposure(self, drug: str, end: int | None, pd: int | None) -> None:
        if self.tables.classes.get(drug) == "corticosteroid":
            return
        self.exposed.add(drug)
        if pd is not None and (end is None or pd - end <= 60):
            self.refractory.add(drug)
            self.blocked.add(drug)
            if self.tables.classes.get(drug) == "anti-CD38":
                self.blocked.update(("daratumumab", "isatuximab"))

    def _line_findings(self, t0: int, response: str, ttn: int, pd: int | None) -> None:
        rng = self.rng
        horizon = pd if pd is not None else self.fu_end
        nadir_day = t0 + ttn + self._ri(0, 21)
        if nadir_day <= horizon:
            if response != "PD" and rng.random() < F.P_RESPONSE_EVENT:
                self._event(nadir_day, "response_assessment", response)
            if response in ("sCR", "CR"):
                if rng.random() < F.P_IFE_AT_CR:
                    self._finding(nadir_day, "ife_serum", "negative")
                if rng.random() < F.P_MRD_AT_CR:
                    result = "negative" if rng.random() < 0.6 else "positive"
                    self._finding(nadir_day, "mrd_bone_marrow", result, rng.choice((1e-5, 1e-5, 1e-6)))
                    self._lab(nadir_day, "bm_plasma_cells", rng.uniform(0.0, 3.0))
        if pd is not None and pd <= self.fu_end:
            if self.marker == "none" or rng.random() < F.P_PROGRESSION_EVENT:
                self._event(pd, "progression")
            if rng.random() < F.P_BONE_LESION_AT_PROGRESSION:
                self._finding(pd, "new_bone_lesion", "positive")
            if rng.random() < 0.2:
                self._symptom(pd, rng.choice(("bone_pain", "bone_pain", "pain")), self._ri(1, 3))

    def _transplant_line(self, t0: int) -> tuple[int | None, int | None]:
        rng = self.rng
        regimen = self._pick(C.INDUCTION, t0)
        response = self._response(regimen)
        if response in ("SD", "PD", "MR"):
            response = "PR"
        induction_end = t0 + self._ri(4, 6) * 28 + self._ri(0, 10)
        transplant_days = [induction_end + self._ri(21, 60)]
        if self.high_risk and rng.random() < F.P_TANDEM_TRANSPLANT_HIGH_RISK:
            transplant_days.append(transplant_days[0] + self._ri(70, 120))
        last = transplant_days[-1]
        consolidation: tuple[int, int] | None = None
        if rng.random() < F.P_CONSOLIDATION:
            start = last + self._ri(60, 90)
            consolidation = (start, start + self._ri(50, 60))
            maintenance_start = consolidation[1] + self._ri(7, 21)
        else:
            maintenance_start = last + self._ri(80, 120)
        options = [(d, w_hr if self.high_risk else w) for d, since, w, w_hr in C.MAINTENANCE if since <= t0]
        maintenance = rng.choices([d for d, _ in options], weights=[w for _, w in options])[0]
        natural: dict[str, tuple[int, str]] = {}
        if rng.random() < F.P_MAINTENANCE_STOPPED_AFTER_YEARS:
            stopped = maintenance_start + self._ri(700, 1100)
            natural = {drug: (stopped, "completed") for drug in maintenance}
        if rng.random() < F.P_DRUG_STOPPED_FOR_TOXICITY:
            drug = rng.choice(maintenance)
            day = maintenance_start + self._ri(60, 600)
            if drug not in natural or day < natural[drug][0]:
                natural[drug] = (day, "toxicity")
        on_until = max(e for e, _ in natural.values()) if len(natural) == len(maintenance) else None
        ttn = self._ri(150, 330) if response in ("sCR", "CR") else self._ri(100, 240)
        months = regimen.pfs_months * _PFS_FACTOR[response] * math.exp(rng.gauss(0, F.PFS_SIGMA))
        pfs = max(int(months * self.risk_factor * _MONTH), maintenance_start - t0 + 150, ttn + 60)
        pd = self._course(t0, response, ttn, pfs, on_until, None)
        stop = pd + self._ri(0, 7) if pd is not None else None

        for drug, start in zip(regimen.drugs, self._starts(regimen.drugs, t0), strict=True):
            self._rx(drug, start, induction_end, "induction", "completed", self._dose(drug))
            self._mark_exposure(drug, induction_end, pd)
        for day in transplant_days:
            if day - 3 > self.fu_end:
                break
            mel_start = day - rng.choice((1, 2, 2, 3))
            mel_end = mel_start if rng.random() < 0.6 else min(day - 1, mel_start + 1)
            dose = (rng.choice(C.MELPHALAN_CONDITIONING_DOSES), "mg/m2") if rng.random() < 0.5 else None
            self._rx("melphalan", mel_start, mel_end, "conditioning", "completed", dose)
            if mel_start <= self.fu_end:
                self._mark_exposure("melphalan", mel_end, pd)
            if day <= self.fu_end:
                self.transplants.append({"date": _iso(day), "type": "autologous"})
                self._seen(day)
                self._lab(day + self._ri(5, 9), "anc", rng.uniform(0.0, 0.4))
                self._lab(day + self._ri(5, 9), "platelets", rng.uniform(5, 30))
        if consolidation is not None:
            for drug in regimen.drugs:
                self._rx(drug, consolidation[0], consolidation[1], "consolidation", "completed")
                self._mark_exposure(drug, consolidation[1], pd)
        for drug in maintenance:
            end, reason = self._end(natural.get(drug), pd, stop, None, "toxicity")
            dose = None
            if drug == "lenalidomide" and rng.random() < F.P_DOSE_STATED:
                dose = (rng.choice(C.MAINTENANCE_LENALIDOMIDE_DOSES), "mg")
            charted = self._rx(drug, maintenance_start, end, "maintenance", reason, dose)
            if reason == "toxicity" and charted is not None:
                self._toxicity(drug, charted, maintenance_start)
            if maintenance_start <= self.fu_end:
                self._mark_exposure(drug, end, pd)
        self._line_findings(t0, response, ttn, pd)
        return pd, (stop + self._ri(1, 28) if stop is not None else None)

    def _drug_line(
        self, number: int, t0: int, regimen: C.Regimen, setting: str | None
    ) -> tuple[int | None, int | None]:
        rng = self.rng
        response = self._response(regimen)
        ttn, pfs = self._timing(regimen, response, number)
        natural: dict[str, tuple[int, str]] = {}
        if regimen.kind == "fixed":
            fixed_end = t0 + self._ri(*regimen.fixed_days)
            natural = {drug: (fixed_end, "completed") for drug in regimen.drugs}
        for drug, low, high in regimen.limited:
            natural[drug] = (t0 + self._ri(low, high), "completed")
        if (
            "dexamethasone" in regimen.drugs
            and regimen.kind != "fixed"
            and rng.random() < F.P_DEX_STOPPED_EARLY
        ):
            natural["dexamethasone"] = (t0 + self._ri(150, 540), "other")
        cut: int | None = None
        cut_reason = "toxicity"
        room = pfs - ttn - 150
        roll = rng.random()
        if room > 60:
            if roll < F.P_LINE_STOPPED_FOR_TOXICITY and regimen.kind == "continuous":
                cut = t0 + ttn + self._ri(0, room)
            elif (
                roll < F.P_LINE_STOPPED_FOR_TOXICITY + F.P_DRUG_STOPPED_FOR_TOXICITY
                and len(regimen.active) > 1
            ):
                drug = rng.choice(regimen.active)
                day = t0 + self._ri(30, ttn + room)
                if drug not in natural or day < natural[drug][0]:
                    natural[drug] = (day, "toxicity")
            elif (
                roll < F.P_LINE_STOPPED_FOR_TOXICITY + F.P_DRUG_STOPPED_FOR_TOXICITY + F.P_TREATMENT_HOLIDAY
                and regimen.kind == "continuous"
                and ttn + room > 420
            ):
                day = t0 + self._ri(365, ttn + room)
                for drug in regimen.drugs:
                    if drug not in natural or day < natural[drug][0]:
                        natural[drug] = (day, "patient_choice")
        on_until = max(e for e, _ in natural.values()) if len(natural) == len(regimen.drugs) else None
        pd = self._course(t0, response, ttn, pfs, on_until, cut)
        stop = pd + self._ri(0, 7) if pd is not None else None
        if regimen.trial:
            setting = "clinical_trial"
        for drug, start in zip(regimen.drugs, self._starts(regimen.drugs, t0), strict=True):
            end, reason = self._end(natural.get(drug), pd, stop, cut, cut_reason)
            charted = self._rx(drug, start, end, setting, reason, self._dose(drug))
            if reason == "toxicity" and charted is not None:
                self._toxicity(drug, charted, start)
            if start <= self.fu_end:
                self._mark_exposure(drug, end, pd)
        self._line_findings(t0, response, ttn, pd)
        if pd is not None and stop is not None:
            return pd, stop + self._ri(1, 28)
        if cut is not None and cut <= self.fu_end:
            return None, cut + self._ri(14, 45)
        return None, None

    def _car_t_line(self, t0: int, regimen: C.Regimen) -> tuple[int | None, int | None]:
        """Bridging (or none), lymphodepletion on days -5 to -3, infusion on day 0, then off therapy."""
        rng = self.rng
        product = regimen.drugs[0]
        self.cell_products.add(product)
        bridging: tuple[str, ...] = ()
        if rng.random() >= F.P_NO_BRIDGING:
            options = [(d, w) for d, w in C.BRIDGING if self.blocked.isdisjoint(d)]
            options = options or [(("dexamethasone",), 1.0)]
            bridging = rng.choices([d for d, _ in options], weights=[w for _, w in options])[0]
        if bridging:
            bridge_start = t0 + self._ri(10, 28)
            bridge_end = bridge_start + self._ri(21, 45)
            ld_start = bridge_end + self._ri(7, 14)
        else:
            bridge_start = bridge_end = t0
            ld_start = t0 + self._ri(28, 50)
        infusion = ld_start + 5
        response = self._response(regimen)
        _, pfs_after = self._timing(
            regimen, response, 2
        )  # progression-free survival is not shortened by line
        ttn_after = self._ri(60, 120) if response in ("sCR", "CR") else self._ri(30, 90)
        ttn = (infusion - t0) + ttn_after
        pfs = (infusion - t0) + max(pfs_after, ttn_after + 60)
        pd = self._course(t0, response, ttn, pfs, None, None, fall_from=infusion)
        stop = pd + self._ri(0, 7) if pd is not None else None
        for drug in bridging:
            end, reason = self._end((bridge_end, "completed"), pd, stop, None, "toxicity")
            self._rx(drug, bridge_start, end, "bridging", reason)
            if bridge_start <= self.fu_end:
                self._mark_exposure(drug, end, pd)
        for drug in C.LYMPHODEPLETION:
            self._rx(drug, ld_start, ld_start + 2, "conditioning", "completed")
        setting = "clinical_trial" if regimen.trial else None
        if self._rx(product, infusion, infusion, setting, "completed") is not None:
            self._mark_exposure(product, infusion, pd)
        self._line_findings(infusion, response, ttn_after, pd)
        if pd is not None and stop is not None:
            return pd, stop + self._ri(1, 28)
        return None, None

    def _pick(self, regimens: tuple[C.Regimen, ...], day: int) -> C.Regimen:
        available = [r for r in regimens if r.available <= day < r.withdrawn]
        return self.rng.choices(available, weights=[r.weight for r in available])[0]

    def _pick_relapse(self, number: int, day: int) -> C.Regimen:
        classes = self.tables.classes
        refractory_classes = {classes.get(d) for d in self.refractory}
        triple_class_refractory = refractory_classes >= _TRIPLE_CLASS
        bcma_exposed = any(classes.get(d) == "BCMA" for d in self.exposed)
        candidates: list[C.Regimen] = []
        weights: list[float] = []
        blocked, exposed = self.blocked, self.exposed
        for regimen, regimen_classes, active, immunotherapy in self.tables.relapse:
            if not regimen.available <= day < regimen.withdrawn:
                continue
            if number < regimen.min_line and not (
                immunotherapy and triple_class_refractory and number >= regimen.min_line - 2
            ):
                continue
            if regimen.requires is not None and regimen.requires not in self.abnormalities:
                continue
            if not blocked.isdisjoint(active):
                continue
            if regimen.kind == "car_t" and (
                regimen.drugs[0] in self.cell_products or self.declines_cell_therapy or self._age_at(day) > 80
            ):
                continue
            weight = regimen.weight
            novelty = len(active.difference(exposed))
            weight *= 0.3 if novelty == 0 else 1.0 + 0.5 * min(novelty, 2)
            if immunotherapy and triple_class_refractory:
                weight *= 3.0
            if bcma_exposed and "BCMA" in regimen_classes:
                weight *= 0.4
            candidates.append(regimen)
            weights.append(weight)
        if not candidates:
            candidates = [r for r in C.FALLBACK if r.available <= day]
            weights = [r.weight for r in candidates]
        return self.rng.choices(candidates, weights=weights)[0]

    def _age_at(self, day: int) -> int:
        return self.age + (day - self.diag) // 365

    # ------------------------------------------------------------------ the whole record

    def build(self) -> dict[str, Any]:
        rng = self.rng
        self._demographics()
        diagnosis = self._isotype()
        self.fu_end = _CUTOFF  # provisional: baseline items are all before the real end of follow-up
        self._baseline_labs()
        if rng.random() < F.P_FISH_TESTED:
            self._fish(self.diag + self._ri(0, 3))
        self.high_risk = bool(self.abnormalities & {"del(17p)", "t(4;14)", "t(14;16)", "t(14;20)"})
        self.risk_factor = F.HIGH_RISK_PFS_FACTOR if self.high_risk else 1.0
        if "gain(1q)" in self.abnormalities and not self.high_risk:
            self.risk_factor = F.GAIN1Q_PFS_FACTOR
        if self.b2m >= 5.5:
            self.risk_factor *= 0.85
        months = math.exp(rng.gauss(math.log(F.FOLLOW_UP_MEDIAN_MONTHS), F.FOLLOW_UP_SIGMA))
        if self.high_risk:
            months *= F.HIGH_RISK_SURVIVAL_FACTOR
        if self.age > 75:
            months *= F.OLD_AGE_SURVIVAL_FACTOR
        self.fu_end = min(_CUTOFF, self.diag + max(45, int(months * _MONTH)))

        preferences: dict[str, Any] = {}
        if rng.random() < F.P_PREFERENCES:
            if rng.random() < 0.5:
                preferences["max_travel_km"] = float(rng.choice((25, 50, 100, 200, 500)))
            if rng.random() < 0.3:
                preferences["oral_only"] = rng.random() < 0.5
            if rng.random() < 0.4:
                preferences["declines_cell_therapy"] = rng.random() < 0.6
            if not preferences:
                preferences["max_travel_km"] = 100.0
        self.declines_cell_therapy = bool(preferences.get("declines_cell_therapy"))
        self.cell_products: set[str] = set()

        if rng.random() < 0.85:
            self._performance(self.diag + self._ri(0, 14), self.ecog)
        if rng.random() < 0.6:
            self._symptom(self.diag, "bone_pain", self._ri(1, 3))
        if rng.random() < 0.5:
            self._symptom(self.diag, "fatigue", self._ri(1, 3))

        eligible_p = next(p for bound, p in F.TRANSPLANT_ELIGIBLE_BY_AGE if self.age < bound)
        eligible = rng.random() < eligible_p and self.ecog < 3
        if eligible and rng.random() < F.P_DECLINES_TRANSPLANT:
            eligible = False
            preferences["declines_transplant"] = True

        t0 = self.diag + self._ri(3, 35)
        if rng.random() < F.P_BONE_AGENT:
            agent = rng.choice(C.BONE_AGENTS)
            self._rx(agent, t0, t0 + self._ri(360, 760), None, "completed")
        if eligible:
            pd, resume = self._transplant_line(t0)
        else:
            pd, resume = self._drug_line(1, t0, self._pick(C.FRONTLINE_INELIGIBLE, t0), None)
        number = 1
        while resume is not None and resume <= self.fu_end:
            if pd is None and number >= F.MAX_LINES:
                break
            if pd is not None:
                p_stop = F.P_NO_FURTHER_THERAPY_BASE + F.P_NO_FURTHER_THERAPY_PER_LINE * (number - 1)
                if number >= F.MAX_LINES or rng.random() < p_stop:
                    self._palliative(pd)
                    break
                self.burden *= rng.uniform(1.0, 1.1)
                if rng.random() < F.P_FISH_AT_RELAPSE:
                    self._fish(resume - self._ri(0, 14), relapse=True)
            number += 1
            if rng.random() < F.P_PERFORMANCE_STATUS_AT_LINE:
                self._performance(resume, self.ecog + (number - 1) // 3 + rng.choice((-1, 0, 0, 0, 1)))
            if rng.random() < 0.3:
                self._symptom(resume, "fatigue", self._ri(0, 3))
            if rng.random() < 0.2:
                self._lab(resume, "ldh", self.ldh_uln * rng.uniform(0.5, 1.6), self.ldh_uln)
                self._lab(resume, "beta2_microglobulin", self.b2m * rng.uniform(0.6, 1.5))
            regimen = self._pick_relapse(number, resume)
            if regimen.kind == "car_t":
                pd, resume = self._car_t_line(resume, regimen)
            else:
                setting = "salvage" if rng.random() < F.P_SALVAGE_SETTING_STATED else None
                pd, resume = self._drug_line(number, resume, regimen, setting)
        return self._assemble(diagnosis, preferences)

    def _palliative(self, pd: int) -> None:
        """No further anti-myeloma therapy after ``pd``: a few rising values, then follow-up ends."""
        rng = self.rng
        self.fu_end = min(self.fu_end, pd + self._ri(30, 240))
        day = pd
        for _ in range(self._ri(1, 3)):
            day += self._ri(30, 60)
            if day > self.fu_end:
                break
            self.burden *= rng.uniform(1.1, 1.4)
            self._assess(day, self.burden, False)
        if rng.random() < 0.5:
            self._performance(min(day, self.fu_end), self.ecog + 1)

    def _assemble(self, diagnosis: dict[str, Any], preferences: dict[str, Any]) -> dict[str, Any]:
        rng = self.rng
        as_of_day = min(_CUTOFF, max(self.latest, self.diag) + self._ri(0, 21))
        record: dict[str, Any] = {
            "schema_version": "1",
            "id": f"synth-{self.index:06d}",
            "as_of": _iso(as_of_day),
        }
        if rng.random() < F.P_AGE_INSTEAD_OF_BIRTH_DATE:
            as_of = dt.date.fromordinal(as_of_day)
            b = self.birth
            record["age"] = as_of.year - b.year - ((as_of.month, as_of.day) < (b.month, b.day))
        else:
            record["birth_date"] = self.birth.isoformat()
        record["sex"] = self.sex
        if rng.random() < F.P_WEIGHT_HEIGHT:
            female = self.sex == "female"
            height = _clip(rng.gauss(163.0 if female else 176.0, 7.0), 140.0, 205.0)
            bmi = _clip(rng.gauss(27.0, 4.5), 17.0, 45.0)
            record["weight_kg"] = round(bmi * (height / 100.0) ** 2, 1)
            record["height_cm"] = round(height, 1)
        record["diagnosis"] = diagnosis
        by_date = itemgetter("date")
        for key, items in (
            ("performance_status", self.performance),
            ("cytogenetics", self.cytogenetics),
            ("labs", self.labs),
            ("findings", self.findings),
        ):
            if items:
                items.sort(key=by_date)
                record[key] = items
        self.therapies.sort(key=itemgetter("start"))
        record["therapies"] = self.therapies
        for key, items in (("transplants", self.transplants), ("events", self.events)):
            if items:
                items.sort(key=by_date)
                record[key] = items
        if self.adverse_events:
            self.adverse_events.sort(key=itemgetter("onset"))
            record["adverse_events"] = self.adverse_events
        if self.symptoms:
            self.symptoms.sort(key=by_date)
            record["symptoms"] = self.symptoms
        if rng.random() < F.P_COMORBIDITIES:
            record["comorbidities"] = self._comorbidities()
        if self.place is not None:
            country, lat, lon, _ = self.place
            record["location"] = {
                "country": country,
                "latitude": round(lat + rng.uniform(-0.3, 0.3), 4),
                "longitude": round(lon + rng.uniform(-0.3, 0.3), 4),
            }
        if preferences:
            record["preferences"] = preferences
        return record

    def _comorbidities(self) -> list[dict[str, Any]]:
        rng = self.rng
        count = rng.choices((1, 2, 3), weights=(0.6, 0.3, 0.1))[0]
        chosen: dict[str, None] = dict.fromkeys(
            rng.choices(_COMORBIDITY_NAMES, cum_weights=_COMORBIDITY_CUM, k=count)
        )
        if self.cr0 > 2.0 and rng.random() < 0.5:
            chosen["chronic_kidney_disease"] = None
            if self.cr0 > 4.5 and rng.random() < 0.3:
                chosen["dialysis"] = None
        adult = self.birth.toordinal() + 18 * 366
        entries: list[dict[str, Any]] = []
        for condition in chosen:
            entry: dict[str, Any] = {"condition": condition}
            if rng.random() < 0.3:
                entry["grade"] = self._ri(1, 3)
            if rng.random() < 0.6:
                entry["since"] = _iso(max(adult, self.diag - self._ri(30, 7300)))
            entries.append(entry)
        return entries


def synthesize_one(rng: random.Random, index: int) -> dict[str, Any]:
    """One synthetic patient record (schema version 1) as a JSON-ready dict, drawn from ``rng`` only."""
    return _Patient(rng, index).build()


def iter_synthesize(n: int, seed: int) -> Iterator[dict[str, Any]]:
    """The records of :func:`synthesize`, one at a time (for cohorts that do not fit in memory)."""
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    for i in range(n):
        yield synthesize_one(random.Random(f"rrmm-synth:{seed}:{i}"), i)


def synthesize(n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` synthetic records; the same ``seed`` gives the same records, and record ``i`` does not depend
    on ``n`` (each record has its own generator seeded from ``seed`` and ``i``)."""
    return list(iter_synthesize(n, seed))
