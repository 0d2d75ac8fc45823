"""A FHIR R4 Bundle (collection, searchset, transaction) to a patient record of schema version 1.

Every entry is first checked against the FHIR R4B model of its resource type (fhir.resources); an entry
that is not valid FHIR is an error naming it. Then each resource is read by its codes, through the shared
code tables (:mod:`rrmm.terminology.codes`) and rrmm's own codes (:mod:`rrmm.fhir.local`):

- **Patient** (exactly one): record id (rrmm identifier, else the resource id), gender, birth date, address
  (postal code, country, geolocation extension), rrmm preference extensions;
- **Condition**: multiple myeloma (onset = diagnosis date; the earliest when several), plasma cell leukemia,
  AL amyloidosis, extramedullary disease and CNS involvement (confirmed = true, refuted = false), and the
  comorbidities of the record's vocabulary;
- **MedicationStatement / MedicationRequest / MedicationAdministration** (medication by RxNorm code, text
  or brand name, also through a Medication resource): a statement or request is one course; administrations
  of one drug are joined into courses while the gap between two is at most
  :data:`ADMINISTRATION_GAP_DAYS`, and a course whose last administration is that recent is ongoing. A
  statement or request of a medicine that is not a myeloma drug is one of the record's other
  ``medications`` (by its name, for the drug-interaction check);
- **Procedure**: autologous and allogeneic stem-cell transplants;
- **Observation**: labs by LOINC with UCUM units (and the reference range's upper limit), findings,
  ECOG, cytogenetics (mCODE GenomicVariant shape or text such as "t(11;14) detected"), disease status
  (progression; an IMWG response), body weight and height, age, symptoms;
- **AdverseEvent**: the CTCAE term and grade, onset, resolution, suspect drugs.

What cannot be mapped is a warning naming the resource, never a silent drop; what contradicts itself (an end
before a start) is an error naming the resource.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from rrmm.fhir import local
from rrmm.record import Record, RecordError
from rrmm.record.load import record_from_mapping
from rrmm.record.units import UnitError, to_canonical
from rrmm.terminology import UnknownDrugError, UnknownTermError, ctcae_vocabulary, drug_vocabulary
from rrmm.terminology.codes import CodeTables, code_tables

Json = dict[str, Any]

#: Administrations of one drug at most this many days apart belong to one course, and a course whose last
#: administration is at most this many days before ``as_of`` is taken as ongoing. The persistence window of
#: the OMOP CDM's DRUG_ERA (30 days: OHDSI, OMOP Common Data Model v5.4, DRUG_ERA table conventions).
ADMINISTRATION_GAP_DAYS = 30


def course_ongoing(last: dt.date, as_of: dt.date | None) -> bool:
    """A course whose last administration (or exposure end) is at most :data:`ADMINISTRATION_GAP_DAYS` days
    before ``as_of`` is taken as still given (shared by the FHIR importer and the OMOP reader)."""
    return as_of is not None and (as_of - last).days <= ADMINISTRATION_GAP_DAYS


BUNDLE_TYPES = ("collection", "searchset", "transaction", "batch", "document")
_RESPONSES = ("sCR", "CR", "VGPR", "PR", "MR", "SD", "PD")
_POSITIVE = re.compile(r"^(pos|positive|detected|present|abnormal|yes|true)\b", re.I)
_NEGATIVE = re.compile(r"^(neg|negative|not detected|undetected|absent|normal|no|false)\b", re.I)


@dataclass(frozen=True)
class ImportWarning:
    resource: str
    message: str

    def __str__(self) -> str:
        return f"{self.resource}: {self.message}"


@dataclass(frozen=True)
class ImportResult:
    record: Record
    warnings: tuple[ImportWarning, ...]


class FhirImportError(ValueError):
    """A bundle that cannot become a record: names the resource (or ``Bundle``) and what is wrong."""

    def __init__(self, resource: str, message: str) -> None:
        super().__init__(f"{resource}: {message}")
        self.resource = resource
        self.message = message


@dataclass
class _Course:
    drug: str
    start: dt.date
    end: dt.date | None
    source: str
    extra: Json = field(default_factory=dict)


class _Reader:
    def __init__(self, bundle: Json, tables: CodeTables, validate: bool = True) -> None:
        self.tables = tables
        self.validate = validate
        self.warnings: list[ImportWarning] = []
        self.record: Json = {"schema_version": "1"}
        self.lists: dict[str, list[Json]] = defaultdict(list)
        self.origin: dict[str, str] = {}  # record path ("labs[3]") -> resource label
        self.courses: list[_Course] = []
        self.administrations: dict[str, list[tuple[dt.date, str]]] = defaultdict(list)
        self.resources: list[tuple[str, Json]] = []
        self.full_urls: dict[int, str] = {}  # id(resource) -> the entry's fullUrl
        self.by_reference: dict[str, Json] = {}
        self.patient_refs: set[str] = set()
        self.diagnosis_dates: list[tuple[dt.date, str]] = []
        self.flags: Json = {}
        self.weights: list[tuple[dt.date | None, float]] = []
        self.heights: list[tuple[dt.date | None, float]] = []
        self.age: int | None = None
        self._collect(bundle)

    # ----------------------------------------------------------------------------------------- plumbing
    def warn(self, label: str, message: str) -> None:
        self.warnings.append(ImportWarning(label, message))

    def put(self, name: str, entry: Json, label: str) -> None:
        self.origin[f"{name}[{len(self.lists[name])}]"] = label
        self.lists[name].append(entry)

    def _collect(self, bundle: Json) -> None:
        from fhir.resources.R4B import get_fhir_model_class

        entries = bundle.get("entry") or []
        if not isinstance(entries, list):
            raise FhirImportError("Bundle", "entry is not a list")
        for i, entry in enumerate(entries):
            resource = entry.get("resource") if isinstance(entry, dict) else None
            if not isinstance(resource, dict):
                self.warn(f"entry[{i}]", "entry without a resource: skipped")
                continue
            rtype = resource.get("resourceType")
            label = f"{rtype}/{resource['id']}" if resource.get("id") else f"entry[{i}] ({rtype})"
            try:
                model = get_fhir_model_class(str(rtype))
                if self.validate:
                    model.model_validate(resource)
            except KeyError:
                raise FhirImportError(label, f"unknown resource type {rtype!r}") from None
            except ValidationError as exc:
                err = exc.errors()[0]
                where = ".".join(str(p) for p in err["loc"])
                raise FhirImportError(label, f"not valid FHIR R4: {where}: {err['msg']}") from None
            search = entry.get("search") or {}
            if search.get("mode") == "outcome" or rtype == "OperationOutcome":
                self.warn(label, "server message (OperationOutcome) in the bundle: not part of the record")
                continue
            self.resources.append((label, resource))
            if resource.get("id"):
                self.by_reference[f"{rtype}/{resource['id']}"] = resource
            if entry.get("fullUrl"):
                self.by_reference[str(entry["fullUrl"])] = resource
                self.full_urls[id(resource)] = str(entry["fullUrl"])
            if rtype == "Patient":
                self.patient_refs |= {f"Patient/{resource.get('id')}", str(entry.get("fullUrl", ""))}

    def meanings(self, concept: Any) -> list[tuple[str, str]]:
        """(kind, value) of each coding of a CodeableConcept the tables or rrmm's systems know."""
        found: list[tuple[str, str]] = []
        if not isinstance(concept, dict):
            return found
        for coding in concept.get("coding") or []:
            system, code = coding.get("system"), coding.get("code")
            if isinstance(system, str) and system.startswith(f"{local.BASE}:CodeSystem:") and code:
                found.append((system.rsplit(":", 1)[1], str(code)))
                continue
            known = self.tables.lookup(system, code)
            if known is not None:
                found.append((known.means.kind, known.means.value))
        return found

    def first(self, concept: Any, *kinds: str) -> tuple[str, str] | None:
        return next(((k, v) for k, v in self.meanings(concept) if k in kinds), None)

    def date(self, value: Any, label: str, what: str) -> dt.date | None:
        """A FHIR date or dateTime as a date (the calendar day written); a partial date is read as its first
        day, with a warning."""
        if not isinstance(value, str) or not value:
            return None
        m = re.match(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", value)
        if m is None:
            raise FhirImportError(label, f"{what} {value!r} is not a FHIR date")
        year, month, day = m.group(1), m.group(2), m.group(3)
        if day is None:
            self.warn(label, f"{what} {value!r} is not precise to the day: read as its first day")
        return dt.date(int(year), int(month or 1), int(day or 1))

    def period(self, resource: Json, label: str, *names: str) -> tuple[dt.date | None, dt.date | None]:
        """(start, end) from the first of ``names`` present (a dateTime gives start = end); an end before
        its start is an error naming the resource."""
        for name in names:
            value = resource.get(name)
            if value is None:
                continue
            if isinstance(value, dict):
                start = self.date(value.get("start"), label, f"{name}.start")
                end = self.date(value.get("end"), label, f"{name}.end")
            else:
                start = end = self.date(value, label, name)
            if start is not None and end is not None and end < start:
                raise FhirImportError(label, f"{name} ends ({end}) before it starts ({start})")
            return start, end
        return None, None

    def about_patient(self, resource: Json, label: str) -> bool:
        ref = (resource.get("subject") or resource.get("patient") or {}).get("reference")
        if ref is None or ref in self.patient_refs:
            return True
        self.warn(label, f"about {ref}, not the bundle's patient: skipped")
        return False

    @staticmethod
    def extension(resource: Json, name: str) -> Any:
        url = local.extension(name)
        for ext in resource.get("extension") or []:
            if ext.get("url") == url:
                return next((v for k, v in ext.items() if k.startswith("value")), None)
        return None

    @staticmethod
    def codes_text(concept: Any) -> str:
        if not isinstance(concept, dict):
            return "no code"
        codes = [f"{c.get('system', '?')}|{c.get('code', '?')}" for c in concept.get("coding") or []]
        text = concept.get("text")
        return ", ".join(codes + ([repr(text)] if text else [])) or "no code"

    # ----------------------------------------------------------------------------------------- resources
    def read(self) -> None:
        patients = [(label, r) for label, r in self.resources if r["resourceType"] == "Patient"]
        if not patients:
            raise FhirImportError("Bundle", "no Patient resource")
        if len(patients) > 1:
            raise FhirImportError("Bundle", "more than one Patient: " + ", ".join(lb for lb, _ in patients))
        self.patient(*patients[0])
        handlers = {
            "Condition": self.condition,
            "MedicationStatement": self.medication,
            "MedicationRequest": self.medication,
            "MedicationAdministration": self.medication,
            "Procedure": self.procedure,
            "Observation": self.observation,
            "AdverseEvent": self.adverse_event,
        }
        for label, resource in self.resources:
            rtype = resource["resourceType"]
            if rtype in ("Patient", "Medication"):
                continue
            handler = handlers.get(rtype)
            if handler is None:
                self.warn(label, f"{rtype} is not read by rrmm: skipped")
            elif self.about_patient(resource, label):
                handler(label, resource)

    def patient(self, label: str, p: Json) -> None:
        rid = next(
            (i.get("value") for i in p.get("identifier") or [] if i.get("system") == local.RECORD_ID), None
        )
        rid = rid or p.get("id")
        if not rid:
            full_url = self.full_urls.get(id(p), "")
            rid = full_url.rsplit(":", 1)[-1].rsplit("/", 1)[-1]
            if not rid:
                raise FhirImportError(label, "the Patient has no id, identifier or fullUrl")
            self.warn(label, f"the Patient has no id: its fullUrl gives the record id {rid!r}")
        self.record["id"] = rid
        gender = p.get("gender")
        if gender not in ("female", "male", "other", "unknown"):
            self.warn(label, "no gender: sex recorded as unknown")
            gender = "unknown"
        self.record["sex"] = gender
        birth = self.date(p.get("birthDate"), label, "birthDate")
        if birth is not None:
            self.record["birth_date"] = birth.isoformat()
        for address in p.get("address") or []:
            loc: Json = {}
            if address.get("postalCode"):
                loc["postal_code"] = address["postalCode"]
            if address.get("country"):
                loc["country"] = address["country"]
            for ext in address.get("extension") or []:
                if ext.get("url") == local.GEOLOCATION:
                    for part in ext.get("extension") or []:
                        if part.get("url") in ("latitude", "longitude"):
                            loc[part["url"]] = float(part.get("valueDecimal"))
            if loc:
                self.record["location"] = loc
                break
        prefs: Json = {}
        for name in ("max_travel_km", "oral_only", "declines_transplant", "declines_cell_therapy"):
            value = self.extension(p, f"preference-{name}")
            if value is not None:
                prefs[name] = float(value) if name == "max_travel_km" else value
        if prefs:
            self.record["preferences"] = prefs

    def condition(self, label: str, c: Json) -> None:
        verification = {x.get("code") for x in (c.get("verificationStatus") or {}).get("coding") or []}
        if "entered-in-error" in verification:
            self.warn(label, "entered in error: skipped")
            return
        refuted = "refuted" in verification
        found = self.first(c.get("code"), "diagnosis", "comorbidity")
        if found is None:
            self.warn(label, f"condition not mapped ({self.codes_text(c.get('code'))}): skipped")
            return
        kind, value = found
        onset, _ = self.period(c, label, "onsetDateTime", "onsetPeriod")
        if kind == "diagnosis" and value == "multiple_myeloma":
            if refuted:
                self.warn(label, "refuted multiple myeloma diagnosis: skipped")
                return
            if onset is None:
                onset = self.date(c.get("recordedDate"), label, "recordedDate")
                if onset is None:
                    self.warn(label, "multiple myeloma without an onset or recorded date: no diagnosis date")
                    return
                self.warn(label, "no onset date: the recorded date is read as the diagnosis date")
            self.diagnosis_dates.append((onset, label))
            for name, key in (("heavy-chain", "heavy_chain"), ("light-chain", "light_chain")):
                chain = self.extension(c, name)
                if chain is not None:
                    self.flags[key] = chain
            return
        if kind == "diagnosis":
            self.flags[value] = not refuted
            if value == "plasma_cell_leukemia" and onset is not None and not refuted:
                self.diagnosis_dates.append((onset, label))
            return
        if refuted:
            self.warn(label, f"refuted {value}: skipped")
            return
        clinical = {x.get("code") for x in (c.get("clinicalStatus") or {}).get("coding") or []}
        if value == "active_infection" and clinical & {"inactive", "resolved", "remission"}:
            self.warn(label, "infection no longer active: not an active infection")
            return
        entry: Json = {"condition": value}
        if onset is not None:
            entry["since"] = onset.isoformat()
        grade = self.extension(c, "grade")
        if grade is not None:
            entry["grade"] = grade
        self.put("comorbidities", entry, label)

    def medication_concept(self, resource: Json, label: str) -> Json | None:
        """The medication's CodeableConcept, inline or through a Medication resource (None, with a
        warning, when the reference is not in the bundle)."""
        concept = resource.get("medicationCodeableConcept")
        ref = (resource.get("medicationReference") or {}).get("reference")
        if ref:
            medication = self._reference(resource, ref)
            if medication is None:
                self.warn(label, f"medication {ref} is not in the bundle: skipped")
                return None
            concept = medication.get("code")
        return concept if isinstance(concept, dict) else {}

    def drug(self, concept: Json) -> str | None:
        """The myeloma drug (INN) a medication concept names, by code or by name; None otherwise."""
        found = self.first(concept, "drug")
        if found is not None:
            return found[1]
        for name in _concept_names(concept):
            try:
                return drug_vocabulary().resolve(name)
            except UnknownDrugError:
                continue
        return None

    def prescribed_period(self, label: str, m: Json) -> tuple[dt.date | None, dt.date | None]:
        """(start, end) of a MedicationStatement (effectivePeriod or effectiveDateTime) or a
        MedicationRequest (its dosage timing's boundsPeriod, else authoredOn as the start)."""
        if m["resourceType"] == "MedicationStatement":
            return self.period(m, label, "effectivePeriod", "effectiveDateTime")
        timing = _first(m.get("dosageInstruction")).get("timing") or {}
        bounds = (timing.get("repeat") or {}).get("boundsPeriod")
        start, end = self.period({"boundsPeriod": bounds}, label, "boundsPeriod") if bounds else (None, None)
        if start is None:
            start = self.date(m.get("authoredOn"), label, "authoredOn")
        return start, end

    def other_medicine(self, label: str, m: Json, name: str) -> None:
        """A medicine that is not a myeloma drug, from a MedicationStatement or MedicationRequest: the
        record's ``medications`` (for the interaction check), with its period when the resource gives one."""
        status = m.get("status")
        start, end = self.prescribed_period(label, m)
        if m.get("effectiveDateTime") and not m.get("effectivePeriod"):
            end = None  # a statement dated once says when it was taken, not that it ended
        if end is None and status in ("completed", "stopped"):
            self.warn(
                label, f"{name}: status {status} without an end date: not a medicine taken now, skipped"
            )
            return
        entry: Json = {"name": name[:200]}
        if start is not None:
            entry["start"] = start.isoformat()
        if end is not None:
            entry["end"] = end.isoformat()
        self.put("medications", entry, label)

    def _reference(self, resource: Json, ref: str) -> Json | None:
        if ref.startswith("#"):
            return next((c for c in resource.get("contained") or [] if c.get("id") == ref[1:]), None)
        return self.by_reference.get(ref)

    def medication(self, label: str, m: Json) -> None:
        rtype, status = m["resourceType"], m.get("status")
        if status in ("entered-in-error", "not-taken", "cancelled", "draft", "not-done", "unknown"):
            self.warn(label, f"status {status}: skipped")
            return
        concept = self.medication_concept(m, label)
        if concept is None:
            return
        drug = self.drug(concept)
        if drug is None:
            names = _concept_names(concept)
            if rtype != "MedicationAdministration" and names:
                self.other_medicine(label, m, names[0])
            else:
                self.warn(label, f"medication not recognised ({self.codes_text(concept)}): skipped")
            return
        if rtype == "MedicationAdministration":
            start, end = self.period(m, label, "effectiveDateTime", "effectivePeriod")
            if start is None:
                self.warn(label, "administration without a date: skipped")
                return
            self.administrations[drug].append((end or start, label))
            self.administrations[drug].append((start, label))
            return
        start, end = self.prescribed_period(label, m)
        if start is None:
            self.warn(label, "no start date: skipped")
            return
        if end is None and status in ("completed", "stopped"):
            self.warn(label, f"status {status} without an end date: skipped (the course's end is unknown)")
            return
        extra: Json = {}
        setting = self.extension(m, "therapy-setting")
        if setting is not None:
            extra["setting"] = setting
        for reason in m.get("statusReason") or []:
            code = self.first(reason, "stop-reason")
            text = (reason.get("text") or "").strip().lower()
            if code is not None:
                extra["stop_reason"] = code[1]
            elif text in ("progression", "toxicity", "completed", "patient_choice", "other"):
                extra["stop_reason"] = text
            else:
                self.warn(label, f"stop reason not mapped ({self.codes_text(reason)})")
        dose = (_first(m.get("dosage") or m.get("dosageInstruction")).get("doseAndRate") or [{}])[0]
        quantity = dose.get("doseQuantity") if isinstance(dose, dict) else None
        if isinstance(quantity, dict) and quantity.get("value") is not None:
            extra["dose"] = float(quantity["value"])
            if quantity.get("unit") or quantity.get("code"):
                extra["dose_unit"] = quantity.get("unit") or quantity.get("code")
        self.courses.append(_Course(drug, start, end, label, extra))

    def procedure(self, label: str, p: Json) -> None:
        found = self.first(p.get("code"), "transplant")
        if found is None:
            self.warn(label, f"procedure not mapped ({self.codes_text(p.get('code'))}): skipped")
            return
        if p.get("status") != "completed":
            self.warn(label, f"transplant with status {p.get('status')}: skipped")
            return
        when, _ = self.period(p, label, "performedDateTime", "performedPeriod")
        if when is None:
            self.warn(label, "transplant without a date: skipped")
            return
        self.put("transplants", {"date": when.isoformat(), "type": found[1]}, label)

    def observation(self, label: str, o: Json) -> None:
        if o.get("status") in ("cancelled", "entered-in-error", "registered"):
            self.warn(label, f"status {o.get('status')}: skipped")
            return
        found = self.first(o.get("code"), "lab", "finding", "observation", "symptom")
        if found is None:
            self.warn(label, f"observation not mapped ({self.codes_text(o.get('code'))}): skipped")
            return
        kind, value = found
        when, _ = self.period(o, label, "effectiveDateTime", "effectivePeriod", "effectiveInstant", "issued")
        if when is None and not (kind == "observation" and value in ("age", "body_weight", "body_height")):
            self.warn(label, "observation without a date: skipped")
            return
        if kind == "lab":
            self.lab(label, o, value, when)
        elif kind == "finding":
            self.finding(label, o, value, when)
        elif kind == "symptom":
            severity = o.get("valueInteger")
            if not isinstance(severity, int):
                self.warn(label, "symptom without an integer severity (0-4): skipped")
                return
            entry: Json = {"date": _iso(when), "symptom": value, "severity": severity}
            reported = self.extension(o, "reported-by")
            if reported is not None:
                entry["reported_by"] = reported
            self.put("symptoms", entry, label)
        elif value == "ecog":
            self.ecog(label, o, when)
        elif value == "cytogenetics":
            self.cytogenetics(label, o, when)
        elif value == "disease_status":
            self.disease_status(label, o, when)
        elif value in ("body_weight", "body_height", "age"):
            self.measure(label, o, value, when)
        else:
            self.warn(label, f"{value} observations are not read: skipped")

    def lab(self, label: str, o: Json, test: str, when: dt.date | None) -> None:
        q = o.get("valueQuantity")
        if not isinstance(q, dict) or q.get("value") is None:
            self.warn(label, f"{test} without a numeric value: skipped")
            return
        unit = q.get("code") if q.get("system") == local.UCUM and q.get("code") else q.get("unit")
        if not unit:
            self.warn(label, f"{test} value without a unit: skipped")
            return
        try:
            to_canonical(test, float(q["value"]), str(unit))
        except UnitError as exc:
            self.warn(label, f"{test}: {exc}: skipped")
            return
        entry: Json = {"date": _iso(when), "test": test, "value": float(q["value"]), "unit": unit}
        high = _first(o.get("referenceRange")).get("high")
        if isinstance(high, dict) and high.get("value") is not None:
            high_unit = high.get("code") if high.get("system") == local.UCUM else high.get("unit")
            if high_unit in (None, unit):
                entry["upper_limit_normal"] = float(high["value"])
            else:
                self.warn(label, f"reference range in {high_unit!r}, value in {unit!r}: upper limit not read")
        self.put("labs", entry, label)

    def positive(self, o: Json) -> bool | None:
        """Positive/negative from valueBoolean, the value's codes or text, or the interpretation."""
        if isinstance(o.get("valueBoolean"), bool):
            return bool(o["valueBoolean"])
        texts: list[str] = []
        value = o.get("valueCodeableConcept")
        if isinstance(value, dict):
            texts += [value.get("text") or ""] + [c.get("display") or "" for c in value.get("coding") or []]
        if isinstance(o.get("valueString"), str):
            texts.append(o["valueString"])
        for interp in o.get("interpretation") or []:
            for c in interp.get("coding") or []:
                if c.get("system") == local.OBSERVATION_INTERPRETATION and c.get("code") in ("POS", "NEG"):
                    return bool(c["code"] == "POS")
            texts.append(interp.get("text") or "")
        for t in texts:
            words = t.strip()
            tail = re.sub(
                r"^.*?\b(not detected|detected|present|absent|positive|negative)\b.*$",
                r"\1",
                words,
                flags=re.I,
            )
            for candidate in (words, tail):
                if _NEGATIVE.match(candidate):
                    return False
                if _POSITIVE.match(candidate):
                    return True
        return None

    def finding(self, label: str, o: Json, test: str, when: dt.date | None) -> None:
        result = self.positive(o)
        if result is None:
            self.warn(
                label, f"{test}: no positive/negative result (a quantity needs the assay's limit): skipped"
            )
            return
        entry: Json = {"date": _iso(when), "test": test, "result": "positive" if result else "negative"}
        sensitivity = self._component(o, "sensitivity")
        if sensitivity is not None:
            entry["sensitivity"] = sensitivity
        self.put("findings", entry, label)

    def _component(self, o: Json, name: str) -> float | None:
        for comp in o.get("component") or []:
            if self.first(comp.get("code"), "observation") == ("observation", name):
                q = comp.get("valueQuantity") or {}
                return float(q["value"]) if q.get("value") is not None else None
        return None

    def ecog(self, label: str, o: Json, when: dt.date | None) -> None:
        value = o.get("valueInteger")
        if value is None and isinstance(o.get("valueQuantity"), dict):
            value = o["valueQuantity"].get("value")
        if value is None and isinstance(o.get("valueCodeableConcept"), dict):
            concept = o["valueCodeableConcept"]
            for text in [concept.get("text")] + [c.get("display") for c in concept.get("coding") or []]:
                m = re.match(r"^\s*(?:ECOG\s*)?([0-5])\b", text or "")
                if m:
                    value = int(m.group(1))
                    break
        if value is None or int(value) != value or not 0 <= int(value) <= 4:
            self.warn(label, f"ECOG value {value!r} is not 0-4: skipped")
            return
        self.put("performance_status", {"date": _iso(when), "ecog": int(value)}, label)

    def cytogenetics(self, label: str, o: Json, when: dt.date | None) -> None:
        concepts = [o.get("valueCodeableConcept")] + [
            c.get("valueCodeableConcept") for c in o.get("component") or []
        ]
        abnormality = next((f[1] for c in concepts if (f := self.first(c, "abnormality"))), None)
        if abnormality is None:
            texts = [c.get("text") for c in concepts if isinstance(c, dict)]
            texts += [o.get("valueString")] + [c.get("valueString") for c in o.get("component") or []]
            abnormality = next(
                (a for t in texts if isinstance(t, str) and (a := abnormality_from_text(t))), None
            )
        if abnormality is None:
            self.warn(label, "cytogenetic finding not recognised as a myeloma abnormality: skipped")
            return
        present = self.positive(o)
        if present is None:
            self.warn(label, f"{abnormality}: not said whether present or absent: skipped")
            return
        entry: Json = {"date": _iso(when), "abnormality": abnormality, "present": present}
        method = (o.get("method") or {}).get("text") or ""
        for name in ("FISH", "NGS", "karyotype"):
            if name.lower() in method.lower():
                entry["method"] = name
        if method and "method" not in entry:
            entry["method"] = "other"
        fraction = self._component(o, "clone-fraction")
        if fraction is not None:
            entry["clone_fraction"] = fraction
        self.put("cytogenetics", entry, label)

    def disease_status(self, label: str, o: Json, when: dt.date | None) -> None:
        value = o.get("valueCodeableConcept")
        if self.first(value, "progression") is not None:
            self.put("events", {"date": _iso(when), "type": "progression"}, label)
            return
        found = self.first(value, "response")
        code = found[1] if found else ((value or {}).get("text") or "").strip()
        if code == "progression":
            self.put("events", {"date": _iso(when), "type": "progression"}, label)
        elif code in _RESPONSES:
            self.put("events", {"date": _iso(when), "type": "response_assessment", "response": code}, label)
        elif value is None and o.get("dataAbsentReason") is not None:
            self.put("events", {"date": _iso(when), "type": "response_assessment"}, label)
        else:
            self.warn(label, f"disease status not an IMWG response or progression ({self.codes_text(value)})")

    def measure(self, label: str, o: Json, what: str, when: dt.date | None) -> None:
        q = o.get("valueQuantity") or {}
        unit = q.get("code") or q.get("unit")
        factors = {
            "body_weight": {"kg": 1.0, "g": 0.001, "[lb_av]": 0.45359237, "lb": 0.45359237},
            "body_height": {"cm": 1.0, "m": 100.0, "[in_i]": 2.54, "in": 2.54},
            "age": {"a": 1.0},
        }[what]
        if q.get("value") is None or unit not in factors:
            self.warn(label, f"{what} in unit {unit!r}: skipped")
            return
        value = float(q["value"]) * factors[unit]
        if what == "age":
            self.age = int(value)
        else:
            (self.weights if what == "body_weight" else self.heights).append((when, value))

    def adverse_event(self, label: str, a: Json) -> None:
        event = a.get("event") or {}
        names = [event.get("text")] + [c.get("display") for c in event.get("coding") or []]
        term = None
        for name in names:
            if isinstance(name, str) and name:
                try:
                    term = ctcae_vocabulary().resolve(name).term
                    break
                except UnknownTermError:
                    continue
        if term is None:
            self.warn(label, f"adverse event not a CTCAE v5.0 term ({self.codes_text(event)}): skipped")
            return
        grade = self.extension(a, "ctcae-grade")
        if not isinstance(grade, int):
            grade = self.grade_from_severity(a, label, term)
            if grade is None:
                return
        onset, _ = self.period(a, label, "date", "detected", "recordedDate")
        if onset is None:
            self.warn(label, f"{term} without a date: skipped")
            return
        entry: Json = {"term": term, "grade": grade, "onset": onset.isoformat()}
        resolved = self.extension(a, "resolved")
        if resolved is not None:
            end = self.date(resolved, label, "resolved")
            if end is not None and end < onset:
                raise FhirImportError(label, f"resolved ({end}) before onset ({onset})")
            entry["resolved"] = _iso(end)
        drugs = []
        for suspect in a.get("suspectEntity") or []:
            instance = suspect.get("instance") or {}
            target = self._reference(a, instance["reference"]) if instance.get("reference") else None
            name = instance.get("display")
            if target is not None and target.get("resourceType") == "Medication":
                found = self.first(target.get("code"), "drug")
                name = found[1] if found else (target.get("code") or {}).get("text", name)
            try:
                drugs.append(drug_vocabulary().resolve(str(name)))
            except UnknownDrugError:
                self.warn(label, f"suspect {name!r} not a known drug: attribution not read")
        if drugs:
            entry["attributed_to"] = drugs
        self.put("adverse_events", entry, label)

    def grade_from_severity(self, a: Json, label: str, term: str) -> int | None:
        """A CTCAE grade from AdverseEvent.severity / outcome when no grade is given. CTCAE v5.0's general
        grade definitions: grade 1 mild, grade 2 moderate, grade 3 severe or medically significant, grade 5
        death related to the adverse event. "severe" cannot tell grade 3 from grade 4 (life-threatening): it
        is read as 3, with a warning."""
        outcome = {c.get("code") for c in (a.get("outcome") or {}).get("coding") or []}
        if "fatal" in outcome:
            self.warn(label, f"{term}: outcome fatal read as CTCAE grade 5")
            return 5
        severity = {c.get("code") for c in (a.get("severity") or {}).get("coding") or []}
        for code, grade in (("mild", 1), ("moderate", 2), ("severe", 3)):
            if code in severity:
                note = " (grade 4, life-threatening, cannot be told from 'severe')" if grade == 3 else ""
                self.warn(label, f"{term}: no CTCAE grade; severity {code} read as grade {grade}{note}")
                return grade
        self.warn(label, f"{term} without a CTCAE grade or severity: skipped")
        return None

    # ----------------------------------------------------------------------------------------- assembly
    def as_of(self, bundle: Json) -> dt.date | None:
        return self.date(bundle.get("timestamp"), "Bundle", "timestamp")

    def therapies(self, as_of: dt.date | None) -> None:
        courses = list(self.courses)
        latest = as_of or max((d for dates in self.administrations.values() for d, _ in dates), default=None)
        for drug, dates in self.administrations.items():
            for start, end, label in _runs(sorted(dates)):
                ongoing = course_ongoing(end, latest)
                if ongoing:
                    self.warn(
                        label,
                        f"{drug}: last administration {end} within {ADMINISTRATION_GAP_DAYS} days of "
                        f"{latest}: course read as ongoing",
                    )
                courses.append(_Course(drug, start, None if ongoing else end, label))
        seen: set[tuple[str, dt.date, dt.date | None]] = set()
        for c in courses:
            key = (c.drug, c.start, c.end)
            if key in seen:
                self.warn(c.source, f"{c.drug} from {c.start} is charted twice: read once")
                continue
            seen.add(key)
            entry: Json = {"drug": c.drug, "start": c.start.isoformat(), **c.extra}
            if c.end is not None:
                entry["end"] = c.end.isoformat()
            self.put("therapies", entry, c.source)

    def assemble(self, bundle: Json) -> Json:
        as_of = self.as_of(bundle)
        if as_of is not None:
            self.record["as_of"] = as_of.isoformat()
        if not self.diagnosis_dates:
            raise FhirImportError("Bundle", "no multiple myeloma Condition with an onset date")
        first_date, first_label = min(self.diagnosis_dates)
        self.origin["diagnosis"] = first_label
        self.record["diagnosis"] = {"date": first_date.isoformat(), **self.flags}
        if self.age is not None and "birth_date" not in self.record:
            self.record["age"] = self.age
        for name, values in (("weight_kg", self.weights), ("height_cm", self.heights)):
            if values:
                self.record[name] = max(values, key=lambda v: v[0] or dt.date.min)[1]
        self.therapies(as_of)
        self.record["therapies"] = []
        for name, entries in self.lists.items():
            self.record[name] = entries
        return self.record


def _concept_names(concept: Json) -> list[str]:
    """The names a CodeableConcept gives: its text, then each coding's display."""
    names = [concept.get("text")] + [
        c.get("display") for c in concept.get("coding") or [] if isinstance(c, dict)
    ]
    return [" ".join(n.split()) for n in names if isinstance(n, str) and n.strip()]


def _first(items: Any) -> Json:
    """The first element of a FHIR list that is a JSON object, else an empty one."""
    if isinstance(items, list) and items and isinstance(items[0], dict):
        return items[0]
    return {}


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _runs(dates: list[tuple[dt.date, str]]) -> Iterator[tuple[dt.date, dt.date, str]]:
    """Runs of administration dates with gaps of at most :data:`ADMINISTRATION_GAP_DAYS`: (first, last,
    label of the first administration)."""
    start, end, label = dates[0][0], dates[0][0], dates[0][1]
    for day, lab in dates[1:]:
        if (day - end).days > ADMINISTRATION_GAP_DAYS:
            yield start, end, label
            start, label = day, lab
        end = max(end, day)
    yield start, end, label


_ABNORMALITY_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"t\(\s*4\s*;\s*14\s*\)", "t(4;14)"),
    (r"t\(\s*14\s*;\s*16\s*\)", "t(14;16)"),
    (r"t\(\s*14\s*;\s*20\s*\)", "t(14;20)"),
    (r"t\(\s*11\s*;\s*14\s*\)", "t(11;14)"),
    (r"t\(\s*6\s*;\s*14\s*\)", "t(6;14)"),
    (r"del\(\s*17p\s*\)|17p\s*(deletion|del)|deletion\s*(of\s*)?17p|del\s*17p", "del(17p)"),
    (r"\btp53\b.*mut|mut.*\btp53\b", "TP53 mutation"),
    (r"amp\(\s*1q\s*\)|1q\s*amplification|amplification\s*(of\s*)?1q", "amp(1q)"),
    (r"gain\(\s*1q\s*\)|\+1q|1q\s*gain|gain\s*(of\s*)?1q", "gain(1q)"),
    (r"del\(\s*1p\s*\)|1p\s*(deletion|del)|deletion\s*(of\s*)?1p", "del(1p)"),
    (r"hyperdiploid", "hyperdiploidy"),
)


