"""An optional language-model reader for criteria the rules cannot structure. Off by default.

When ``RRMM_LLM_BASE_URL`` and ``RRMM_LLM_MODEL`` are set (``RRMM_LLM_API_KEY`` if the endpoint needs one),
criteria left ``unstructured`` by :mod:`rrmm.trials.criteria` are sent, one at a time, to an
OpenAI-compatible ``/chat/completions`` endpoint, which is asked for JSON constraints of
:class:`rrmm.trials.constraints.Constraint`. Its answer is validated like any other input: anything that is
not valid JSON of that schema is discarded and the criterion stays unstructured (unknown). A criterion read
this way is marked ``source="language model"`` so that a match can say so. No patient data is ever sent:
only the trial's criterion text.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import httpx
from pydantic import ValidationError

from rrmm.trials.constraints import Constraint, Criterion, Section

SYSTEM_PROMPT = (
    "You turn one eligibility criterion of a multiple myeloma clinical trial into structured constraints. "
    'Answer with JSON only: {"constraints": [...]} where each item follows this JSON schema: {schema}. '
    "A constraint describes a condition; the section (inclusion or exclusion) is given separately, so do "
    'not negate exclusion criteria. Use kind "unstructured" when the text fits no kind. Never guess numbers '
    "that are not in the text."
)


@dataclass(frozen=True)
class LLMConfig:
    base_url: str
    model: str
    api_key: str | None = None
    timeout_s: float = 30.0

    @staticmethod
    def from_env(env: Mapping[str, str] | None = None) -> LLMConfig | None:
        """The configuration from ``RRMM_LLM_*`` variables, or ``None`` (the reader is off)."""
        env = os.environ if env is None else env
        base, model = env.get("RRMM_LLM_BASE_URL"), env.get("RRMM_LLM_MODEL")
        if not base or not model:
            return None
        return LLMConfig(base.rstrip("/"), model, env.get("RRMM_LLM_API_KEY") or None)


class LLMCriterionReader:
    """Reads criterion text with an OpenAI-compatible chat endpoint; validates every answer."""

    def __init__(self, config: LLMConfig, transport: httpx.BaseTransport | None = None) -> None:
        headers = {"Authorization": f"Bearer {config.api_key}"} if config.api_key else {}
        self._config = config
        self._client = httpx.Client(
            base_url=config.base_url, headers=headers, timeout=config.timeout_s, transport=transport
        )

    def close(self) -> None:
        self._client.close()

    def read(self, text: str, section: Section) -> list[Constraint] | None:
        """Structured constraints for ``text``, or ``None`` when the answer is missing or invalid."""
        schema = json.dumps(Constraint.model_json_schema())
        body = {
            "model": self._config.model,
            "temperature": 0,
            "response_format": {"type": "json_object"},
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT.replace("{schema}", schema)},
                {"role": "user", "content": f"Section: {section}\nCriterion: {text}"},
            ],
        }
        try:
            response = self._client.post("/chat/completions", json=body)
            response.raise_for_status()
            content = response.json()["choices"][0]["message"]["content"]
            items = json.loads(content)["constraints"]
            if not isinstance(items, list) or not items:
                return None
            constraints = [Constraint.model_validate(item) for item in items]
        except (httpx.HTTPError, KeyError, IndexError, TypeError, ValueError, ValidationError):
            return None
        structured = [c for c in constraints if c.kind != "unstructured"]
        return structured or None


def refine(criteria: Iterable[Criterion], reader: LLMCriterionReader | None) -> list[Criterion]:
    """Criteria with the unstructured ones read by the language model where it gives a valid answer."""
    out: list[Criterion] = []
    for c in criteria:
        if reader is None or c.constraint.kind != "unstructured":
            out.append(c)
            continue
        read = reader.read(c.text, c.section)
        if read is None:
            out.append(c)
        else:
            out.extend(
                Criterion(text=c.text, section=c.section, constraint=k, source="language model") for k in read
            )
    return out
