"""The planner's test fixture knowledge base (shapes of real files; figures are not clinical facts)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from rrmm.knowledge import KnowledgeBase, load_knowledge_base

FIXTURE = Path(__file__).parent / "fixture_kb"


@cache
def fixture_kb() -> KnowledgeBase:
    return load_knowledge_base(FIXTURE)
