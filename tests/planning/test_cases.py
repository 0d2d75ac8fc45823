"""Clinical cases on the real knowledge base: realistic patients, the plan guidelines and labels ask for.

Each case builds a patient with the record builders, runs ``build_plan`` on the knowledge base shipped in
``src/rrmm/knowledge/data`` and asserts clinical outcomes: which regimens are options, which are excluded and
why, which cautions and label dose changes appear, and the relative order where the logic demands it. Scores
are never asserted. The comment on each case gives the reasoning (label wording as recorded in the knowledge
base, or the guideline logic the planner implements).
"""

from __future__ import annotations

from typing import Any

import pytest

from builders import course, lab, make_record, regimen
from rrmm.planning.plan import NotRecommendedOut, OptionOut, Plan, build_plan

# ---------------------------------------------------------------------------------------------------------
# Record pieces


def response(day: str, category: str) -> dict[str, Any]:
    return {"date": day, "type": "response_assessment", "response": category}


def progression(day: str) -> dict[str, Any]:
    return {"date": day, "type": "progression"}


def ecog(value: int, day: str) -> list[dict[str, Any]]:
    return [{"date": day, "ecog": value}]


def fish(abnormality: str, present: bool, day: str = "2017-01-20") -> dict[str, Any]:
    return {"date": day, "abnormality": abnormality, "present": present, "method": "FISH"}


def asct(day: str) -> dict[str, Any]:
    return {"date": day, "type": "autologous"}


