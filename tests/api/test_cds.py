"""CDS Hooks 2.0 ``patient-view`` service (``rrmm.api.cds``), checked against the specification.

The rules are those of the CDS Hooks specification as read in the cds-hooks/docs repository
(``docs/specification``, sections Discovery, Calling a CDS Service, Prefetch Template, Card Attributes,
Source, Link, and "Null and empty JSON elements"):

- a card has ``summary`` ("One-sentence, <140-character summary message"), ``indicator`` ("Allowed values
  ... are: info, warning, critical"), ``source`` with a REQUIRED ``label``; ``uuid`` identifies the card;
- a link has ``type`` ``absolute`` or ``smart``; ``appContext`` "should only be valued if the link type is
  smart";
- optional attributes without a value are omitted: "null, "", [], or {} are prohibited";
- the request has ``hook``, ``hookInstance`` (a UUID), ``context`` (for patient-view: ``userId``
  "[ResourceType]/[id]", ``patientId``, optional ``encounterId``); "If fhirAuthorization is provided, this
  field [fhirServer] is REQUIRED"; a prefetch value is a resource, a searchset Bundle, or null;
- discovery lists services with ``hook``, ``description``, ``id`` and ``prefetch`` templates such as
  ``Patient/{{context.patientId}}``.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from functools import cache
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from builders import course, make_record
from rrmm.api import cds
from rrmm.fhir.exporter import record_to_bundle
from rrmm.fhir.importer import import_bundle
from rrmm.planning.plan import build_plan
from rrmm.record import Record, record_from_json

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
APP = "https://rrmm.example.org"
HOOK_INSTANCE = "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea"  # the specification's example hookInstance
CRS = "Cytokine release syndrome"

#: Where an EHR puts each resource type when it fills rrmm's prefetch templates.
KEY_OF = {
    "Condition": "conditions",
    "MedicationRequest": "medication-requests",
    "MedicationStatement": "medication-statements",
    "Medication": "medication-statements",  # as an _include of the statements
    "MedicationAdministration": "medication-administrations",
    "Procedure": "procedures",
    "AdverseEvent": "adverse-events",
    "Observation": "laboratory",
    "OperationOutcome": "laboratory",
    "Immunization": "conditions",
}


def ehr_prefetch(bundle: dict[str, Any]) -> dict[str, Any]:
    """A bundle's resources as an EHR would prefetch them: the Patient alone, the rest as searchset Bundles
    under rrmm's keys, and null for a template with no data."""
    prefetch: dict[str, Any] = dict.fromkeys(cds.prefetch_templates())
    for entry in bundle["entry"]:
        resource = entry["resource"]
        rtype = resource["resourceType"]
        if rtype == "Patient":
            prefetch["patient"] = resource
            continue
        key = KEY_OF[rtype]
        if prefetch[key] is None:
            prefetch[key] = {"resourceType": "Bundle", "type": "searchset", "entry": []}
        url = f"https://ehr.example.org/fhir/{rtype}/{resource['id']}"
        prefetch[key]["entry"].append({"fullUrl": url, "resource": resource, "search": {"mode": "match"}})
    return prefetch


def request_for(prefetch: Any, patient_id: str, hook_instance: str = HOOK_INSTANCE) -> dict[str, Any]:
    body: dict[str, Any] = {
        "hook": "patient-view",
        "hookInstance": hook_instance,
        "context": {"userId": "Practitioner/example", "patientId": patient_id},
    }
    if prefetch is not ...:
        body["prefetch"] = prefetch
    return body


def noon(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)


def respond(record: Record, **kw: Any) -> dict[str, Any]:
    bundle = record_to_bundle(record)
    body = request_for(ehr_prefetch(bundle), bundle["entry"][0]["resource"]["id"], **kw)
    assert record.as_of is not None
    return cds.cds_response(body, APP, now=noon(record.as_of))


