"""Lines of therapy (IMWG, Rajkumar et al., Blood 2011) with the real-world episode rules, and per-line
refractoriness (progression on therapy or within 60 days of the last dose, or less than MR)."""

from __future__ import annotations

import datetime as dt

from builders import course, make_record, regimen, serum
from rrmm.clinical.lines import lines_of_therapy
from rrmm.clinical.refractoriness import disease_status, refractoriness

D = dt.date


def vrd_asct_len(progression: str | None = "2023-03-01", **extra):
    """VRd induction, melphalan 200 + ASCT, lenalidomide maintenance: one planned line (IMWG example)."""
    therapies = [
        *regimen(
            ["bortezomib", "lenalidomide", "dexamethasone"],
            "2019-02-01",
            "2019-06-15",
            stop_reason="completed",
        ),
        course("melphalan", "2019-07-30", "2019-07-30", setting="conditioning"),
        course(
            "lenalidomide",
            "2019-10-15",
            progression and "2023-02-20",
            setting="maintenance",
            stop_reason=progression and "progression",
        ),
    ]
    events = [{"date": progression, "type": "progression"}] if progression else []
    return dict(
        therapies=therapies,
        transplants=[{"date": "2019-08-01", "type": "autologous"}],
        events=events,
        **extra,
    )


def test_induction_transplant_and_maintenance_are_one_line():
    lines = lines_of_therapy(make_record(**vrd_asct_len(progression=None)))
    assert len(lines) == 1
    (line,) = lines
    assert line.includes_transplant
    assert line.drugs == ("bortezomib", "dexamethasone", "lenalidomide", "melphalan")
    assert line.end is None  # maintenance ongoing


def test_maintenance_without_its_setting_joins_within_180_days():
    rec = vrd_asct_len(progression=None)
    rec["therapies"][-1] = course("lenalidomide", "2020-01-20")  # 173 days after ASCT, no setting recorded
    assert len(lines_of_therapy(make_record(**rec))) == 1


def test_single_agent_after_180_days_is_a_new_line():
    rec = vrd_asct_len(progression=None)
    rec["therapies"][-1] = course("lenalidomide", "2020-02-15")  # 198 days after ASCT
    assert len(lines_of_therapy(make_record(**rec))) == 2


def test_progression_on_maintenance_makes_lenalidomide_refractory_and_next_regimen_line_two():
    rec = vrd_asct_len()
    rec["therapies"] += regimen(["daratumumab", "pomalidomide", "dexamethasone"], "2023-03-10")
    lines = lines_of_therapy(make_record(**rec))
    assert [line.number for line in lines] == [1, 2]
    assert lines[0].ended_by == "progression"
    assert lines[0].refractory_drugs == ("lenalidomide",)  # bortezomib stopped 3 years before: not refractory
    assert lines[1].drugs == ("daratumumab", "dexamethasone", "pomalidomide")


def test_corticosteroids_alone_never_make_a_line():
    rec = make_record(
        therapies=[
            *regimen(["daratumumab", "lenalidomide", "dexamethasone"], "2019-02-01", "2020-06-01"),
            course("dexamethasone", "2021-05-01", "2021-06-01"),
        ]
    )
    lines = lines_of_therapy(rec)
    assert len(lines) == 1
    assert refractoriness(lines).exposed_drugs == ("daratumumab", "lenalidomide")


def test_a_drug_added_after_the_30_day_window_starts_a_new_line():
    therapies = [
        *regimen(["lenalidomide", "dexamethasone"], "2019-02-01"),
        course("daratumumab", "2019-03-05"),
    ]
    lines = lines_of_therapy(make_record(therapies=therapies))
    assert len(lines) == 2
    # lenalidomide and dexamethasone run on: they are part of the new line (DRd) too
    assert lines[1].drugs == ("daratumumab", "dexamethasone", "lenalidomide")
    assert lines[0].end == D(2019, 3, 5)


def test_a_drug_started_within_the_window_belongs_to_the_regimen():
    therapies = [
        *regimen(["lenalidomide", "dexamethasone"], "2019-02-01"),
        course("daratumumab", "2019-03-03"),
    ]
    assert len(lines_of_therapy(make_record(therapies=therapies))) == 1


