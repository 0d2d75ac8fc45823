"""Symptom trends for the seed's four symptoms: the series and whether it is worsening."""

from __future__ import annotations

from builders import make_record
from rrmm.clinical.state import disease_state
from rrmm.planning.facts import PatientFacts
from rrmm.toxicity.manager import symptom_trend


def trend(*reports: tuple[str, int], symptom: str = "fatigue") -> str:
    rec = make_record(symptoms=[{"date": d, "symptom": symptom, "severity": s} for d, s in reports])
    return symptom_trend(PatientFacts(state=disease_state(rec), record=rec), "x", symptom).trend


def test_worsening_when_the_latest_is_above_every_recent_report():
    assert trend(("2024-01-01", 1), ("2024-02-01", 1), ("2024-03-01", 2)) == "worsening"


def test_improving_and_stable():
    assert trend(("2024-01-01", 3), ("2024-02-01", 2), ("2024-03-01", 1)) == "improving"
    assert trend(("2024-01-01", 1), ("2024-02-01", 3), ("2024-03-01", 2)) == "stable"


def test_only_recent_reports_count():
    # the report of 2022 is more than a year before the latest: nothing recent to compare with
    assert trend(("2022-01-01", 3), ("2024-03-01", 1)) == "no recent report to compare"
    assert trend(("2024-03-01", 1)) == "single report"
    assert trend() == "no reports"


def test_neuropathy_is_read_from_numbness_and_tingling():
    assert trend(("2024-01-01", 1), ("2024-02-01", 3), symptom="numbness_tingling") == "worsening"