def crs_on_teclistamab() -> Record:
    """Teclistamab ongoing and a grade 3 CRS with no resolution: CRS still ongoing on as_of."""
    return make_record(
        as_of="2024-06-01",
        therapies=[course("teclistamab", "2024-01-01")],
        adverse_events=[{"term": CRS, "grade": 3, "onset": "2024-05-30"}],
    )


def infection_record() -> Record:
    return make_record(
        as_of="2024-06-01",
        therapies=[course("lenalidomide", "2024-01-01")],
        comorbidities=[{"condition": "active_infection", "since": "2024-05-28"}],
    )


def example(name: str) -> Record:
    return record_from_json((EXAMPLES / name).read_text())


EXAMPLE_NAMES = sorted(p.name for p in EXAMPLES.glob("*.json"))


@cache
def response_of(case: str) -> dict[str, Any]:
    if case == "crs-on-teclistamab":
        return respond(crs_on_teclistamab())
    if case == "active-infection":
        return respond(infection_record())
    if case == "ehr-searchset":
        bundle = json.loads((EXAMPLES / "fhir" / "ehr-searchset.json").read_text())
        now = dt.datetime.fromisoformat(bundle["timestamp"])
        return cds.cds_response(request_for(ehr_prefetch(bundle), "pt-8842"), APP, now=now)
    if case == "no-prefetch":
        return cds.cds_response(request_for(..., "p1"), APP)
    return respond(example(case))


CASES = [*EXAMPLE_NAMES, "crs-on-teclistamab", "active-infection", "ehr-searchset", "no-prefetch"]


def cards(case: str) -> list[dict[str, Any]]:
    return list(response_of(case)["cards"])


def of(indicator: str, case: str) -> list[dict[str, Any]]:
    return [c for c in cards(case) if c["indicator"] == indicator]


def empty_values(value: Any, path: str = "$") -> list[str]:
    """Paths of null, "", [] or {} values (the specification prohibits them)."""
    if value is None or value == "" or value == [] or value == {}:
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in empty_values(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in empty_values(v, f"{path}[{i}]")]
    return []


# --------------------------------------------------------------------------------------------- discovery
class TestDiscovery:
    def test_lists_the_patient_view_service(self):
        (svc,) = cds.discovery()["services"]
        assert svc["hook"] == "patient-view"
        assert svc["id"] == cds.SERVICE_ID == "rrmm-patient-view"
        assert svc["title"] and svc["description"]
        assert not empty_values(cds.discovery())

    def test_prefetch_templates(self):
        prefetch = cds.discovery()["services"][0]["prefetch"]
        assert prefetch["patient"] == "Patient/{{context.patientId}}"
        expected_types = {
            "Condition",
            "MedicationRequest",
            "MedicationStatement",
            "MedicationAdministration",
            "Observation",
            "Procedure",
            "AdverseEvent",
        }
        searched = {t.split("?", 1)[0] for t in prefetch.values() if "?" in t}
        assert searched == expected_types
        for key, template in prefetch.items():
            assert re.findall(r"\{\{[^}]*\}\}", template) == ["{{context.patientId}}"], key
            if "?" in template:
                assert re.search(r"[?&](patient=|subject=Patient/)\{\{context\.patientId\}\}", template), key
            assert "_include" not in template and "next" not in template

    def test_observation_templates_use_the_checked_loinc_codes(self):
        """LOINC 89247-1 ECOG Performance Status score; 97509-4 and 88040-1 disease status; 29463-7 body
        weight; 8302-2 body height (rows of terminology/data/codes/loinc.yaml, each with its check)."""
        prefetch = cds.prefetch_templates()
        assert prefetch["ecog"].endswith("code=http://loinc.org|89247-1")
        assert "http://loinc.org|97509-4" in prefetch["disease-status"]
        assert "http://loinc.org|88040-1" in prefetch["disease-status"]
        assert {"http://loinc.org|29463-7", "http://loinc.org|8302-2"} <= set(
            prefetch["body-measurements"].split("code=")[1].split(",")
        )
        assert prefetch["laboratory"].endswith(
            "category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory"
        )


