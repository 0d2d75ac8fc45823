"""CDS Hooks 2.0 ``patient-view`` service: discovery, the request, and the cards (pure logic, no HTTP).

The routes (:mod:`rrmm.api.cds_routes`) call three functions:

- :func:`discovery` answers ``GET {base}/cds-services``: one service, ``hook: patient-view``, with the
  prefetch templates rrmm asks the EHR to fill (FHIR searches with the ``{{context.patientId}}`` token);
- :class:`CdsRequest` validates the body of ``POST {base}/cds-services/rrmm-patient-view`` (a body that is not
  a valid request raises :class:`pydantic.ValidationError`, a :class:`ValueError`);
- :func:`cds_response` turns the prefetched data into cards: prefetch -> one collection Bundle
  (:func:`prefetch_bundle`) -> :func:`rrmm.fhir.importer.import_bundle` -> :func:`rrmm.planning.build_plan`
  -> :func:`cards_for`. Bad EHR data never raises: a missing prefetch, a bundle the importer cannot read or a
  prefetched patient other than the one in context gives one ``warning`` card saying why.

The wire shapes follow the specification (CDS Hooks 2.0, as read in the cds-hooks/docs repository,
``docs/specification``): a card has a ``summary`` of fewer than 140 characters, an ``indicator`` of ``info``,
``warning`` or ``critical``, a ``source`` with a ``label`` (and optionally ``url``, ``icon``, a ``topic``
Coding), an optional ``detail`` in GitHub Flavored Markdown, optional ``suggestions`` (then
``selectionBehavior`` is required) and ``links`` of type ``absolute`` or ``smart`` (``appContext`` only for
``smart``). Optional attributes without a value are omitted, never sent as ``null`` or ``[]``.

No clinical rule lives here: the cards only choose which facts of the plan go on which card.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal
from urllib.parse import quote, urlsplit
from uuid import UUID, uuid4, uuid5

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from rrmm.fhir import local
from rrmm.fhir.importer import ImportWarning, import_bundle
from rrmm.planning.plan import DiseaseOut, EvidenceOut, Plan, build_plan
from rrmm.terminology.codes import SYSTEMS, code_tables

Json = dict[str, Any]

SERVICE_ID = "rrmm-patient-view"
HOOK = "patient-view"
#: "One-sentence, <140-character summary message" (CDS Hooks, Card attributes).
SUMMARY_MAX = 139
#: The code system of the card topics (``source.topic``): rrmm's own, named like its other URNs.
TOPIC_SYSTEM = f"{local.BASE}:CodeSystem:cds-card"
#: The card kinds: each is a ``source.topic`` code and, with the ``hookInstance``, names the card's uuid.
CARD_KINDS: dict[str, str] = {
    "action-now": "Needs action now",
    "interactions": "Interactions of the patient's other medicines with the myeloma drugs given now",
    "data-gaps": "EHR data rrmm could not read, and what it does not know",
    "disease-state": "Disease state",
    "options": "Top treatment options",
    "no-plan": "No plan: the prefetched data could not be used",
}
#: Toxicity actions of the plan that put a card at ``critical`` (plan.toxicity.actions[].action).
ACTIONS_NOW = ("hold", "stop", "see label")
#: Ongoing toxicities (plan.toxicity.grades[].toxicity) that put a card at ``critical`` at any grade.
TOXICITIES_NOW = ("crs", "icans")
#: Plan warnings that put a card at ``critical``: the start of the warning's text
#: (:func:`rrmm.planning.plan.situation_warnings`).
WARNINGS_NOW = ("active infection recorded",)
#: The labels of the plan's unknowns (:func:`rrmm.planning.plan.unknowns`: "<label> unknown: <reasons>").
PLAN_UNKNOWNS = (
    "stage at diagnosis",
    "high-risk status",
    "creatinine clearance",
    "ECOG performance status",
    "transplant eligibility",
    "current response",
)
#: The plan's unknowns that put a card at
#: ``warning``: the facts about today the plan's options are weighed and dosed with. The others (stage and
#: cytogenetic risk at diagnosis) are history the record may never hold; they are listed on the disease-state
#: card instead. A display choice, not a clinical rule: every unknown is shown on one card or the other.
UNKNOWNS_THAT_MATTER = (
    "creatinine clearance",
    "ECOG performance status",
    "transplant eligibility",
    "current response",
)

_TOKEN = "{{context.patientId}}"
_OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"


# ------------------------------------------------------------------------------------------ wire shapes
class _Wire(BaseModel):
    """What rrmm sends: frozen, exactly the fields of the specification."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def wire(self) -> Json:
        """The JSON object, optional attributes without a value left out (the specification forbids null)."""
        return self.model_dump(mode="json", exclude_none=True)