def abnormality_from_text(text: str) -> str | None:
    """The record abnormality a cytogenetic text names (ISCN such as ``t(11;14)(q13;q32)`` or words).

    >>> abnormality_from_text("t(11;14)(q13;q32) detected by FISH"), abnormality_from_text("17p deletion")
    ('t(11;14)', 'del(17p)')
    """
    for pattern, name in _ABNORMALITY_PATTERNS:
        if re.search(pattern, text, re.I):
            return name
    return None


def import_bundle(data: Any, tables: CodeTables | None = None, *, validate: bool = True) -> ImportResult:
    """A FHIR R4 Bundle (a parsed JSON mapping) to a validated record, with the warnings of the import.

    ``validate=False`` skips the check of each resource against the FHIR R4B models (for a bundle already
    validated, such as one rrmm wrote): it is most of the import's time. Raises :class:`FhirImportError`
    naming the resource for what cannot become a record."""
    if not isinstance(data, Mapping) or data.get("resourceType") != "Bundle":
        raise FhirImportError("Bundle", "not a FHIR Bundle (resourceType must be 'Bundle')")
    bundle = dict(data)
    if bundle.get("type") not in BUNDLE_TYPES:
        raise FhirImportError("Bundle", f"bundle type {bundle.get('type')!r} is not one of {BUNDLE_TYPES}")
    reader = _Reader(bundle, tables or code_tables(), validate)
    reader.read()
    mapping = reader.assemble(bundle)
    try:
        record = record_from_mapping(mapping)
    except RecordError as exc:
        top = re.match(r"^([a-z_]+(?:\[\d+\])?)", exc.path)
        where = reader.origin.get(
            top.group(1) if top else "", "Patient" if exc.path in ("", "id") else "Bundle"
        )
        raise FhirImportError(where, f"{exc.path}: {exc.message}") from None
    return ImportResult(record, tuple(reader.warnings))