# --------------------------------------------------------------------------------------------- request
SPEC_REQUEST: dict[str, Any] = {
    "hookInstance": HOOK_INSTANCE,
    "fhirServer": "http://hooks.smarthealthit.org:9080",
    "hook": "patient-view",
    "fhirAuthorization": {
        "access_token": "some-opaque-fhir-access-token",
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "patient/Patient.read patient/Observation.read",
        "subject": "cds-service4",
    },
    "context": {"userId": "Practitioner/example", "patientId": "1288992", "encounterId": "89284"},
    "prefetch": {
        "patientToGreet": {
            "resourceType": "Patient",
            "gender": "male",
            "birthDate": "1925-12-23",
            "id": "1288992",
            "active": True,
        }
    },
}


def changed(path: str, value: Any) -> dict[str, Any]:
    body = copy.deepcopy(SPEC_REQUEST)
    *parents, last = path.split(".")
    target = body
    for p in parents:
        target = target[p]
    if value is ...:
        del target[last]
    else:
        target[last] = value
    return body


class TestRequest:
    def test_the_specifications_example_request_is_valid(self):
        r = cds.CdsRequest.model_validate(SPEC_REQUEST)
        assert r.hookInstance == UUID(HOOK_INSTANCE)
        assert (r.context.userId, r.context.patientId, r.context.encounterId) == (
            "Practitioner/example",
            "1288992",
            "89284",
        )
        assert r.prefetch is not None and r.prefetch["patientToGreet"]["id"] == "1288992"

    def test_no_prefetch_and_no_server_is_valid(self):
        r = cds.CdsRequest.model_validate(request_for(..., "p1"))
        assert r.prefetch is None and r.fhirServer is None and r.fhirAuthorization is None

    def test_the_access_token_is_not_in_the_repr(self):
        assert "some-opaque-fhir-access-token" not in repr(cds.CdsRequest.model_validate(SPEC_REQUEST))

    @pytest.mark.parametrize(
        ("path", "value"),
        [
            ("hookInstance", ...),
            ("hookInstance", "not-a-uuid"),
            ("hook", "order-sign"),
            ("hook", ...),
            ("context", ...),
            ("context.patientId", ...),
            ("context.patientId", ""),
            ("context.userId", ...),
            ("context.userId", "example"),  # must be [ResourceType]/[id]
            ("context.userId", "Organization/1"),  # Practitioner, PractitionerRole, Patient, RelatedPerson
            ("fhirServer", ...),  # fhirAuthorization given: fhirServer REQUIRED
            ("fhirServer", "hooks.smarthealthit.org"),
            ("fhirAuthorization.token_type", "MAC"),  # fixed value Bearer
            ("fhirAuthorization.access_token", ...),
            ("prefetch", ["not", "an", "object"]),
        ],
    )
    def test_invalid_requests_are_value_errors(self, path: str, value: Any):
        with pytest.raises(ValueError):
            cds.CdsRequest.model_validate(changed(path, value))
        with pytest.raises(ValueError):
            cds.cds_response(changed(path, value), APP)

    def test_the_user_may_be_any_of_the_four_resource_types(self):
        for user in ("Practitioner/a", "PractitionerRole/b", "Patient/c", "RelatedPerson/d"):
            assert cds.CdsRequest.model_validate(changed("context.userId", user)).context.userId == user

    def test_app_url_must_be_absolute(self):
        with pytest.raises(ValueError):
            cds.cds_response(SPEC_REQUEST, "rrmm.example.org")


# --------------------------------------------------------------------------------------------- prefetch
def _obs(oid: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "code": {"text": "something"},
        "subject": {"reference": "Patient/p1"},
    }