class Coding(_Wire):
    system: str | None = None
    code: str = Field(min_length=1)
    display: str | None = None


class Source(_Wire):
    label: str = Field(min_length=1)
    url: str | None = None
    icon: str | None = None
    topic: Coding | None = None

    @field_validator("url", "icon")
    @classmethod
    def _absolute(cls, v: str | None) -> str | None:
        if v is not None:
            _absolute_url(v, "source url")
        return v


class Link(_Wire):
    label: str = Field(min_length=1)
    url: str = Field(min_length=1)
    type: Literal["absolute", "smart"]
    appContext: str | None = None

    @model_validator(mode="after")
    def _app_context_only_for_smart(self) -> Link:
        if self.appContext is not None and self.type != "smart":
            raise ValueError("appContext is only valid for a link of type 'smart'")
        if self.type == "absolute":
            _absolute_url(self.url, "link url")
        return self


class SuggestionAction(_Wire):
    type: Literal["create", "update", "delete"]
    description: str = Field(min_length=1)
    resource: Json | None = None


class Suggestion(_Wire):
    label: str = Field(min_length=1)
    uuid: UUID | None = None
    isRecommended: bool | None = None
    actions: list[SuggestionAction] | None = Field(default=None, min_length=1)


class Card(_Wire):
    uuid: UUID | None = None
    summary: str = Field(min_length=1, max_length=SUMMARY_MAX)
    detail: str | None = Field(default=None, min_length=1)
    indicator: Literal["info", "warning", "critical"]
    source: Source
    suggestions: list[Suggestion] | None = Field(default=None, min_length=1)
    selectionBehavior: Literal["at-most-one", "any"] | None = None
    overrideReasons: list[Coding] | None = Field(default=None, min_length=1)
    links: list[Link] | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _selection_behavior_with_suggestions(self) -> Card:
        if (self.suggestions is None) != (self.selectionBehavior is None):
            raise ValueError("selectionBehavior is required with suggestions, and only with them")
        if self.overrideReasons and any(not c.display for c in self.overrideReasons):
            raise ValueError("every override reason needs a display")
        return self


class CdsService(_Wire):
    hook: str
    title: str | None = None
    description: str = Field(min_length=1)
    id: str = Field(min_length=1)
    prefetch: dict[str, str] | None = None


