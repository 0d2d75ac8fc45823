"""Record -> FHIR Bundle -> record gives the same record: every example and 1,000 synthetic records; every
bundle rrmm writes validates against the FHIR R4B models of fhir.resources."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fhir.resources.R4B.bundle import Bundle

from rrmm.fhir.exporter import fhir_id, record_to_bundle
from rrmm.fhir.importer import import_bundle
from rrmm.record import record_from_json, record_from_mapping
from rrmm.synth import synthesize

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.json"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_examples_round_trip(path):
    record = record_from_json(path.read_bytes())
    bundle = json.loads(json.dumps(record_to_bundle(record)))
    Bundle.model_validate(bundle)
    result = import_bundle(bundle)
    assert result.warnings == ()
    assert result.record == record


def test_one_thousand_synthetic_records_round_trip():
    failures = []
    for raw in synthesize(1000, 20261127):
        record = raw if not isinstance(raw, dict) else record_from_mapping(raw)
        bundle = json.loads(json.dumps(record_to_bundle(record)))
        Bundle.model_validate(bundle)  # every bundle rrmm writes is valid FHIR R4B
        result = import_bundle(bundle, validate=False)  # validated just above
        if result.record != record or result.warnings:
            failures.append(record.id)
    assert failures == []


def test_written_codes_are_standard_first():
    record = record_from_json(EXAMPLES[0].read_bytes())
    bundle = record_to_bundle(record)
    conditions = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Condition"]
    myeloma = conditions[0]["code"]["coding"]
    assert myeloma[0]["system"] == "http://snomed.info/sct" and myeloma[0]["code"] == "109989006"
    assert myeloma[-1]["system"].startswith("urn:rrmm:fhir")


def test_a_record_id_fhir_does_not_allow_is_kept_in_an_identifier():
    assert fhir_id("patient 1/α") != "patient 1/α" and fhir_id("p-1.2") == "p-1.2"
    record = record_from_json(EXAMPLES[0].read_bytes()).model_copy(update={"id": "MRN 0042/α"})
    back = import_bundle(record_to_bundle(record)).record
    assert back.id == "MRN 0042/α"