def vrd_asct_lenalidomide_maintenance(
    start: int, progressed: str, transplant: bool = True
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """VRd induction, (ASCT,) lenalidomide maintenance until progression: one line (IMWG)."""
    therapies = regimen(
        ["bortezomib", "lenalidomide", "dexamethasone"],
        f"{start}-03-01",
        f"{start}-07-15",
        setting="induction",
    )
    transplants = []
    if transplant:
        therapies.append(course("melphalan", f"{start}-08-28", f"{start}-08-29", setting="conditioning"))
        transplants.append(asct(f"{start}-08-30"))
    therapies.append(
        course("lenalidomide", f"{start}-11-01", progressed, setting="maintenance", stop_reason="progression")
    )
    return therapies, transplants


# ---------------------------------------------------------------------------------------------------------
# Patients (field dictionaries; a test adds or overrides fields before building the record)


def lenalidomide_maintenance_relapse() -> dict[str, Any]:
    """62 y, VRd + ASCT + lenalidomide maintenance, progression on maintenance after 3 years: 1 prior line."""
    therapies, transplants = vrd_asct_lenalidomide_maintenance(2019, "2023-01-10")
    return dict(
        age=62,
        diagnosis={"date": "2019-01-20"},
        therapies=therapies,
        transplants=transplants,
        events=[response("2019-07-01", "VGPR"), response("2019-12-01", "CR"), progression("2023-01-10")],
        performance_status=ecog(1, "2023-01-15"),
        as_of="2023-01-20",
    )


def bortezomib_refractory() -> dict[str, Any]:
    """72 y, VCd first line (no lenalidomide), progression on bortezomib: bortezomib-refractory."""
    return dict(
        age=72,
        diagnosis={"date": "2021-02-10"},
        therapies=regimen(
            ["bortezomib", "cyclophosphamide", "dexamethasone"],
            "2021-03-01",
            "2022-02-15",
            stop_reason="progression",
        ),
        events=[response("2021-07-01", "PR"), progression("2022-02-15")],
        performance_status=ecog(1, "2022-02-20"),
        as_of="2022-03-01",
    )


def drd_first_line() -> dict[str, Any]:
    """76 y, transplant-ineligible, continuous DRd first line, progression on it after 4 years."""
    return dict(
        age=76,
        diagnosis={"date": "2019-03-10"},
        therapies=regimen(
            ["daratumumab", "lenalidomide", "dexamethasone"],
            "2019-04-01",
            "2023-05-20",
            stop_reason="progression",
        ),
        events=[response("2019-10-01", "VGPR"), progression("2023-05-20")],
        performance_status=ecog(1, "2023-05-25"),
        as_of="2023-06-01",
    )


def dvrd_asct_dr_maintenance() -> dict[str, Any]:
    """58 y, D-VRd induction, ASCT, daratumumab-lenalidomide maintenance, progression on maintenance."""
    therapies = [
        *regimen(
            ["daratumumab", "bortezomib", "lenalidomide", "dexamethasone"],
            "2020-01-10",
            "2020-05-20",
            setting="induction",
        ),
        course("melphalan", "2020-07-01", "2020-07-02", setting="conditioning"),
        *regimen(
            ["daratumumab", "lenalidomide"],
            "2020-09-15",
            "2023-03-01",
            setting="maintenance",
            stop_reason="progression",
        ),
    ]
    return dict(
        age=58,
        diagnosis={"date": "2019-12-15"},
        therapies=therapies,
        transplants=[asct("2020-07-03")],
        events=[response("2020-05-15", "VGPR"), response("2020-12-01", "CR"), progression("2023-03-01")],
        performance_status=ecog(0, "2023-03-05"),
        as_of="2023-03-10",
    )


_TCR_EVENTS = [
    response("2017-07-10", "VGPR"),
    response("2018-01-10", "CR"),
    progression("2019-10-01"),
    response("2020-03-01", "VGPR"),
    progression("2021-04-01"),
    response("2021-08-01", "PR"),
    progression("2022-03-01"),
    response("2022-06-01", "MR"),
    progression("2022-09-01"),
]


def triple_class_refractory(
    last_line: tuple[str, ...] = ("bendamustine",), transplant: bool = True
) -> dict[str, Any]:
    """66 y, four prior lines, BCMA-naive: VRd-ASCT-R (lenalidomide-refractory), DPd (daratumumab- and
    pomalidomide-refractory), KCd (carfilzomib-refractory), then bendamustine-dexamethasone, each ended by
    progression on therapy. Bortezomib was stopped in 2017, so the disease is not bortezomib-refractory."""
    therapies, transplants = vrd_asct_lenalidomide_maintenance(2017, "2019-10-01", transplant=transplant)
    therapies += [
        *regimen(
            ["daratumumab", "pomalidomide", "dexamethasone"],
            "2019-10-20",
            "2021-04-01",
            stop_reason="progression",
        ),
        *regimen(
            ["carfilzomib", "cyclophosphamide", "dexamethasone"],
            "2021-04-20",
            "2022-03-01",
            stop_reason="progression",
        ),
        *regimen([*last_line, "dexamethasone"], "2022-03-20", "2022-09-01", stop_reason="progression"),
    ]
    return dict(
        age=66,
        diagnosis={"date": "2017-01-15"},
        therapies=therapies,
        transplants=transplants,
        events=list(_TCR_EVENTS),
        performance_status=ecog(1, "2022-09-05"),
        as_of="2022-09-10",
    )


def penta_refractory() -> dict[str, Any]:
    """As above, but the fourth line is bendamustine-bortezomib-dexamethasone with progression on it:
    refractory to bortezomib, carfilzomib, lenalidomide, pomalidomide and daratumumab (penta-refractory),
    4 prior lines."""
    return triple_class_refractory(last_line=("bendamustine", "bortezomib"))


def after_cilta_cel() -> dict[str, Any]:
    """The triple-class-refractory patient, then cilta-cel (after fludarabine-cyclophosphamide
    lymphodepletion) in October 2022, CR, progression in March 2024: 5 prior lines, BCMA-exposed."""
    fields = triple_class_refractory()
    fields["therapies"] += [
        *regimen(["fludarabine", "cyclophosphamide"], "2022-10-10", "2022-10-12"),
        course("ciltacabtagene autoleucel", "2022-10-15", "2022-10-15"),
    ]
    fields["events"] += [response("2023-01-15", "CR"), progression("2024-03-01")]
    fields.update(age=67, performance_status=ecog(1, "2024-03-05"), as_of="2024-03-10")
    return fields


def three_prior_lines() -> dict[str, Any]:
    """63 y, BCMA-naive: VRd-ASCT-R (lenalidomide-refractory), DKd (daratumumab- and carfilzomib-refractory),
    EloPd (pomalidomide-refractory): 3 prior lines, triple-class exposed and refractory."""
    therapies, transplants = vrd_asct_lenalidomide_maintenance(2017, "2019-10-01")
    therapies += [
        *regimen(
            ["daratumumab", "carfilzomib", "dexamethasone"],
            "2019-10-20",
            "2021-04-01",
            stop_reason="progression",
        ),
        *regimen(
            ["elotuzumab", "pomalidomide", "dexamethasone"],
            "2021-04-20",
            "2022-03-01",
            stop_reason="progression",
        ),
    ]
    return dict(
        age=63,
        diagnosis={"date": "2017-01-15"},
        therapies=therapies,
        transplants=transplants,
        events=_TCR_EVENTS[:7],
        performance_status=ecog(1, "2022-03-05"),
        as_of="2022-03-10",
    )


def vcd_relapse_off_therapy() -> dict[str, Any]:
    """70 y man, 70 kg, six cycles of VCd (completed), relapse two years off therapy: not refractory."""
    return dict(
        age=70,
        diagnosis={"date": "2020-02-10"},
        sex="male",
        weight_kg=70.0,
        therapies=regimen(
            ["bortezomib", "cyclophosphamide", "dexamethasone"],
            "2020-03-01",
            "2020-08-15",
            stop_reason="completed",
        ),
        events=[response("2020-07-01", "VGPR"), progression("2022-09-01")],
        performance_status=ecog(1, "2022-09-05"),
        as_of="2022-09-10",
    )


def late_relapse_after_asct() -> dict[str, Any]:
    """60 y, ECOG 0, VRd + ASCT without maintenance, CR, relapse off therapy 64 months after ASCT."""
    return dict(
        age=60,
        diagnosis={"date": "2016-12-10"},
        therapies=[
            *regimen(
                ["bortezomib", "lenalidomide", "dexamethasone"],
                "2017-01-10",
                "2017-05-20",
                setting="induction",
            ),
            course("melphalan", "2017-06-28", "2017-06-29", setting="conditioning"),
        ],
        transplants=[asct("2017-06-30")],
        events=[response("2017-05-15", "VGPR"), response("2017-10-01", "CR"), progression("2022-11-15")],
        performance_status=ecog(0, "2022-11-20"),
        as_of="2022-11-25",
    )


def early_relapse_after_asct() -> dict[str, Any]:
    """55 y, VRd + ASCT without maintenance, relapse off therapy 13 months after the transplant."""
    return dict(
        age=55,
        diagnosis={"date": "2020-12-10"},
        therapies=[
            *regimen(
                ["bortezomib", "lenalidomide", "dexamethasone"],
                "2021-01-10",
                "2021-05-20",
                setting="induction",
            ),
            course("melphalan", "2021-06-28", "2021-06-29", setting="conditioning"),
        ],
        transplants=[asct("2021-06-30")],
        events=[response("2021-05-15", "VGPR"), response("2021-10-01", "VGPR"), progression("2022-08-15")],
        performance_status=ecog(0, "2022-08-20"),
        as_of="2022-08-25",
    )


def primary_refractory() -> dict[str, Any]:
    """59 y, VRd induction: stable disease, then progression on VRd; never a minimal response."""
    return dict(
        age=59,
        diagnosis={"date": "2021-12-15"},
        therapies=regimen(
            ["bortezomib", "lenalidomide", "dexamethasone"],
            "2022-01-10",
            "2022-06-01",
            stop_reason="progression",
        ),
        events=[response("2022-03-10", "SD"), response("2022-06-01", "PD")],
        performance_status=ecog(1, "2022-06-05"),
        as_of="2022-06-10",
    )


def carfilzomib_only_two_lines() -> dict[str, Any]:
    """64 y, KRd + ASCT + lenalidomide maintenance (progression on it), then DKd (progression on it): 2 prior
    lines including lenalidomide and a proteasome inhibitor (carfilzomib), never bortezomib."""
    return dict(
        age=64,
        diagnosis={"date": "2017-12-10"},
        therapies=[
            *regimen(
                ["carfilzomib", "lenalidomide", "dexamethasone"],
                "2018-01-10",
                "2018-05-20",
                setting="induction",
            ),
            course("melphalan", "2018-06-28", "2018-06-29", setting="conditioning"),
            course(
                "lenalidomide", "2018-09-01", "2021-02-01", setting="maintenance", stop_reason="progression"
            ),
            *regimen(
                ["daratumumab", "carfilzomib", "dexamethasone"],
                "2021-02-20",
                "2023-01-10",
                stop_reason="progression",
            ),
        ],
        transplants=[asct("2018-06-30")],
        events=[
            response("2018-05-15", "VGPR"),
            response("2018-10-01", "CR"),
            progression("2021-02-01"),
            response("2021-06-01", "VGPR"),
            progression("2023-01-10"),
        ],
        performance_status=ecog(1, "2023-01-15"),
        as_of="2023-01-20",
    )


# ---------------------------------------------------------------------------------------------------------
# Plan helpers


def plan_for(fields: dict[str, Any], jurisdiction: str = "us", **extra: Any) -> Plan:
    return build_plan(make_record(**{**fields, **extra}), jurisdiction)


def options(plan: Plan) -> dict[str, OptionOut]:
    return {o.id: o for o in plan.options}


def excluded(plan: Plan) -> dict[str, NotRecommendedOut]:
    return {n.id: n for n in plan.not_recommended}


def why_excluded(plan: Plan, regimen_id: str) -> str:
    return " | ".join(excluded(plan)[regimen_id].reasons)


def rank(plan: Plan, regimen_id: str) -> int:
    return options(plan)[regimen_id].rank


def definite_doses(option: OptionOut) -> str:
    """Dose changes that apply (not the 'check ...' ones whose condition could not be checked)."""
    return " | ".join(d for d in option.dose_adjustments if not d.startswith("check "))


LENALIDOMIDE_REGIMENS = {"DRd", "KRd", "EloRd", "IRd"}
BORTEZOMIB_REGIMENS = {"DVd", "SVd", "PVd", "BVd", "VenVd", "PanoVd"}
CARFILZOMIB_REGIMENS = {"KRd", "DKd", "IsaKd", "Kd56", "Kd70", "KCd", "SKd"}
BCMA_REGIMENS = {"cilta-cel", "ide-cel", "Tec", "Elra", "Linvo", "BVd", "BPd"}


# ---------------------------------------------------------------------------------------------------------
# 1. Typical second line after lenalidomide maintenance


def test_second_line_after_lenalidomide_maintenance():
    # Progression on lenalidomide maintenance: lenalidomide-refractory after one line (IMWG: progression on
    # therapy). Lenalidomide-containing regimens (DRd, KRd, EloRd, IRd) are excluded; DPd (US SC label: >=1
    # prior line incl. lenalidomide and a PI), DKd and IsaKd (1-3 prior lines), SVd (>=1 prior therapy), Kd,
    # PVd (off-label in the US, OPTIMISMM) and cilta-cel (CARTITUDE-4; US label: >=1 prior line incl. a PI and
    # an IMiD, lenalidomide-refractory) are options.
    plan = plan_for(lenalidomide_maintenance_relapse())
    assert plan.disease.lines_of_therapy == 1
    assert plan.disease.refractory_drugs == ["lenalidomide"]
    for rid in LENALIDOMIDE_REGIMENS:
        assert "refractory to lenalidomide" in why_excluded(plan, rid), rid
    assert {"DPd", "DKd", "IsaKd", "SVd", "Kd56", "PVd", "cilta-cel"} <= set(options(plan))
    cilta = options(plan)["cilta-cel"]
    assert cilta.regulatory is not None and cilta.regulatory.startswith("US approved")
    assert any("within the US label indication" in r for r in cilta.rationale)
    assert any("not approved for this use in the US" in c for c in options(plan)["PVd"].cautions)


def test_second_line_excludes_regimens_labelled_for_later_lines():
    # One prior line only: Pd, IsaPd and EloPd need >= 2 prior therapies; BVd (US) >= 2 prior lines; ide-cel
    # >= 2 prior lines incl. an anti-CD38 antibody; teclistamab, elranatamab, talquetamab, linvoseltamab and
    # selinexor-dexamethasone >= 4 prior lines in the US.
    plan = plan_for(lenalidomide_maintenance_relapse())
    for rid in ("Pd", "IsaPd", "EloPd", "BVd", "ide-cel"):
        assert "needs >= 2 prior lines (patient: 1)" in why_excluded(plan, rid), rid
    for rid in ("Tec", "Elra", "Tal", "Linvo", "Sd"):
        assert "needs >= 4 prior lines (patient: 1)" in why_excluded(plan, rid), rid


# ---------------------------------------------------------------------------------------------------------
# 2. Bortezomib-refractory


def test_bortezomib_refractory_excludes_bortezomib_regimens_not_carfilzomib():
    # Progression on VCd: bortezomib-refractory. Every bortezomib-containing regimen is excluded;
    # refractoriness to one proteasome inhibitor does not transfer to carfilzomib (no class transfer for PIs
    # in policy.yaml), so KRd, DKd, IsaKd and Kd stay options, as do DRd and EloRd (lenalidomide-naive). IRd
    # stays with the TOURMALINE-MM1 caution (PI-refractory patients were not enrolled). DPd is excluded: its
    # US label needs prior lenalidomide, which this patient never had; cilta-cel likewise (needs an IMiD and
    # lenalidomide refractoriness).
    plan = plan_for(bortezomib_refractory())
    for rid in BORTEZOMIB_REGIMENS:
        assert "refractory to bortezomib" in why_excluded(plan, rid), rid
    assert {"KRd", "DKd", "IsaKd", "Kd56", "DRd", "EloRd", "IRd"} <= set(options(plan))
    assert any("TOURMALINE-MM1" in c for c in options(plan)["IRd"].cautions)
    assert "not exposed to lenalidomide" in why_excluded(plan, "DPd")
    assert "cilta-cel" in excluded(plan)


# ---------------------------------------------------------------------------------------------------------
# 3. Anti-CD38 refractory


def test_anti_cd38_refractory_after_first_line_drd():
    # Progression on continuous DRd: daratumumab- and lenalidomide-refractory. Every daratumumab regimen is
    # excluded, and isatuximab regimens too, by class (same antigen, CD38; policy.yaml). Cilta-cel is
    # excluded: the US label needs prior PI exposure and DRd contained none. PVd, SVd and Kd remain. At 76,
    # carfilzomib carries the label's caution on cardiac failure at 75 or older.
    plan = plan_for(drd_first_line())
    for rid in ("DRd", "DPd", "DKd", "DVd", "Tec-Dara"):
        assert "refractory to daratumumab" in why_excluded(plan, rid), rid
    for rid in ("IsaKd", "IsaPd"):
        assert "isatuximab targets the same antigen (CD38)" in why_excluded(plan, rid), rid
    assert "not exposed to PI" in why_excluded(plan, "cilta-cel")
    assert {"PVd", "SVd", "Kd56"} <= set(options(plan))
    assert any("75 or older" in c for c in options(plan)["Kd56"].cautions)


def test_anti_cd38_refractory_after_dvrd_and_dr_maintenance():
    # Progression on daratumumab-lenalidomide maintenance after D-VRd and ASCT: daratumumab- and
    # lenalidomide-refractory, PI-exposed (bortezomib in induction). Isatuximab is excluded by class; the
    # teclistamab-daratumumab combination (Tec-Dara) is excluded by its daratumumab. Cilta-cel is on label
    # (>=1 prior line incl. PI and IMiD, lenalidomide-refractory) and, having beaten PVd/DPd in CARTITUDE-4,
    # ranks above PVd; SVd, Kd and PVd are options.
    plan = plan_for(dvrd_asct_dr_maintenance())
    for rid in ("IsaKd", "IsaPd"):
        assert "isatuximab targets the same antigen (CD38)" in why_excluded(plan, rid), rid
    assert "refractory to daratumumab" in why_excluded(plan, "Tec-Dara")
    assert {"cilta-cel", "SVd", "Kd56", "PVd"} <= set(options(plan))
    assert rank(plan, "cilta-cel") < rank(plan, "PVd")
    assert not any(set(o.drugs) & {"daratumumab", "isatuximab"} for o in plan.options)


# ---------------------------------------------------------------------------------------------------------
# 4. Triple-class refractory and penta-refractory


def test_triple_class_refractory_after_four_lines_immunotherapies_on_label():
    # Four prior lines, refractory to a PI, IMiDs and an anti-CD38 antibody: the US labels of teclistamab,
    # elranatamab, talquetamab, linvoseltamab (>= 4 prior lines incl. PI, IMiD, anti-CD38), ide-cel (>= 2
    # prior lines incl. the three classes) and cilta-cel (lenalidomide-refractory) all cover the patient.
    plan = plan_for(triple_class_refractory())
    assert plan.disease.triple_class_refractory and not plan.disease.penta_refractory
    for rid in ("Tec", "Elra", "Tal", "Linvo", "ide-cel", "cilta-cel"):
        assert rid in options(plan), rid
        assert any("within the US label indication" in r for r in options(plan)[rid].rationale), rid


def test_triple_class_refractory_selinexor_needs_two_refractory_proteasome_inhibitors():
    # XPOVIO with dexamethasone (US): >= 4 prior therapies and refractory to >= 2 PIs, >= 2 IMiDs and an
    # anti-CD38 antibody. This patient is refractory to carfilzomib only (bortezomib stopped in 2017), so Sd
    # is excluded with that reason, while SVd (>= 1 prior therapy, bortezomib not refractory) is an option.
    plan = plan_for(triple_class_refractory())
    assert "refractory to 1 PI (carfilzomib)" in why_excluded(plan, "Sd")
    assert "SVd" in options(plan)


def test_clinical_trial_rationale_for_triple_class_refractory_disease():
    # A trial is an option at every relapse; for triple-class refractory disease it is recommended (ranking
    # weight clinical_trial_priority), and the rationale says why.
    plan = plan_for(triple_class_refractory())
    trial = options(plan)["clinical-trial"]
    assert any("clinical trial recommended for triple-class refractory disease" in r for r in trial.rationale)


def test_clinical_trial_among_the_first_options_for_triple_class_refractory_disease():
    # "A clinical trial is always offered for triple-class refractory or high-risk disease" (the planner's
    # brief); ranking.yaml weighs it to stand among the first three options, beside the approved therapies
    # with randomized phase 3 evidence (BCMA CAR-T), rather than below every bispecific.
    for fields in (triple_class_refractory(), penta_refractory()):
        plan = plan_for(fields)
        assert "clinical-trial" in [o.id for o in plan.options[:3]]


def test_penta_refractory_only_regimens_without_the_five_drugs_remain():
    # Refractory to bortezomib, carfilzomib, lenalidomide, pomalidomide and daratumumab: no option may contain
    # any of them, nor isatuximab (anti-CD38 class transfer). What remains: BCMA CAR-T, bispecifics,
    # selinexor-dexamethasone and a trial.
    plan = plan_for(penta_refractory())
    assert plan.disease.penta_refractory
    penta = {"bortezomib", "carfilzomib", "lenalidomide", "pomalidomide", "daratumumab", "isatuximab"}
    for o in plan.options:
        assert not set(o.drugs) & penta, o.id
    assert {"cilta-cel", "ide-cel", "Tec", "Elra", "Tal", "Linvo", "Sd", "clinical-trial"} <= set(
        options(plan)
    )


def test_penta_refractory_selinexor_dexamethasone_within_its_us_label():
    # STORM / XPOVIO label: >= 4 prior therapies, refractory to >= 2 PIs (bortezomib, carfilzomib), >= 2 IMiDs
    # (lenalidomide, pomalidomide) and an anti-CD38 antibody: this patient exactly.
    plan = plan_for(penta_refractory())
    assert any("within the US label indication (4 prior lines)" in r for r in options(plan)["Sd"].rationale)


def test_bcma_car_t_ranks_above_bispecifics_when_bcma_naive():
    # BCMA-naive, eligible for both: a BCMA CAR-T before a BCMA bispecific keeps the sequence open
    # (bispecifics work after CAR-T; CAR-T trials excluded prior BCMA therapy), and the CAR-T evidence is
    # stronger.
    plan = plan_for(triple_class_refractory())
    for rid in ("Tec", "Elra", "Linvo"):
        assert rank(plan, "cilta-cel") < rank(plan, rid), rid


# ---------------------------------------------------------------------------------------------------------
# 5. After BCMA CAR-T


def test_after_cilta_cel_the_same_car_t_is_not_offered_again():
    # CARVYKTI is a single infusion: the same product is never offered again (policy.yaml
    # no_repeat_modalities).
    plan = plan_for(after_cilta_cel())
    assert plan.disease.prior_bcma and plan.disease.prior_car_t
    assert "already infused on 2022-10-15" in why_excluded(plan, "cilta-cel")


def test_after_bcma_car_t_bcma_agents_rank_below_talquetamab_and_a_trial():
    # Progression after BCMA CAR-T: another BCMA-directed agent has lower benefit (the pivotal trials of
    # teclistamab, elranatamab, DREAMM-7 excluded prior BCMA therapy). A non-BCMA target (talquetamab, GPRC5D)
    # and a clinical trial rank above every remaining BCMA option, each of which carries the caution.
    plan = plan_for(after_cilta_cel())
    bcma = BCMA_REGIMENS & set(options(plan))
    assert {"Tec", "Elra", "ide-cel"} <= bcma
    for rid in bcma:
        assert rank(plan, "Tal") < rank(plan, rid), rid
        assert rank(plan, "clinical-trial") < rank(plan, rid), rid
    for rid in ("Tec", "Elra", "ide-cel", "BVd"):
        assert any("Prior BCMA-directed therapy" in c for c in options(plan)[rid].cautions), rid


# ---------------------------------------------------------------------------------------------------------
# 6. t(11;14) and venetoclax


def test_t11_14_present_makes_venetoclax_regimens_options_with_cautions():
    # Venetoclax is used off-label in t(11;14) myeloma only; VenVd carries the BELLINI excess-mortality
    # caution.
    plan = plan_for(triple_class_refractory(), cytogenetics=[fish("t(11;14)", True)])
    assert {"Ven-d", "VenVd"} <= set(options(plan))
    for rid in ("Ven-d", "VenVd"):
        assert any("not approved for this use in the US" in c for c in options(plan)[rid].cautions), rid
    assert any("BELLINI" in c for c in options(plan)["VenVd"].cautions)


@pytest.mark.parametrize(
    ("cytogenetics", "reason"),
    [([fish("t(11;14)", False)], "t(11;14) absent"), ([], "t(11;14) not tested")],
    ids=["absent", "untested"],
)
def test_venetoclax_regimens_excluded_without_t11_14(cytogenetics, reason):
    # Without t(11;14) (absent, or never tested), venetoclax regimens are excluded, and the reason says which.
    plan = plan_for(triple_class_refractory(), cytogenetics=cytogenetics)
    for rid in ("Ven-d", "VenVd"):
        assert reason in why_excluded(plan, rid), rid


# ---------------------------------------------------------------------------------------------------------
# 7. Kidney


def test_severe_renal_impairment_lenalidomide_and_ixazomib_label_doses():
    # Creatinine 3.0 mg/dL, 70 y, 70 kg man: Cockcroft-Gault CrCl about 23 mL/min, not on dialysis.
    # REVLIMID label: CLcr < 30 not requiring dialysis -> 15 mg every 48 hours (not the dialysis dose);
    # NINLARO label: CrCl < 30 -> 3 mg.
    plan = plan_for(vcd_relapse_off_therapy(), labs=[lab("creatinine", "2022-09-05", 3.0, "mg/dL")])
    assert plan.disease.crcl_ml_min is not None and plan.disease.crcl_ml_min < 30
    for rid in LENALIDOMIDE_REGIMENS:
        doses = definite_doses(options(plan)[rid])
        assert "15 mg every 48 hours" in doses, rid
        assert "5 mg once daily" not in doses, rid
    assert "ixazomib: Severe renal impairment" in definite_doses(options(plan)["IRd"])
    assert "starting dose 3 mg" in definite_doses(options(plan)["IRd"])


def test_severe_renal_impairment_without_dialysis_needs_no_pomalidomide_change():
    # POMALYST label: no dose adjustment for renal impairment not requiring dialysis. CrCl about 22 mL/min:
    # DPd and PVd carry no pomalidomide dose change.
    plan = plan_for(
        lenalidomide_maintenance_relapse(),
        weight_kg=65.0,
        labs=[lab("creatinine", "2023-01-15", 3.2, "mg/dL")],
    )
    assert plan.disease.crcl_ml_min is not None and plan.disease.crcl_ml_min < 30
    for rid in ("DPd", "PVd"):
        assert "pomalidomide:" not in definite_doses(options(plan)[rid]), rid


def test_dialysis_lenalidomide_and_bortezomib_label_text():
    # On haemodialysis. REVLIMID: 5 mg once daily, after dialysis on dialysis days (not the 15 mg every 48 h
    # dose of non-dialysis severe impairment). VELCADE: no starting-dose change, give after dialysis.
    plan = plan_for(
        vcd_relapse_off_therapy(),
        comorbidities=[{"condition": "dialysis"}],
        labs=[lab("creatinine", "2022-09-05", 6.0, "mg/dL")],
    )
    assert plan.disease.on_dialysis
    for rid in LENALIDOMIDE_REGIMENS:
        doses = definite_doses(options(plan)[rid])
        assert "lenalidomide: End-stage renal disease on dialysis" in doses, rid
        assert "5 mg once daily" in doses and "15 mg every 48 hours" not in doses, rid
    for rid in ("DVd", "SVd"):
        assert "give it after the dialysis procedure" in definite_doses(options(plan)[rid]), rid


def test_dialysis_pomalidomide_3_mg():
    # POMALYST: severe renal impairment requiring dialysis -> 3 mg daily, after haemodialysis on dialysis
    # days.
    plan = plan_for(lenalidomide_maintenance_relapse(), comorbidities=[{"condition": "dialysis"}])
    for rid in ("DPd", "PVd"):
        doses = definite_doses(options(plan)[rid])
        assert "pomalidomide: Severe renal impairment requiring dialysis" in doses and "3 mg" in doses, rid


# ---------------------------------------------------------------------------------------------------------
# 8. Neuropathy, heart failure, frailty, infection


def test_grade_3_neuropathy_cautions_every_bortezomib_regimen():
    # VELCADE label: pre-existing severe neuropathy -> treat only after careful risk/benefit assessment. Every
    # bortezomib-containing option carries that caution; carfilzomib regimens (less neurotoxic) do not, and
    # DKd ranks above DVd.
    plan = plan_for(
        lenalidomide_maintenance_relapse(), comorbidities=[{"condition": "peripheral_neuropathy", "grade": 3}]
    )
    bortezomib_options = BORTEZOMIB_REGIMENS & set(options(plan))
    assert {"DVd", "SVd", "PVd"} <= bortezomib_options
    for rid in bortezomib_options:
        assert any("severe neuropathy" in c for c in options(plan)[rid].cautions), rid
    for rid in ("DKd", "IsaKd", "Kd56"):
        assert not any("neuropathy" in c for c in options(plan)[rid].cautions), rid
    assert rank(plan, "DKd") < rank(plan, "DVd")


def test_heart_failure_cautions_every_carfilzomib_regimen():
    # KYPROLIS label: new or worsening cardiac failure; NYHA III-IV patients were not eligible. Every
    # carfilzomib-containing option carries the cardiac caution; DVd and DPd do not, and DVd ranks above DKd
    # and IsaKd. Heart failure also leaves transplant eligibility open (cardiac fitness for high-dose
    # melphalan needs assessment), so salvage ASCT is excluded until it is assessed, with that reason.
    plan = plan_for(lenalidomide_maintenance_relapse(), comorbidities=[{"condition": "heart_failure"}])
    carfilzomib_options = CARFILZOMIB_REGIMENS & set(options(plan))
    assert {"DKd", "IsaKd", "Kd56", "Kd70"} <= carfilzomib_options
    for rid in carfilzomib_options:
        assert any("carfilzomib: Heart failure" in c for c in options(plan)[rid].cautions), rid
    for rid in ("DVd", "DPd"):
        assert not any("failure" in c for c in options(plan)[rid].cautions), rid
    assert rank(plan, "DVd") < rank(plan, "DKd") and rank(plan, "DVd") < rank(plan, "IsaKd")
    assert "heart failure recorded" in why_excluded(plan, "salvage-ASCT")


def test_frail_ecog_3_cautions_car_t_and_leaves_transplant_open():
    # ECOG 3: the CAR-T pivotal trials enrolled ECOG 0-1, so both BCMA CAR-T products are cautioned (as are
    # the bispecifics' trials); fitness for high-dose melphalan needs assessment, so salvage ASCT is excluded
    # as unknown with that reason.
    plan = plan_for(triple_class_refractory(), performance_status=ecog(3, "2022-09-05"))
    for rid in ("cilta-cel", "ide-cel"):
        assert any("ECOG performance status 2 or worse" in c for c in options(plan)[rid].cautions), rid
    assert any("ECOG" in c for c in options(plan)["Tec"].cautions)
    assert "poor performance status" in why_excluded(plan, "salvage-ASCT")


def test_active_infection_excludes_car_t_and_bcma_bispecifics():
    # CARVYKTI / ABECMA labels: do not administer with active infection; TECVAYLI, ELREXFIO, LYNOZYFIC: do not
    # start step-up dosing during an active infection. All five are excluded, each with its label reason.
    plan = plan_for(triple_class_refractory(), comorbidities=[{"condition": "active_infection"}])
    for rid in ("cilta-cel", "ide-cel", "Tec", "Elra", "Linvo"):
        assert "active infection" in why_excluded(plan, rid), rid


# ---------------------------------------------------------------------------------------------------------
# 9. Transplant at relapse


def test_late_relapse_off_therapy_after_asct_salvage_transplant_is_an_option():
    # Relapse more than five years after ASCT, off therapy: not refractory to anything. Transplant-eligible
    # (60 y, ECOG 0) and relapsing >= 18 months after the first ASCT: salvage ASCT is an option (Myeloma X
    # population, no early-relapse caution). Lenalidomide-sensitive: DRd, KRd, IRd, EloRd are options. Not
    # lenalidomide-refractory: cilta-cel is outside its label.
    plan = plan_for(late_relapse_after_asct())
    assert plan.disease.status.value == "relapsed" and plan.disease.refractory_drugs == []
    salvage = options(plan)["salvage-ASCT"]
    assert any("studied in patients like this one (Myeloma X" in r for r in salvage.rationale)
    assert not any("less than 18 months" in c for c in salvage.cautions)
    assert set(options(plan)) >= LENALIDOMIDE_REGIMENS
    assert "not refractory to lenalidomide" in why_excluded(plan, "cilta-cel")


def test_late_relapse_patient_who_declines_transplant():
    plan = plan_for(late_relapse_after_asct(), preferences={"declines_transplant": True})
    assert "patient declines transplant" in why_excluded(plan, "salvage-ASCT")


def test_early_relapse_after_asct_cautions_salvage_transplant():
    # Relapse 13 months after the first ASCT: Myeloma X showed benefit only for relapse >= 18 months after it,
    # so salvage ASCT carries the early-relapse caution and ranks below standard second-line triplets.
    plan = plan_for(early_relapse_after_asct())
    salvage = options(plan)["salvage-ASCT"]
    assert any("less than 18 months after the first autologous transplant" in c for c in salvage.cautions)
    for rid in ("DRd", "DKd", "KRd"):
        assert rank(plan, rid) < salvage.rank, rid


# ---------------------------------------------------------------------------------------------------------
# 10. Primary refractory, plasma cell leukaemia


def test_primary_refractory_switches_classes():
    # Never a minimal response on VRd, progression on it: primary refractory, bortezomib- and
    # lenalidomide-refractory. Bortezomib and lenalidomide regimens are excluded; carfilzomib with an
    # anti-CD38 antibody (DKd, IsaKd), DPd (US: >=1 prior line incl. lenalidomide and a PI) and cilta-cel
    # (lenalidomide-refractory after a PI and an IMiD) are options; Pd needs >= 2 prior therapies.
    plan = plan_for(primary_refractory())
    assert plan.disease.status.value == "primary_refractory"
    for rid in LENALIDOMIDE_REGIMENS | {"DVd", "SVd", "PVd"}:
        assert rid in excluded(plan), rid
    assert {"DKd", "IsaKd", "DPd", "cilta-cel"} <= set(options(plan))
    assert "needs >= 2 prior lines (patient: 1)" in why_excluded(plan, "Pd")


def test_plasma_cell_leukaemia_makes_infusional_chemotherapy_an_option():
    # Plasma cell leukaemia needs rapid cytoreduction: DCEP and DT-PACE become options (off-label, cautioned).
    plan = plan_for(
        lenalidomide_maintenance_relapse(), diagnosis={"date": "2019-01-20", "plasma_cell_leukemia": True}
    )
    for rid in ("DCEP", "DT-PACE"):
        assert rid in options(plan), rid
        assert any("not approved for this use in the US" in c for c in options(plan)[rid].cautions), rid


@pytest.mark.parametrize(
    ("diagnosis", "reason"),
    [
        (
            {"date": "2019-01-20", "plasma_cell_leukemia": False, "extramedullary_disease": False},
            "plasma cell leukemia: no",
        ),
        ({"date": "2019-01-20"}, "plasma cell leukemia not recorded"),
    ],
    ids=["no-pcl", "not-recorded"],
)
def test_without_plasma_cell_leukaemia_infusional_chemotherapy_is_excluded(diagnosis, reason):
    # Stated absent (neither leukaemia nor extramedullary disease): excluded. Not recorded: unknown is not
    # absent, yet the requirement must hold, so it is excluded too, naming what is missing.
    plan = plan_for(lenalidomide_maintenance_relapse(), diagnosis=diagnosis)
    for rid in ("DCEP", "DT-PACE"):
        assert reason in why_excluded(plan, rid), rid


# ---------------------------------------------------------------------------------------------------------
# 11. US vs EU


def test_bpd_approved_in_the_eu_not_in_the_us():
    # Belantamab-pomalidomide-dexamethasone: EU authorisation (>= 1 prior therapy, July 2025); the FDA did not
    # approve the pomalidomide combination (October 2025).
    fields = lenalidomide_maintenance_relapse()
    assert "US: not approved" in why_excluded(plan_for(fields, "us"), "BPd")
    eu = options(plan_for(fields, "eu"))
    assert "BPd" in eu and any("within the EU label indication" in r for r in eu["BPd"].rationale)


def test_bvd_after_one_line_eu_label_not_us_label():
    # BVd: EU >= 1 prior therapy; US >= 2 prior lines including a PI and an IMiD.
    fields = lenalidomide_maintenance_relapse()
    assert "needs >= 2 prior lines (patient: 1)" in why_excluded(plan_for(fields, "us"), "BVd")
    assert "BVd" in options(plan_for(fields, "eu"))


def test_teclistamab_after_three_prior_lines_eu_label_not_us_label():
    # Teclistamab monotherapy: EU >= 3 prior therapies incl. IMiD, PI, anti-CD38; US >= 4 prior lines.
    # In the EU the BCMA-naive patient is eligible for both cilta-cel and teclistamab: cilta-cel ranks above.
    fields = three_prior_lines()
    us = plan_for(fields, "us")
    assert "needs >= 4 prior lines (patient: 3)" in why_excluded(us, "Tec")
    eu = plan_for(fields, "eu")
    assert any("within the EU label indication (3 prior lines)" in r for r in options(eu)["Tec"].rationale)
    assert rank(eu, "cilta-cel") < rank(eu, "Tec")


def test_dpd_at_lenalidomide_sensitive_first_relapse_us_label_not_eu_label():
    # DPd after one prior line incl. lenalidomide and a PI: the US SC label covers it; the EU label needs
    # lenalidomide refractoriness after one prior therapy (or >= 2 prior therapies). This patient relapsed off
    # therapy, so DPd is an option in the US and excluded in the EU.
    fields = late_relapse_after_asct()
    assert "DPd" in options(plan_for(fields, "us"))
    assert "not refractory to lenalidomide" in why_excluded(plan_for(fields, "eu"), "DPd")


def test_pd_eu_label_needs_bortezomib():
    # Imnovid with dexamethasone (EU SmPC 4.1): >= 2 prior regimens including both lenalidomide and
    # bortezomib. After KRd and DKd (carfilzomib only), Pd is outside the EU label.
    plan = plan_for(carfilzomib_only_two_lines(), "eu")
    assert "not exposed to bortezomib" in why_excluded(plan, "Pd")


def test_pd_us_label_accepts_any_proteasome_inhibitor():
    # Two prior lines incl. lenalidomide and carfilzomib, progression on the last: within the POMALYST US
    # label.
    plan = plan_for(carfilzomib_only_two_lines(), "us")
    assert "Pd" in options(plan)


@pytest.mark.parametrize(
    "regimen_id",
    [
        # NEXPOVIO SmPC 4.1 with dexamethasone: >= 4 prior therapies, refractory to 2 PIs, 2 IMiDs, anti-CD38
        "Sd",
        # Empliciti EU (2019) with Pd: >= 2 prior therapies including lenalidomide and a PI
        "EloPd",
        # Farydak SmPC 4.1 (EU): >= 2 prior regimens including bortezomib and an immunomodulatory agent
        "PanoVd",
    ],
)
def test_regimens_labelled_for_later_lines_are_not_options_after_one_line_in_the_eu(regimen_id):
    # One prior line (VRd-ASCT-R, lenalidomide-refractory), EU: each of these EU indications needs more prior
    # therapies, so the regimen must not be offered.
    plan = plan_for(lenalidomide_maintenance_relapse(), "eu")
    assert regimen_id in excluded(plan)


def test_melflufen_eu_label_time_from_transplant():
    # Pepaxti (EU): >= 3 prior lines, refractory to a PI, an IMiD and an anti-CD38 antibody; after ASCT the
    # time to progression must be >= 3 years. Progression 25 months after ASCT excludes it; the same history
    # without a transplant is within the label. Withdrawn in the US.
    transplanted = plan_for(triple_class_refractory(), "eu")
    assert "progression 25 months after the transplant" in why_excluded(transplanted, "melflufen")
    never_transplanted = plan_for(triple_class_refractory(transplant=False), "eu")
    assert any(
        "within the EU label indication" in r for r in options(never_transplanted)["melflufen"].rationale
    )
    assert "US: withdrawn" in why_excluded(plan_for(triple_class_refractory(), "us"), "melflufen")


# ---------------------------------------------------------------------------------------------------------
# 12. Preferences


def test_patient_declines_cell_therapy():
    # Both BCMA CAR-T products are excluded for that reason; the bispecifics stay.
    plan = plan_for(triple_class_refractory(), preferences={"declines_cell_therapy": True})
    for rid in ("cilta-cel", "ide-cel"):
        assert "patient declines cell therapy" in why_excluded(plan, rid), rid
    assert {"Tec", "Elra", "Tal", "Linvo"} <= set(options(plan))


def test_patient_prefers_oral_therapy_only():
    # Bortezomib-refractory, lenalidomide-naive: the all-oral IRd (ixazomib, lenalidomide, dexamethasone) is
    # the one oral regimen; anything with an IV or SC drug, CAR-T or transplant is excluded for that reason.
    plan = plan_for(bortezomib_refractory(), preferences={"oral_only": True})
    assert "IRd" in options(plan)
    for o in plan.options:
        assert o.id in ("IRd", "clinical-trial"), o.id
    assert "daratumumab is not oral" in why_excluded(plan, "DRd")
    assert "carfilzomib is not oral" in why_excluded(plan, "KRd")


# ---------------------------------------------------------------------------------------------------------
# 13. Every plan: ranks 1..n, every exclusion with its reasons, every option with its rationale

ALL_PATIENTS = {
    "lenalidomide-maintenance-relapse": lenalidomide_maintenance_relapse,
    "bortezomib-refractory": bortezomib_refractory,
    "drd-first-line": drd_first_line,
    "dvrd-dr-maintenance": dvrd_asct_dr_maintenance,
    "triple-class-refractory": triple_class_refractory,
    "penta-refractory": penta_refractory,
    "after-cilta-cel": after_cilta_cel,
    "three-prior-lines": three_prior_lines,
    "vcd-relapse": vcd_relapse_off_therapy,
    "late-relapse": late_relapse_after_asct,
    "early-relapse": early_relapse_after_asct,
    "primary-refractory": primary_refractory,
    "carfilzomib-only": carfilzomib_only_two_lines,
}


@pytest.mark.parametrize("jurisdiction", ["us", "eu"])
@pytest.mark.parametrize("patient", sorted(ALL_PATIENTS))
def test_every_plan_is_ranked_1_to_n_and_explains_itself(patient, jurisdiction):
    plan = plan_for(ALL_PATIENTS[patient](), jurisdiction)
    assert [o.rank for o in plan.options] == list(range(1, len(plan.options) + 1))
    ids = [o.id for o in plan.options] + [n.id for n in plan.not_recommended]
    assert len(ids) == len(set(ids))
    for n in plan.not_recommended:
        assert n.reasons and all(r.strip() for r in n.reasons), n.id
    for o in plan.options:
        assert o.rationale, o.id
