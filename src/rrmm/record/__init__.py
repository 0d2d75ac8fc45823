"""The patient record (schema version 1): validated input of every rrmm command."""

from rrmm.record.load import RecordError, record_from_json, record_from_mapping
from rrmm.record.models import (
    AdverseEvent,
    Comorbidity,
    Cytogenetics,
    Diagnosis,
    Event,
    Finding,
    Lab,
    Location,
    Medication,
    PerformanceStatus,
    Preferences,
    Record,
    SymptomReport,
    Therapy,
    Transplant,
)
from rrmm.record.units import UnitError, to_canonical

__all__ = [
    "AdverseEvent",
    "Comorbidity",
    "Cytogenetics",
    "Diagnosis",
    "Event",
    "Finding",
    "Lab",
    "Location",
    "Medication",
    "PerformanceStatus",
    "Preferences",
    "Record",
    "RecordError",
    "SymptomReport",
    "Therapy",
    "Transplant",
    "UnitError",
    "record_from_json",
    "record_from_mapping",
    "to_canonical",
]