def test_a_restart_after_more_than_90_days_off_is_a_new_line():
    therapies = [
        *regimen(["carfilzomib", "dexamethasone"], "2019-02-01", "2019-08-01"),
        *regimen(["carfilzomib", "dexamethasone"], "2019-11-15", "2020-02-01"),
    ]
    assert len(lines_of_therapy(make_record(therapies=therapies))) == 2


def test_a_restart_within_90_days_continues_the_line():
    therapies = [
        *regimen(["carfilzomib", "dexamethasone"], "2019-02-01", "2019-08-01"),
        *regimen(["carfilzomib", "dexamethasone"], "2019-10-01", "2020-02-01"),
    ]
    assert len(lines_of_therapy(make_record(therapies=therapies))) == 1


def test_bridging_and_car_t_are_one_line():
    therapies = [
        *regimen(
            ["daratumumab", "pomalidomide", "dexamethasone"],
            "2021-01-01",
            "2022-01-10",
            stop_reason="progression",
        ),
        *regimen(["carfilzomib", "dexamethasone"], "2022-02-01", "2022-03-20", setting="bridging"),
        course("fludarabine", "2022-04-01", "2022-04-03", setting="conditioning"),
        course("cyclophosphamide", "2022-04-01", "2022-04-03", setting="conditioning"),
        course("cilta-cel", "2022-04-06", "2022-04-06"),
    ]
    lines = lines_of_therapy(make_record(therapies=therapies))
    assert len(lines) == 2
    assert lines[1].includes_car_t
    assert lines[1].drugs == ("carfilzomib", "ciltacabtagene autoleucel", "dexamethasone")
    assert "cyclophosphamide" not in refractoriness(lines).exposed_drugs  # lymphodepletion is not an exposure


def test_lymphodepletion_awaiting_infusion_joins_the_bridging_line():
    therapies = [
        *regimen(
            ["daratumumab", "pomalidomide", "dexamethasone"],
            "2021-01-01",
            "2022-01-10",
            stop_reason="progression",
        ),
        *regimen(["carfilzomib", "dexamethasone"], "2022-02-01", "2022-03-20", setting="bridging"),
        *regimen(["fludarabine", "cyclophosphamide"], "2022-04-01", "2022-04-03", setting="conditioning"),
    ]
    lines = lines_of_therapy(make_record(therapies=therapies, as_of="2022-04-04"))
    assert len(lines) == 2
    assert lines[1].drugs == ("carfilzomib", "cyclophosphamide", "dexamethasone", "fludarabine")


def test_car_t_without_bridging_is_its_own_line():
    therapies = [
        *regimen(
            ["daratumumab", "pomalidomide", "dexamethasone"],
            "2021-01-01",
            "2022-01-10",
            stop_reason="progression",
        ),
        course("ide-cel", "2022-03-06", "2022-03-06"),
    ]
    assert len(lines_of_therapy(make_record(therapies=therapies))) == 2


def test_tandem_transplants_are_one_line():
    therapies = [
        *regimen(["bortezomib", "thalidomide", "dexamethasone"], "2019-02-01", "2019-06-01"),
        course("melphalan", "2019-07-01", "2019-07-01"),
        course("melphalan", "2019-10-01", "2019-10-01"),
    ]
    transplants = [{"date": "2019-07-03", "type": "autologous"}, {"date": "2019-10-03", "type": "autologous"}]
    lines = lines_of_therapy(make_record(therapies=therapies, transplants=transplants))
    assert len(lines) == 1 and lines[0].transplant_dates == (D(2019, 7, 3), D(2019, 10, 3))


def test_no_maintenance_join_across_a_progression():
    therapies = [
        *regimen(["bortezomib", "lenalidomide", "dexamethasone"], "2019-02-01", "2019-06-15"),
        course("lenalidomide", "2019-09-01"),
    ]
    events = [{"date": "2019-08-15", "type": "progression"}]
    assert len(lines_of_therapy(make_record(therapies=therapies, events=events))) == 2