# ------------------------------------------------------------------------------------------ the request
class _In(BaseModel):
    """What the EHR sends: frozen; fields the specification adds later (``extension``, ...) are ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class FhirAuthorization(_In):
    access_token: str = Field(min_length=1, repr=False)
    token_type: Literal["Bearer"]
    expires_in: int
    scope: str
    subject: str


_USER = re.compile(r"^(Practitioner|PractitionerRole|Patient|RelatedPerson)/[^/\s]+$")


class PatientViewContext(_In):
    """``patient-view`` context: ``userId`` ("[ResourceType]/[id]": Practitioner, PractitionerRole, Patient or
    RelatedPerson), ``patientId`` (the FHIR Patient.id), ``encounterId`` optional."""

    userId: str
    patientId: str = Field(min_length=1)
    encounterId: str | None = Field(default=None, min_length=1)

    @field_validator("userId")
    @classmethod
    def _user(cls, v: str) -> str:
        if not _USER.match(v):
            raise ValueError(
                "userId must be [ResourceType]/[id] with Practitioner, PractitionerRole, Patient or "
                f"RelatedPerson, got {v!r}"
            )
        return v


class CdsRequest(_In):
    """The body of a call to the service (CDS Hooks 2.0, Calling a CDS Service)."""

    hook: Literal["patient-view"]
    hookInstance: UUID
    fhirServer: str | None = None
    fhirAuthorization: FhirAuthorization | None = Field(default=None, repr=False)
    context: PatientViewContext
    prefetch: dict[str, Any] | None = None

    @field_validator("fhirServer")
    @classmethod
    def _server(cls, v: str | None) -> str | None:
        if v is not None:
            _absolute_url(v, "fhirServer")
        return v

    @model_validator(mode="after")
    def _server_with_authorization(self) -> CdsRequest:
        if self.fhirAuthorization is not None and self.fhirServer is None:
            raise ValueError("fhirServer is required when fhirAuthorization is given")
        return self


def _absolute_url(url: str, what: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{what} must be an absolute http(s) URL, got {url!r}")
    return url.rstrip("/")


# ------------------------------------------------------------------------------------------ discovery
def _loinc(kind: str, *values: str) -> str:
    """The LOINC codes of the shared code tables that mean ``kind`` = each value, as a token OR list."""
    tables = code_tables()
    codes = [f"{s}|{c.code}" for v in values for s, c in tables.codes_for(kind, v, SYSTEMS["loinc"])]
    if not codes:
        raise LookupError(f"no LOINC code for {kind} {values}")
    return ",".join(codes)


def prefetch_templates() -> dict[str, str]:
    """What rrmm asks the EHR to prefetch: the FHIR reads and searches whose results the importer reads.

    Within the specification's recommended subset (instance read, type search by patient reference, token
    equality); no ``_include``, so a medication given only as a reference to a Medication resource is not
    named unless the EHR also sends the Medication."""
    obs = f"Observation?patient={_TOKEN}"
    return {
        "patient": f"Patient/{_TOKEN}",
        "conditions": f"Condition?patient={_TOKEN}",
        "medication-requests": f"MedicationRequest?patient={_TOKEN}",
        "medication-statements": f"MedicationStatement?patient={_TOKEN}",
        "medication-administrations": f"MedicationAdministration?patient={_TOKEN}",
        "procedures": f"Procedure?patient={_TOKEN}",
        # AdverseEvent is searched by its subject (the R4 search parameter; R5 adds 'patient')
        "adverse-events": f"AdverseEvent?subject=Patient/{_TOKEN}",
        "laboratory": f"{obs}&category={_OBSERVATION_CATEGORY}|laboratory",
        "ecog": f"{obs}&code={_loinc('observation', 'ecog')}",
        "disease-status": f"{obs}&code={_loinc('observation', 'disease_status')}",
        "body-measurements": f"{obs}&code={_loinc('observation', 'body_weight', 'body_height')}",
    }


def service() -> CdsService:
    return CdsService(
        hook=HOOK,
        title="rrmm: relapsed/refractory myeloma plan",
        description=(
            "When a patient's chart is opened: the myeloma disease state (lines of therapy, refractoriness), "
            "the top treatment options with their evidence, and what needs action now (toxicity holds, "
            "ongoing CRS or ICANS, active infection), from the prefetched FHIR data."
        ),
        id=SERVICE_ID,
        prefetch=prefetch_templates(),
    )


def discovery() -> Json:
    """The discovery response: ``{"services": [...]}``."""
    return {"services": [service().wire()]}


def missing_prefetch(request: CdsRequest) -> tuple[str, ...]:
    """The prefetch keys rrmm asked for that the request leaves out (a key present with ``null`` means the EHR
    has no such data and is not missing). The specification lets a service that cannot get required data
    answer 412 Precondition Failed; :func:`cds_response` answers with a warning card instead."""
    given = request.prefetch or {}
    return tuple(k for k in prefetch_templates() if k not in given)


# ------------------------------------------------------------------------------------------ prefetch
def _as_of_instant(now: dt.datetime | None) -> str:
    """The Bundle timestamp: the instant of the call, written at UTC+14 (the furthest-ahead time zone).

    The importer reads the calendar day written as the record's ``as_of`` and refuses data dated after it; a
    result charted this morning east of UTC already carries tomorrow's UTC date, so the day is taken where it
    is latest. The instant itself is exact."""
    moment = now or dt.datetime.now(dt.UTC)
    if moment.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return moment.astimezone(dt.timezone(dt.timedelta(hours=14))).isoformat(timespec="seconds")


def _collect(request: CdsRequest, now: dt.datetime | None = None) -> tuple[Json, list[str]]:
    """The collection Bundle of every prefetched resource, and what could not be taken from the prefetch."""
    problems: list[str] = []
    entries: list[Json] = []
    seen: set[str] = set()

    def add(resource: Json, full_url: Any, where: str) -> None:
        rtype = resource.get("resourceType")
        if not isinstance(rtype, str) or not rtype:
            problems.append(f"{where}: not a FHIR resource (no resourceType): skipped")
            return
        keys = {f"{rtype}/{resource['id']}"} if isinstance(resource.get("id"), str) else set()
        if isinstance(full_url, str) and full_url:
            keys.add(full_url)
        if keys & seen:
            return  # the same resource answered two searches
        seen.update(keys)
        entry: Json = {"fullUrl": full_url} if isinstance(full_url, str) and full_url else {}
        entry["resource"] = resource
        entries.append(entry)

    for key, value in (request.prefetch or {}).items():
        where = f"prefetch {key!r}"
        if value is None:
            continue  # the EHR has no data for this template
        if not isinstance(value, dict):
            problems.append(f"{where}: not a FHIR resource or Bundle ({type(value).__name__}): skipped")
            continue
        if value.get("resourceType") != "Bundle":
            add(value, None, where)
            continue
        links = value.get("link")
        links = links if isinstance(links, list) else []
        if any(isinstance(lk, dict) and lk.get("relation") == "next" for lk in links):
            problems.append(f"{where}: the Bundle has a next page; only the page sent was read")
        bundle_entries = value.get("entry") or []
        if not isinstance(bundle_entries, list):
            problems.append(f"{where}: Bundle.entry is not a list: skipped")
            continue
        for i, entry in enumerate(bundle_entries):
            resource = entry.get("resource") if isinstance(entry, dict) else None
            if not isinstance(resource, dict):
                problems.append(f"{where} entry[{i}]: no resource: skipped")
                continue
            add(resource, entry.get("fullUrl"), f"{where} entry[{i}]")

    bundle: Json = {"resourceType": "Bundle", "type": "collection", "timestamp": _as_of_instant(now)}
    if entries:
        bundle["entry"] = entries
    return bundle, problems


def prefetch_bundle(request: CdsRequest, *, now: dt.datetime | None = None) -> Json:
    """The prefetched data as one FHIR collection Bundle for :func:`rrmm.fhir.importer.import_bundle`.

    Each prefetch value is a resource, a searchset Bundle (its entries are taken, their ``search`` left
    out) or ``null`` (no data: nothing taken). A resource that answered two searches is taken once (by type
    and id, or fullUrl). ``timestamp`` is the call's instant (``now``, else the clock): the record's
    ``as_of``."""
    return _collect(request, now)[0]


# ------------------------------------------------------------------------------------------ cards
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")


def _md(text: object) -> str:
    """Text as literal GitHub Flavored Markdown (punctuation that would format is escaped)."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def _fit(parts: Sequence[str], sep: str = "; ") -> str:
    """The parts joined while they fit in a summary, "(+N more)" for the rest; a long first part is cut."""
    parts = [p for p in parts if p]
    if not parts:
        return ""
    out, taken = "", 0
    for part in parts:
        candidate = f"{out}{sep}{part}" if out else part
        rest = len(parts) - taken - 1
        if len(candidate) + len(f" (+{rest} more)" if rest else "") > SUMMARY_MAX:
            break
        out, taken = candidate, taken + 1
    if taken == 0:
        suffix = f" (+{len(parts) - 1} more)" if len(parts) > 1 else ""
        return parts[0][: SUMMARY_MAX - len(suffix) - 1].rstrip() + "…" + suffix
    rest = len(parts) - taken
    return out + (f" (+{rest} more)" if rest else "")


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def patient_url(app_url: str, patient_id: str) -> str:
    """rrmm's page of the patient."""
    return f"{_absolute_url(app_url, 'app_url')}/patients/{quote(patient_id, safe='')}"