class TestPrefetchBundle:
    def request(self) -> cds.CdsRequest:
        searchset = {
            "resourceType": "Bundle",
            "type": "searchset",
            "entry": [
                {
                    "fullUrl": "https://ehr/fhir/Observation/o1",
                    "resource": _obs("o1"),
                    "search": {"mode": "match"},
                },
                {
                    "fullUrl": "https://ehr/fhir/Observation/o2",
                    "resource": _obs("o2"),
                    "search": {"mode": "match"},
                },
            ],
        }
        second = {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": _obs("o2")}]}
        return cds.CdsRequest.model_validate(
            request_for(
                {
                    "patient": {"resourceType": "Patient", "id": "p1"},
                    "laboratory": searchset,
                    "ecog": second,  # o2 answered two searches
                    "disease-status": None,
                },
                "p1",
            )
        )

    def test_one_collection_bundle_of_every_resource_once(self):
        now = dt.datetime(2024, 6, 1, 12, tzinfo=dt.UTC)
        b = cds.prefetch_bundle(self.request(), now=now)
        assert (b["resourceType"], b["type"]) == ("Bundle", "collection")
        assert [e["resource"].get("id") for e in b["entry"]] == ["p1", "o1", "o2"]
        assert all("search" not in e for e in b["entry"])  # search belongs to searchset bundles only
        assert b["entry"][1]["fullUrl"] == "https://ehr/fhir/Observation/o1"
        assert "fullUrl" not in b["entry"][0]

    def test_the_timestamp_is_the_instant_of_the_call(self):
        now = dt.datetime(2024, 6, 1, 12, tzinfo=dt.UTC)
        b = cds.prefetch_bundle(self.request(), now=now)
        assert dt.datetime.fromisoformat(b["timestamp"]) == now
        # the calendar day written is the latest one on Earth at that instant (UTC+14)
        assert b["timestamp"].startswith("2024-06-02T02:00:00")

    def test_no_data_gives_a_bundle_without_entries(self):
        r = cds.CdsRequest.model_validate(request_for({"patient": None}, "p1"))
        b = cds.prefetch_bundle(r)
        assert "entry" not in b  # an empty array is not valid FHIR JSON

    def test_an_ehr_searchset_split_into_prefetch_keys_reads_as_the_searchset(self):
        """The bundle rrmm builds from the prefetch imports to the record the EHR's own searchset gives."""
        original = json.loads((EXAMPLES / "fhir" / "ehr-searchset.json").read_text())
        now = dt.datetime.fromisoformat(original["timestamp"])
        r = cds.CdsRequest.model_validate(request_for(ehr_prefetch(original), "pt-8842"))
        combined = import_bundle(cds.prefetch_bundle(r, now=now))
        direct = import_bundle(original)
        assert combined.record.as_of == dt.date(2024, 6, 2)  # the day at UTC+14 of 2024-06-01T09:30-04:00
        # the same record but for the order of the courses (the prefetch groups resources by type)
        a, d = combined.record.model_dump(mode="json"), direct.record.model_dump(mode="json")
        a["as_of"] = d["as_of"]
        a["therapies"], d["therapies"] = (sorted(x["therapies"], key=json.dumps) for x in (a, d))
        assert a == d
        assert sorted(map(str, combined.warnings)) == sorted(map(str, direct.warnings))

    def test_missing_prefetch_keys(self):
        r = cds.CdsRequest.model_validate(request_for({"patient": None, "conditions": None}, "p1"))
        missing = cds.missing_prefetch(r)
        assert "patient" not in missing and "conditions" not in missing  # null is "no data", not missing
        assert "laboratory" in missing and len(missing) == len(cds.prefetch_templates()) - 2


# --------------------------------------------------------------------------------------------- card rules
@pytest.mark.parametrize("case", CASES)
class TestCardRules:
    def test_summary_is_shorter_than_140_characters(self, case: str):
        for c in cards(case):
            assert 0 < len(c["summary"]) < 140, c["summary"]

    def test_indicator_is_info_warning_or_critical(self, case: str):
        assert cards(case)
        assert {c["indicator"] for c in cards(case)} <= {"info", "warning", "critical"}

    def test_source_has_a_label(self, case: str):
        for c in cards(case):
            assert c["source"]["label"] == "rrmm"
            assert c["source"]["url"] == APP
            assert c["source"]["topic"]["code"] in cds.CARD_KINDS

    def test_links_are_absolute_links_to_the_patient(self, case: str):
        for c in cards(case):
            assert c["links"]
            for link in c["links"]:
                assert link["type"] == "absolute" and "appContext" not in link
                assert link["url"].startswith(f"{APP}/patients/") and link["label"] == "Open in rrmm"

    def test_uuids_are_unique_uuids(self, case: str):
        ids = [c["uuid"] for c in cards(case)]
        assert len(set(ids)) == len(ids)
        assert all(str(UUID(i)) == i for i in ids)

    def test_no_null_or_empty_values(self, case: str):
        assert not empty_values(response_of(case)), case

    def test_detail_is_markdown_text(self, case: str):
        for c in cards(case):
            assert isinstance(c["detail"], str) and c["detail"].strip()
            assert "<" not in re.sub(r"\\<", "", c["detail"])  # no raw HTML

    def test_cards_validate_as_the_wire_model(self, case: str):
        for c in cards(case):
            assert cds.Card.model_validate(c).wire() == c


def test_uuids_are_deterministic_per_hook_instance():
    rec = example("late-relapse-off-therapy.json")
    first = [c["uuid"] for c in respond(rec)["cards"]]
    assert first == [c["uuid"] for c in respond(rec)["cards"]]
    other = [c["uuid"] for c in respond(rec, hook_instance="0b6a6c4e-8f7e-4a52-9c7c-2d3b9c1e5f00")["cards"]]
    assert not set(first) & set(other)


# --------------------------------------------------------------------------------------------- card content
class TestCriticalCard:
    def test_ongoing_grade_3_crs_on_teclistamab(self):
        """TECVAYLI boxed warning (as encoded in the knowledge base): withhold until CRS resolves. The plan
        answers 'hold'; the card names the drug and the action."""
        (critical,) = of("critical", "crs-on-teclistamab")
        assert "Hold teclistamab" in critical["summary"] and "CRS grade 3" in critical["summary"]
        assert critical["source"]["topic"]["code"] == "action-now"
        assert "Cytokine release syndrome grade 3 since 2024-05-30" in critical["detail"]
        assert "until CRS resolves" in critical["detail"]

    def test_critical_card_comes_first(self):
        assert cards("crs-on-teclistamab")[0]["indicator"] == "critical"

    def test_no_critical_card_for_a_late_relapse_off_therapy(self):
        assert not of("critical", "late-relapse-off-therapy.json")

    def test_active_infection(self):
        (critical,) = of("critical", "active-infection")
        assert critical["summary"].startswith("Active infection recorded")

    def test_a_resolved_crs_is_not_critical(self):
        rec = make_record(
            as_of="2024-06-01",
            therapies=[course("teclistamab", "2024-01-01")],
            adverse_events=[{"term": CRS, "grade": 3, "onset": "2024-05-20", "resolved": "2024-05-22"}],
        )
        assert not [c for c in respond(rec)["cards"] if c["indicator"] == "critical"]

    def test_ongoing_crs_without_a_drug_in_the_table(self):
        """CRS after CAR-T with no drug ongoing: no drug action, but the ongoing grade is critical."""
        rec = make_record(
            as_of="2024-06-01",
            therapies=[course("ciltacabtagene autoleucel", "2024-05-25", "2024-05-25")],
            adverse_events=[{"term": CRS, "grade": 2, "onset": "2024-05-27"}],
        )
        (critical,) = [c for c in respond(rec)["cards"] if c["indicator"] == "critical"]
        assert critical["summary"].startswith("Ongoing CRS grade 2 since 2024-05-27")


class TestInfoCards:
    def test_disease_state(self):
        rec = example("triple-class-refractory.json")
        plan = build_plan(rec, "us", ())
        (card,) = [c for c in respond(rec)["cards"] if c["source"]["topic"]["code"] == "disease-state"]
        assert card["indicator"] == "info"
        assert plan.disease.triple_class_refractory  # the example's name, and the plan agrees
        assert f"{plan.disease.lines_of_therapy} lines of therapy" in card["summary"]
        assert "triple-class" in card["summary"]
        for reason in plan.disease.status.reasons:
            assert cds._md(reason) in card["detail"]

    def test_top_three_options_with_their_evidence(self):
        rec = example("late-relapse-off-therapy.json")
        plan = build_plan(rec, "us", ())
        (card,) = [c for c in respond(rec)["cards"] if c["source"]["topic"]["code"] == "options"]
        top = plan.options[:3]
        assert len(top) == 3
        assert card["summary"].startswith(f"Top options: 1. {top[0].name}")
        for o in top:
            assert f"**{o.rank}. {cds._md(o.name)}**" in card["detail"]
            for e in o.evidence:
                assert cds._md(e.trial) in card["detail"] and cds._md(e.citation) in card["detail"]
        assert plan.options[3].name not in card["detail"]


class TestWarningCards:
    @pytest.mark.parametrize(
        "prefetch",
        [..., {}, {"patient": None, "conditions": None}],
        ids=["absent", "empty", "all-null"],
    )
    def test_missing_prefetch_gives_one_warning_card(self, prefetch: Any):
        (card,) = cds.cds_response(request_for(prefetch, "p1"), APP)["cards"]
        assert card["indicator"] == "warning" and card["source"]["topic"]["code"] == "no-plan"
        assert "No prefetched FHIR data" in card["summary"]
        assert card["links"][0]["url"] == f"{APP}/patients/p1"

    def test_a_bundle_the_importer_cannot_read_gives_one_warning_card(self):
        searchset = {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": _obs("o1")}]}
        prefetch = {"patient": None, "laboratory": searchset}
        (card,) = cds.cds_response(request_for(prefetch, "p1"), APP)["cards"]
        assert card["indicator"] == "warning"
        assert "no Patient resource" in card["detail"]

    def test_invalid_fhir_gives_one_warning_card_naming_the_resource(self):
        bundle = record_to_bundle(crs_on_teclistamab())
        prefetch = ehr_prefetch(bundle)
        prefetch["conditions"]["entry"][0]["resource"]["onsetDateTime"] = "not a date"
        (card,) = cds.cds_response(request_for(prefetch, "test-patient"), APP)["cards"]
        assert card["indicator"] == "warning" and "Condition/" in card["detail"]

    def test_another_patient_in_the_prefetch_gives_one_warning_card(self):
        bundle = record_to_bundle(crs_on_teclistamab())
        (card,) = cds.cds_response(request_for(ehr_prefetch(bundle), "someone-else"), APP)["cards"]
        assert card["indicator"] == "warning" and "not the patient in context" in card["summary"]

    def test_import_warnings_are_listed(self):
        bundle = record_to_bundle(crs_on_teclistamab())
        prefetch = ehr_prefetch(bundle)
        odd = _obs("odd-1") | {"subject": {"reference": "Patient/test-patient"}, "code": {"text": "<b>x</b>"}}
        prefetch["laboratory"]["entry"].append({"resource": odd})
        prefetch["laboratory"]["link"] = [{"relation": "next", "url": "https://ehr/fhir?page=2"}]
        prefetch["procedures"] = "not a resource"
        response = cds.cds_response(request_for(prefetch, "test-patient"), APP, now=noon(dt.date(2024, 6, 1)))
        (card,) = [c for c in response["cards"] if c["source"]["topic"]["code"] == "data-gaps"]
        assert card["indicator"] == "warning"
        assert "Observation/odd-1" in card["detail"]
        assert "\\<b\\>x\\</b\\>" in card["detail"]  # escaped, not HTML
        assert "next page" in card["detail"]
        assert "prefetch 'procedures'" in card["detail"]
        assert re.search(r"\d EHR data items? not read or read with an assumption", card["summary"])

    def test_the_ehr_searchset_outcome_and_immunization_are_listed(self):
        (card,) = [c for c in cards("ehr-searchset") if c["source"]["topic"]["code"] == "data-gaps"]
        assert "OperationOutcome" in card["detail"] and "Immunization" in card["detail"]

    def test_a_dose_reduction_is_a_warning_not_critical(self):
        """VELCADE label as encoded (tests/toxicity/test_actions.py): grade 2 peripheral sensory neuropathy
        without pain: reduce to 1 mg/m2. A change at the next dose: on the warning card."""
        rec = make_record(
            as_of="2024-06-01",
            therapies=[course("bortezomib", "2024-01-01"), course("dexamethasone", "2024-01-01")],
            adverse_events=[{"term": "Peripheral sensory neuropathy", "grade": 2, "onset": "2024-05-01"}],
        )
        response = respond(rec)["cards"]
        assert not [c for c in response if c["indicator"] == "critical"]
        (card,) = [c for c in response if c["indicator"] == "warning"]
        assert card["summary"].startswith("Reduce dose: bortezomib")
        assert "**bortezomib**: 1 mg/m2" in card["detail"]

    def test_unknowns_that_matter(self):
        (card,) = of("warning", "crs-on-teclistamab")  # no creatinine, no ECOG in that record
        assert "creatinine clearance" in card["summary"] and "ECOG performance status" in card["summary"]
        assert "stage at diagnosis" not in card["detail"]  # history: on the disease-state card


# --------------------------------------------------------------------------------------------- summaries
class TestSummaries:
    def test_fit_keeps_what_fits_and_counts_the_rest(self):
        parts = [f"part {i} " + "x" * 30 for i in range(10)]
        s = cds._fit(parts)
        assert len(s) < 140 and s.endswith("more)")
        kept = s.count("part ")
        assert s.endswith(f"(+{10 - kept} more)")

    def test_fit_cuts_a_first_part_that_is_too_long(self):
        s = cds._fit(["y" * 300, "z"])
        assert len(s) < 140 and s.endswith("… (+1 more)")
        assert len(cds._fit(["y" * 300])) == 139

    def test_long_option_names_still_give_short_summaries(self):
        plan = build_plan(example("late-relapse-off-therapy.json"), "us", ())
        long = plan.model_copy(
            update={"options": [o.model_copy(update={"name": o.name * 20}) for o in plan.options]}
        )
        for card in cds.cards_for(long, ["w" * 500] * 3, APP):
            assert len(card.summary) < 140

    def test_a_card_summary_of_140_characters_is_refused(self):
        with pytest.raises(ValueError):
            cds.Card(summary="x" * 140, indicator="info", source=cds.Source(label="rrmm"))

    def test_app_context_only_on_smart_links(self):
        with pytest.raises(ValueError):
            cds.Link(label="a", url=APP, type="absolute", appContext="{}")
        assert cds.Link(label="a", url=APP, type="smart", appContext="{}").appContext == "{}"


def test_the_ehrs_fluvoxamine_next_to_pomalidomide_is_a_warning_card():
    """Imnovid SmPC 4.5: with a strong CYP1A2 inhibitor (fluvoxamine) reduce the pomalidomide dose by 50%.
    The EHR example charts both as active: one warning card names the pair and the source."""
    (card,) = [c for c in cards("ehr-searchset") if c["source"]["topic"]["code"] == "interactions"]
    assert card["indicator"] == "warning"
    assert card["summary"] == "Interaction: pomalidomide + Fluvoxamine maleate 50 mg tablet: reduce dose"
    assert "reduce the pomalidomide dose by 50%" in card["detail"] and "IMNOVID EU SmPC" in card["detail"]
    codes = [c["source"]["topic"]["code"] for c in cards("ehr-searchset")]
    assert codes.index("interactions") < codes.index("data-gaps") < codes.index("disease-state")
