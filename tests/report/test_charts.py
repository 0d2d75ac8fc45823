"""Charts: valid SVG with titles and axis titles, one bar per line, the right marks, and no-data charts."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable

from rrmm.planning.plan import Plan
from rrmm.record import Record
from rrmm.report.charts import no_data_svg, swimmer_svg, trajectory_svg

SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # raises on anything that is not well-formed XML
    assert root.tag == f"{SVG}svg"
    return root


def _texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def _marks(root: ET.Element, name: str) -> list[ET.Element]:
    """The drawn items of the named mark layer (Vega gives its group the class ``<name>_marks``)."""
    groups = [g for g in root.iter(f"{SVG}g") if f"{name}_marks" in g.get("class", "").split()]
    assert len(groups) <= 1
    return list(groups[0]) if groups else []


def _title(root: ET.Element) -> str:
    title = root.find(f"{SVG}title")
    assert title is not None and title.text
    assert root.get("role") == "img" and root.get("aria-label") == title.text
    assert root.find(f"{SVG}desc") is not None
    return title.text


def test_swimmer_one_bar_per_line_triple_class_refractory(tcr: tuple[Record, Plan]) -> None:
    record, plan = tcr
    root = _parse(swimmer_svg(plan, record))
    assert plan.disease.lines_of_therapy == 3  # the example's three lines (VRd+ASCT+R, DKd, EloPd)
    bars = _marks(root, "line_bars")
    assert len(bars) == len(plan.disease.lines) == 3
    labels = [b.get("aria-label", "") for b in bars]
    for line in plan.disease.lines:
        assert sum(f"Line {line.number};" in lab or f"Line {line.number}" in lab for lab in labels) >= 1


def test_swimmer_bar_count_follows_the_plan(tcr: tuple[Record, Plan]) -> None:
    record, plan = tcr
    fewer = plan.model_copy(
        update={"disease": plan.disease.model_copy(update={"lines": plan.disease.lines[:2]})}
    )
    assert len(_marks(_parse(swimmer_svg(fewer, record)), "line_bars")) == 2


def test_swimmer_labels_titles_and_marks(tcr: tuple[Record, Plan]) -> None:
    record, plan = tcr
    root = _parse(swimmer_svg(plan, record))
    assert _title(root) == "Lines of therapy"
    texts = _texts(root)
    assert "Lines of therapy" in texts
    assert "Date" in texts and "Line of therapy" in texts  # axis titles
    for line in plan.disease.lines:
        assert f"Line {line.number}" in texts
        assert any(t.startswith(", ".join(line.drugs)) for t in texts), line.drugs
        assert f"best: {line.best_response}" in texts
    # line 1 has the transplant; every line ended by progression: 3 progressions + 1 transplant
    events = [e.get("aria-label", "") for e in _marks(root, "line_events")]
    assert sum("progression" in e for e in events) == 3
    assert sum("transplant" in e for e in events) == len(record.transplants) == 1
    assert "bortezomib, dexamethasone, lenalidomide, melphalan + transplant" in texts


def test_swimmer_marks_car_t(load: Callable[[str], tuple[Record, Plan]]) -> None:
    record, plan = load("penta-refractory-after-car-t")
    root = _parse(swimmer_svg(plan, record))
    events = [e.get("aria-label", "") for e in _marks(root, "line_events")]
    assert sum("CAR-T infusion" in e for e in events) == 1
    car_t_line = next(ln for ln in plan.disease.lines if ln.includes_car_t)
    assert any(f"Line {car_t_line.number}" in e and "CAR-T" in e for e in events)


def test_charts_of_every_example_are_valid_svg(example: tuple[Record, Plan]) -> None:
    record, plan = example
    swimmer = _parse(swimmer_svg(plan, record))
    assert len(_marks(swimmer, "line_bars")) == len(plan.disease.lines)
    trajectory = _parse(trajectory_svg(record, plan))
    assert _title(trajectory) == "Disease markers over time"
    assert "Serum M-protein (g/dL)" in _texts(trajectory)


def test_trajectory_panels_axes_and_events(tcr: tuple[Record, Plan]) -> None:
    record, plan = tcr
    root = _parse(trajectory_svg(record, plan))
    texts = _texts(root)
    assert "Disease markers over time" in texts
    assert "Serum M-protein (g/dL)" in texts
    assert "Involved FLC, kappa (mg/L)" in texts  # diagnosis.light_chain is kappa
    assert "Date" in texts
    for line in plan.disease.lines:
        assert f"L{line.number}" in texts  # the shaded span of each line
    serum = [lab for lab in record.labs if lab.test == "m_protein_serum"]

    def layer(name: str) -> list[ET.Element]:
        pattern = re.compile(rf"\b{name}_\d+_marks\b")  # Vega-Lite numbers the layer in each panel
        return [g for g in root.iter(f"{SVG}g") if pattern.search(g.get("class", ""))]

    assert len(layer("marker_series")) == 2  # one line per panel
    serum_points, flc_points = layer("marker_points")
    assert len(list(serum_points)) == len({lab.date for lab in serum}) > 20
    kappa = {lab.date for lab in record.labs if lab.test == "flc_kappa"}
    lam = {lab.date for lab in record.labs if lab.test == "flc_lambda"}
    assert len(list(flc_points)) == len(kappa & lam) == 3
    progressions = [ln.progression_date for ln in plan.disease.lines if ln.progression_date]
    assert texts.count("PD") == len(progressions) == 3  # labelled once, in the top panel


def test_trajectory_marks_response_assessments(load: Callable[[str], tuple[Record, Plan]]) -> None:
    record, plan = load("primary-refractory")
    texts = _texts(_parse(trajectory_svg(record, plan)))
    assessed = [e.response for e in record.events if e.type == "response_assessment"]
    assert assessed == ["SD"]
    assert "SD" in texts
    assert "Involved FLC, lambda (mg/L)" in texts


def test_no_labs_gives_a_no_data_chart(tcr: tuple[Record, Plan]) -> None:
    record, plan = tcr
    bare = record.model_copy(update={"labs": ()})
    root = _parse(trajectory_svg(bare, plan))
    assert _title(root) == "Disease markers over time"
    assert any("No serum M-protein or free light chain results" in t for t in _texts(root))
    assert _marks(root, "marker_series") == []


def test_no_lines_gives_a_no_data_chart(tcr: tuple[Record, Plan]) -> None:
    record, plan = tcr
    empty = plan.model_copy(update={"disease": plan.disease.model_copy(update={"lines": []})})
    root = _parse(swimmer_svg(empty, record))
    assert any("No myeloma therapy in the record" in t for t in _texts(root))


def test_no_data_svg_escapes_text() -> None:
    root = _parse(no_data_svg("A <b> & title", "nothing & <none>"))
    assert _title(root) == "A <b> & title"


def test_ids_are_unique_across_charts(tcr: tuple[Record, Plan]) -> None:
    record, plan = tcr
    svgs = [swimmer_svg(plan, record), trajectory_svg(record, plan)]
    ids = [i for s in svgs for i in re.findall(r'\bid="([^"]+)"', s)]
    assert len(ids) == len(set(ids))
    for s in svgs:
        for ref in re.findall(r"url\(#([^)]+)\)", s):
            assert f'id="{ref}"' in s