class _CardMaker:
    def __init__(self, app_url: str, patient_id: str, hook_instance: UUID | None) -> None:
        self.app_url = _absolute_url(app_url, "app_url")
        self.link = Link(label="Open in rrmm", url=patient_url(app_url, patient_id), type="absolute")
        self.hook_instance = hook_instance

    def card(
        self, kind: str, indicator: Literal["info", "warning", "critical"], summary: str, detail: str
    ) -> Card:
        card_id = uuid5(self.hook_instance, kind) if self.hook_instance else uuid4()
        return Card(
            uuid=card_id,
            summary=summary,
            detail=detail or None,
            indicator=indicator,
            source=Source(
                label="rrmm",
                url=self.app_url,
                topic=Coding(system=TOPIC_SYSTEM, code=kind, display=CARD_KINDS[kind]),
            ),
            links=[self.link],
        )


_STATUS_TEXT = {
    "primary_refractory": "primary refractory",
    "relapsed_and_refractory": "relapsed and refractory",
    "relapsed": "relapsed",
    "no_progression": "no progression recorded",
}
_TOXICITY_TEXT = {"crs": "CRS", "icans": "ICANS"}


def _tox(name: str | None) -> str:
    return _TOXICITY_TEXT.get(name or "", (name or "toxicity").replace("_", " "))