class TestSixtyDayBoundary:
    """Refractory when progression comes within 60 days of the last dose (IMWG); day 61 is a relapse."""

    def lines_with_progression_on(self, day: str):
        therapies = regimen(["carfilzomib", "dexamethasone"], "2019-02-01", "2019-08-01")
        return lines_of_therapy(
            make_record(therapies=therapies, events=[{"date": day, "type": "progression"}])
        )

    def test_day_60_is_refractory(self):
        (line,) = self.lines_with_progression_on("2019-09-30")  # 60 days after 2019-08-01
        assert line.refractory_drugs == ("carfilzomib",)
        assert line.ended_by == "progression"

    def test_day_61_is_not(self):
        (line,) = self.lines_with_progression_on("2019-10-01")
        assert line.refractory_drugs == ()


def test_less_than_minimal_response_is_refractory():
    # Nonresponsive: "failing to achieve minimal response" while on therapy. Serum 3.0 -> 2.6 g/dL (13%): SD.
    labs = serum([("2019-01-25", 3.0), ("2019-03-01", 2.7), ("2019-04-01", 2.6), ("2019-05-01", 2.6)])
    therapies = regimen(["ixazomib", "lenalidomide", "dexamethasone"], "2019-02-01", "2019-05-15")
    (line,) = lines_of_therapy(make_record(therapies=therapies, labs=labs))
    assert line.best_response == "SD"
    assert line.refractory_drugs == ("ixazomib", "lenalidomide")


def test_stop_for_progression_is_a_recorded_progression():
    therapies = regimen(
        ["carfilzomib", "dexamethasone"], "2019-02-01", "2019-08-01", stop_reason="progression"
    )
    (line,) = lines_of_therapy(make_record(therapies=therapies))
    assert line.refractory_drugs == ("carfilzomib",)


def test_primary_refractory_when_no_line_reached_minimal_response():
    labs = serum(
        [
            ("2019-01-25", 3.0),
            ("2019-03-01", 2.9),
            ("2019-04-01", 3.0),
            ("2019-06-01", 3.1),
            ("2019-07-01", 3.0),
        ]
    )
    therapies = [
        *regimen(
            ["bortezomib", "lenalidomide", "dexamethasone"],
            "2019-02-01",
            "2019-04-20",
            stop_reason="progression",
        ),
        *regimen(["daratumumab", "carfilzomib", "dexamethasone"], "2019-05-01"),
    ]
    lines = lines_of_therapy(make_record(therapies=therapies, labs=labs))
    # line 1: 3.0 -> 2.9 -> 3.0 g/dL is stable disease (SD), then progression; line 2 stays SD
    assert [line.best_response for line in lines] == ["SD", "SD"]
    assert disease_status(lines).value == "primary_refractory"


def test_triple_class_and_penta_refractory():
    therapies = []
    day = D(2018, 1, 1)
    for drugs in (
        ["bortezomib", "lenalidomide", "dexamethasone"],
        ["daratumumab", "pomalidomide", "dexamethasone"],
        ["carfilzomib", "dexamethasone"],
    ):
        end = day + dt.timedelta(days=300)
        therapies += regimen(drugs, day.isoformat(), end.isoformat(), stop_reason="progression")
        day = end + dt.timedelta(days=10)
    r = refractoriness(lines_of_therapy(make_record(therapies=therapies)))
    assert r.triple_class_refractory and r.penta_refractory
    assert r.refractory_classes == ("IMiD", "PI", "anti-CD38")
    assert not r.prior_bcma


def test_relapse_off_therapy_is_relapsed_not_refractory():
    # 3.0 -> 0.25 g/dL is a 92% reduction: VGPR (>= 90%), confirmed on 2019-05-01
    labs = serum(
        [
            ("2019-01-25", 3.0),
            ("2019-03-01", 1.0),
            ("2019-04-01", 0.25),
            ("2019-05-01", 0.2),
            ("2021-03-01", 1.2),
            ("2021-04-01", 1.5),
        ]
    )
    therapies = regimen(
        ["daratumumab", "lenalidomide", "dexamethasone"], "2019-02-01", "2019-09-01", stop_reason="completed"
    )
    lines = lines_of_therapy(make_record(therapies=therapies, labs=labs))
    (line,) = lines
    assert line.best_response == "VGPR"
    assert line.progression is not None and line.progression.date == D(2021, 3, 1)
    assert line.refractory_drugs == ()
    assert line.ended_by == "completed"
    assert disease_status(lines).value == "relapsed"
