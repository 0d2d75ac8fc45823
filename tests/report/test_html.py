"""The tumor-board page: every option and exclusion of the plan, evidence, escaping, no outside files."""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser

from markupsafe import escape

from rrmm.planning import build_plan
from rrmm.planning.plan import Plan
from rrmm.record import Record, record_from_mapping
from rrmm.report.html import pct, tumor_board_html


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []
        self.in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self.in_style = False

    def handle_data(self, data: str) -> None:
        if not self.in_style:
            self.text.append(data)


def _parse(html: str) -> _Collect:
    c = _Collect()
    c.feed(html)
    return c


def test_every_option_and_every_exclusion_reason(example: tuple[Record, Plan]) -> None:
    record, plan = example
    html = tumor_board_html(plan, record)
    assert plan.options and plan.not_recommended
    for o in plan.options:
        assert str(escape(o.name)) in html, o.name
        for line in (*o.rationale, *o.cautions, *o.dose_adjustments):
            assert str(escape(line)) in html
    for x in plan.not_recommended:
        assert str(escape(x.name)) in html
        for reason in x.reasons:
            assert str(escape(reason)) in html, reason
    for w in plan.warnings:
        assert str(escape(w)) in html


def test_disease_state_with_reasons(tcr: tuple[Record, Plan]) -> None:
    record, plan = tcr
    html = tumor_board_html(plan, record)
    d = plan.disease
    assert "relapsed and refractory" in html
    for reason in (*d.status.reasons, *d.high_risk.reasons, *d.transplant_eligible.reasons, *d.ecog.reasons):
        assert str(escape(reason)) in html
    assert "ISS III, R-ISS III, R2-ISS IV" in html
    assert "CrCl 53.1 mL/min" in html
    assert "exposed: yes; refractory: yes" in html  # triple-class exposed and refractory
    for line in d.lines:
        assert f"<td>{line.number}</td>" in html
        assert ", ".join(line.drugs) in html


def test_evidence_figures_and_links(tcr: tuple[Record, Plan]) -> None:
    record, plan = tcr
    html = tumor_board_html(plan, record)
    cilta = next(o for o in plan.options if o.id == "cilta-cel")
    cartitude4 = next(e for e in cilta.evidence if e.trial == "CARTITUDE-4")
    # the plan's figures for CARTITUDE-4, as shown
    assert (cartitude4.n, cartitude4.orr, cartitude4.hazard_ratio) == (419, 0.846, 0.26)
    assert pct(cartitude4.orr) == "84.6%" and "84.6%" in html and "vs 67.3%" in html
    assert "not reached" in html and "vs 11.8 mo" in html
    assert "<td>0.26</td>" in html and "<td>419</td>" in html
    for o in plan.options:
        for e in o.evidence:
            assert str(escape(e.citation)) in html
            if e.doi:
                assert f'href="https://doi.org/{escape(e.doi)}"' in html
            if e.pmid:
                assert f"https://pubmed.ncbi.nlm.nih.gov/{e.pmid}/" in html


def test_header_footer_and_knowledge_base(tcr: tuple[Record, Plan]) -> None:
    record, plan = tcr
    html = tumor_board_html(plan, record)
    kb = plan.knowledge_base
    assert f"{kb.version} (reviewed {kb.reviewed})" in html
    assert "example-triple-class-refractory" in html and "female" in html
    assert "Decision support, not a decision." in html and "needs clinical judgement" in html
    assert "size: A4" in html


def test_page_is_self_contained(tcr: tuple[Record, Plan]) -> None:
    record, plan = tcr
    html = tumor_board_html(plan, record)
    tags = _parse(html).tags
    assert "script" not in tags and "link" not in tags and "img" not in tags
    assert tags.count("svg") == 2  # the two charts, inline
    assert not re.search(r'\ssrc="', html)


def test_autoescape_of_record_text(load: Callable[[str], tuple[Record, Plan]]) -> None:
    record, _ = load("triple-class-refractory")
    data = record.model_dump(mode="json", exclude_none=True)
    data["id"] = '<script>alert("x")</script>'
    hostile = record_from_mapping(data)
    plan = build_plan(hostile, "us", ())
    html = tumor_board_html(plan, hostile)
    assert "<script" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "script" not in _parse(html).tags


def test_toxicity_and_supportive_care(load: Callable[[str], tuple[Record, Plan]]) -> None:
    record, plan = load("neuropathy")
    html = tumor_board_html(plan, record)
    tox = plan.toxicity
    assert tox.actions
    for a in tox.actions:
        assert str(escape(a.reason)) in html
    for c in (*tox.supportive_care, *plan.supportive_care):
        assert str(escape(c.item)) in html
    for g in tox.grades:
        assert str(escape(g.term)) in html