def _unknowns(plan: Plan) -> list[tuple[str, str]]:
    """(label, warning) of the plan's unknowns (those of :data:`PLAN_UNKNOWNS`), in the plan's order."""
    found = []
    for w in plan.warnings:
        label, sep, _ = w.partition(" unknown: ")
        if sep and label in PLAN_UNKNOWNS:
            found.append((label, w))
    return found


def _bullets(items: Sequence[str]) -> str:
    return "\n".join(f"- {i}" for i in items)


def _disease_card(plan: Plan, make: _CardMaker) -> Card:
    d = plan.disease
    status = _STATUS_TEXT.get(str(d.status.value), "disease status unknown")
    parts = [_plural(d.lines_of_therapy, "line") + " of therapy", status]
    if d.triple_class_refractory or d.penta_refractory:
        parts.append(_refractory_phrase(d))
    summary = _fit(["Myeloma: " + parts[0], *parts[1:]])

    lines = []
    for line in d.lines:
        span = f"{line.start} to {line.end or 'ongoing'}"
        text = f"Line {line.number} ({span}): {', '.join(line.drugs) or 'no drug recorded'}"
        if line.includes_transplant:
            text += "; with transplant"
        if line.includes_car_t:
            text += "; with CAR T-cell therapy"
        text += f"; best response {line.best_response or 'not assessable'}"
        if line.refractory_drugs:
            text += (
                f"; refractory to {', '.join(line.refractory_drugs)} ({'; '.join(line.refractory_reasons)})"
            )
        lines.append(_md(text))

    def yes(flag: bool) -> str:
        return "yes" if flag else "no"

    sections = [
        f"**Disease status: {_md(status)}**",
        _bullets([_md(r) for r in d.status.reasons]) or "- no reason recorded",
        f"**Lines of therapy: {d.lines_of_therapy}**",
        _bullets(lines) or "- none recorded",
        "**Refractoriness**",
        _bullets(
            [
                "refractory drugs: " + (_md(", ".join(d.refractory_drugs)) or "none"),
                "refractory classes: " + (_md(", ".join(d.refractory_classes)) or "none"),
                f"triple-class: exposed {yes(d.triple_class_exposed)}, "
                f"refractory {yes(d.triple_class_refractory)}",
                f"penta: exposed {yes(d.penta_exposed)}, refractory {yes(d.penta_refractory)}",
                f"prior anti-BCMA {yes(d.prior_bcma)}, prior anti-GPRC5D {yes(d.prior_gprc5d)}, "
                f"prior CAR T {yes(d.prior_car_t)}",
            ]
        ),
        f"**Current response: {_md(d.current_response or 'unknown')}**",
        _bullets([_md(r) for r in d.current_response_reasons]),
    ]
    unknown = _unknowns(plan)
    if unknown:
        sections += ["**Not known, so not assumed**", _bullets([_md(w) for _, w in unknown])]
    sections.append(
        f"As of {plan.as_of}; knowledge base {_md(plan.knowledge_base.version)} "
        f"(reviewed {plan.knowledge_base.reviewed})."
    )
    return make.card("disease-state", "info", summary, "\n\n".join(s for s in sections if s))


def _refractory_phrase(d: DiseaseOut) -> str:
    if d.triple_class_refractory and d.penta_refractory:
        return "triple-class and penta-refractory"
    return "triple-class refractory" if d.triple_class_refractory else "penta-refractory"


def _evidence_line(e: EvidenceOut) -> str:
    refs = []
    if e.doi:
        refs.append(f"[doi:{_md(e.doi)}](https://doi.org/{quote(e.doi, safe='/:;()')})")
    if e.pmid:
        refs.append(f"[PMID {_md(e.pmid)}](https://pubmed.ncbi.nlm.nih.gov/{quote(e.pmid, safe='')}/)")
    tail = f" ({', '.join(refs)})" if refs else ""
    phase = f"phase {e.phase}" if e.phase[:1].isdigit() else e.phase
    return f"{_md(e.trial)} ({_md(phase)}): {_md(e.citation)}{tail}"


def _options_card(plan: Plan, make: _CardMaker) -> Card:
    top = plan.options[:3]
    if not top:
        summary = _fit(
            [f"No regimen in rrmm's knowledge base fits this record ({plan.jurisdiction.upper()})"]
        )
        shown = plan.not_recommended[:5]
        detail = "\n\n".join(
            [
                "**Not recommended, with the reasons**",
                _bullets([f"{_md(n.name)}: {_md('; '.join(n.reasons))}" for n in shown]) or "- none",
            ]
        )
        return make.card("options", "info", summary, detail)
    summary = _fit([f"Top options: 1. {top[0].name}", *(f"{o.rank}. {o.name}" for o in top[1:])])
    blocks = []
    for o in top:
        head = f"**{o.rank}. {_md(o.name)}** ({_md(o.category)}"
        head += f"; {_md(o.regulatory)})" if o.regulatory else ")"
        items = [f"Evidence: {_evidence_line(e)}" for e in o.evidence] or ["Evidence: none recorded"]
        items += [f"Caution: {_md(c)}" for c in o.cautions]
        blocks.append(f"{head}\n\n{_bullets(items)}")
    more = len(plan.options) - len(top)
    if more:
        blocks.append(f"{_plural(more, 'more option')} and the reasons of each in rrmm.")
    blocks.append(f"Ranked for jurisdiction {_md(plan.jurisdiction.upper())}; trials are matched in rrmm.")
    return make.card("options", "info", summary, "\n\n".join(blocks))


_VERB = {"hold": "Hold", "stop": "Stop", "see label": "See label for"}


def _action_card(plan: Plan, make: _CardMaker) -> Card | None:
    actions = [a for a in plan.toxicity.actions if a.action in ACTIONS_NOW]
    grades = [g for g in plan.toxicity.grades if g.toxicity in TOXICITIES_NOW]
    warnings = [w for w in plan.warnings if w.startswith(WARNINGS_NOW)]
    if not (actions or grades or warnings):
        return None
    parts = []
    for a in actions:
        why = f" ({_tox(a.toxicity)} grade {a.grade})" if a.toxicity and a.grade is not None else ""
        parts.append(f"{_VERB[a.action]} {a.drug}{why}")
    named = {(a.toxicity, a.grade) for a in actions}
    parts += [
        f"Ongoing {_tox(g.toxicity)} grade {g.grade} since {g.since}"
        for g in grades
        if (g.toxicity, g.grade) not in named
    ]
    parts += [w.split(":", 1)[0].capitalize() for w in warnings]
    sections = []
    if actions:
        items = []
        for a in actions:
            text = f"**{_md(_VERB[a.action])} {_md(a.drug)}**"
            if a.until:
                text += f" until {_md(a.until)}"
            if a.dose_level:
                text += f" (dose level: {_md(a.dose_level)})"
            items.append(f"{text}: {_md(a.reason)} Source: {_md(a.source)}.")
        sections += ["**Drug actions**", _bullets(items)]
    if grades:
        sections += [
            "**Ongoing CRS / ICANS**",
            _bullets([f"{_md(g.detail)} (from {_md(g.source)})" for g in grades]),
        ]
    if warnings:
        sections += ["**Warnings**", _bullets([_md(w) for w in warnings])]
    return make.card("action-now", "critical", _fit(parts), "\n\n".join(sections))


def _interactions_card(plan: Plan, make: _CardMaker) -> Card | None:
    """The label rows met by the patient's other medicines with the myeloma drugs given now."""
    found = plan.interactions.current
    if not found:
        return None
    parts = [f"{i.drug} + {i.medicine}: {i.action_words}" for i in found]
    items = [
        f"**{_md(i.drug)} + {_md(i.medicine)}**"
        + ("" if i.via == "itself" else f" ({_md(i.via)})")
        + f": {_md(i.action_words)}. {_md(i.text)} Source: {_md(i.source)}."
        for i in found
    ]
    return make.card(
        "interactions",
        "warning",
        _fit([f"Interaction: {parts[0]}", *parts[1:]]),
        "\n\n".join(["**Interactions with the patient's other medicines**", _bullets(items)]),
    )


def _gaps_card(plan: Plan, warnings: Sequence[ImportWarning | str], make: _CardMaker) -> Card | None:
    unread = [str(w) for w in warnings]
    unknown = [(label, w) for label, w in _unknowns(plan) if label in UNKNOWNS_THAT_MATTER]
    reduce = [a for a in plan.toxicity.actions if a.action == "reduce"]
    if not (unread or unknown or reduce):
        return None
    parts = []
    if reduce:
        parts.append("Reduce dose: " + ", ".join(sorted({a.drug for a in reduce})))
    if unread:
        parts.append(f"{_plural(len(unread), 'EHR data item')} not read or read with an assumption")
    if unknown:
        parts.append("Unknown: " + ", ".join(label for label, _ in unknown))
    sections = []
    if reduce:
        items = [
            f"**{_md(a.drug)}**: {_md(a.dose_level or 'reduce')}: {_md(a.reason)} Source: {_md(a.source)}."
            for a in reduce
        ]
        sections += ["**Dose reductions**", _bullets(items)]
    if unread:
        sections += [
            "**EHR data not read, or read with an assumption**",
            _bullets([_md(u) for u in unread]),
        ]
    if unknown:
        sections += ["**Not known, so not assumed**", _bullets([_md(w) for _, w in unknown])]
    return make.card("data-gaps", "warning", _fit(parts), "\n\n".join(sections))


def cards_for(
    plan: Plan,
    warnings: Sequence[ImportWarning | str],
    app_url: str,
    *,
    hook_instance: UUID | None = None,
) -> list[Card]:
    """The cards of a plan, most urgent first.

    - ``critical`` (``action-now``), when the plan says to act now: a toxicity action of :data:`ACTIONS_NOW`,
      an ongoing grade of :data:`TOXICITIES_NOW`, a warning of :data:`WARNINGS_NOW`;
    - ``warning`` (``interactions``), when one of the patient's other medicines meets a label row of a
      myeloma drug given now (:mod:`rrmm.toxicity.interactions`);
    - ``warning`` (``data-gaps``), when the import had ``warnings`` (each listed), the plan has unknowns of
      :data:`UNKNOWNS_THAT_MATTER`, or a toxicity action asks for a dose reduction;
    - ``info`` (``disease-state``): lines of therapy, refractory status, triple-class/penta refractoriness;
    - ``info`` (``options``): the top 3 options with their evidence.

    Each card links to the patient in rrmm (``{app_url}/patients/{id}``). With ``hook_instance`` the card
    uuids are uuid5(hookInstance, kind): the same call gives the same uuids, another call other ones."""
    make = _CardMaker(app_url, plan.patient_id, hook_instance)
    cards = [
        _action_card(plan, make),
        _interactions_card(plan, make),
        _gaps_card(plan, warnings, make),
        _disease_card(plan, make),
        _options_card(plan, make),
    ]
    return [c for c in cards if c is not None]


def _no_plan(request: CdsRequest, app_url: str, summary: str, reasons: Sequence[str]) -> Json:
    make = _CardMaker(app_url, request.context.patientId, request.hookInstance)
    detail = "\n\n".join(
        [
            _bullets([_md(r) for r in reasons]),
            "rrmm reads only the prefetched data (it does not query the EHR's FHIR server). It asks for: "
            + ", ".join(f"`{k}`" for k in prefetch_templates())
            + ".",
        ]
    )
    return {"cards": [make.card("no-plan", "warning", _fit([summary]), detail).wire()]}


def cds_response(
    request: CdsRequest | Mapping[str, Any], app_url: str, *, now: dt.datetime | None = None
) -> Json:
    """The response to a ``patient-view`` call: ``{"cards": [...]}``.

    ``request`` that is not a valid :class:`CdsRequest` raises :class:`pydantic.ValidationError` (a
    ValueError), as does an ``app_url`` that is not an absolute http(s) URL. Bad EHR data never raises: no
    prefetch, a prefetched patient other than ``context.patientId``, or a bundle the importer cannot read
    gives one ``warning`` card saying why. ``now``: the call's instant (the record's ``as_of``)."""
    req = request if isinstance(request, CdsRequest) else CdsRequest.model_validate(request)
    _absolute_url(app_url, "app_url")
    if not req.prefetch or all(v is None for v in req.prefetch.values()):
        why = "no prefetch in the request" if not req.prefetch else "every prefetch key is null (no data)"
        return _no_plan(
            req, app_url, "No prefetched FHIR data: rrmm cannot read this patient's record", [why]
        )
    bundle, problems = _collect(req, now)
    others = sorted(
        {
            str(e["resource"].get("id"))
            for e in bundle.get("entry", [])
            if e["resource"].get("resourceType") == "Patient"
            and e["resource"].get("id") not in (None, req.context.patientId)
        }
    )
    if others:
        return _no_plan(
            req,
            app_url,
            "The prefetched patient is not the patient in context: no plan shown",
            [f"context.patientId is {req.context.patientId!r}; the prefetch has Patient {', '.join(others)}"],
        )
    try:
        result = import_bundle(bundle)
    except ValueError as exc:  # FhirImportError, or a value the importer could not take
        return _no_plan(
            req, app_url, "rrmm could not read this patient's FHIR data: no plan shown", [str(exc), *problems]
        )
    plan = build_plan(result.record, "us", ())
    cards = cards_for(plan, [*problems, *result.warnings], app_url, hook_instance=req.hookInstance)
    return {"cards": [c.wire() for c in cards]}
