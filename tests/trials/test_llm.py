"""The optional language-model reader, against a fake OpenAI-compatible server on loopback."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from rrmm.trials.constraints import Constraint, Criterion
from rrmm.trials.llm import LLMConfig, LLMCriterionReader, refine

ANSWERS: dict[str, str] = {
    # criterion text -> the content the fake model answers with
    "Serum sodium at least 130 mmol/L": json.dumps({"constraints": [{"kind": "unstructured"}]}),
    "Creatinine clearance of 40 mL/min or more by 24-hour urine": json.dumps(
        {"constraints": [{"kind": "lab", "test": "crcl", "min": 40, "unit": "mL/min"}]}
    ),
    "Platelets over seventy-five": "not json at all",
    "ANC at least one": json.dumps(
        {"constraints": [{"kind": "lab", "test": "anc", "min": 1.0, "unit": "cells"}]}
    ),
}


class FakeChat(BaseHTTPRequestHandler):
    requests: ClassVar[list[dict]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeChat.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
        criterion = body["messages"][-1]["content"].split("Criterion: ", 1)[1]
        if criterion == "Server error":
            self.send_response(500)
            self.end_headers()
            return
        payload = {"choices": [{"message": {"role": "assistant", "content": ANSWERS.get(criterion, "{}")}}]}
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:  # keep test output clean
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FakeChat)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    FakeChat.requests = []
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_off_unless_configured():
    assert LLMConfig.from_env({}) is None
    assert LLMConfig.from_env({"RRMM_LLM_BASE_URL": "http://127.0.0.1:1/v1"}) is None
    config = LLMConfig.from_env(
        {"RRMM_LLM_BASE_URL": "http://127.0.0.1:1/v1/", "RRMM_LLM_MODEL": "m", "RRMM_LLM_API_KEY": "k"}
    )
    assert config == LLMConfig("http://127.0.0.1:1/v1", "m", "k")


def test_a_valid_answer_becomes_constraints(server):
    reader = LLMCriterionReader(LLMConfig(server, "test-model", "secret"))
    got = reader.read("Creatinine clearance of 40 mL/min or more by 24-hour urine", "inclusion")
    assert got == [Constraint(kind="lab", test="crcl", min=40, unit="mL/min")]
    sent = FakeChat.requests[-1]
    assert sent["path"] == "/v1/chat/completions" and sent["auth"] == "Bearer secret"
    assert sent["body"]["model"] == "test-model" and sent["body"]["temperature"] == 0


@pytest.mark.parametrize(
    "text",
    [
        "Platelets over seventy-five",
        "ANC at least one",
        "Serum sodium at least 130 mmol/L",
        "Server error",
        "?",
    ],
)
def test_invalid_or_empty_answers_leave_the_criterion_unknown(server, text):
    # not JSON; JSON that breaks the schema (unit "cells"); only "unstructured"; HTTP 500; empty object
    assert LLMCriterionReader(LLMConfig(server, "m")).read(text, "inclusion") is None


def test_refine_replaces_only_unstructured_criteria(server):
    reader = LLMCriterionReader(LLMConfig(server, "m"))
    rules = Criterion(
        text="ECOG 0-2",
        section="inclusion",
        constraint=Constraint(kind="performance_status", scale="ecog", max=2),
    )
    vague = Criterion(
        text="Creatinine clearance of 40 mL/min or more by 24-hour urine",
        section="inclusion",
        constraint=Constraint(kind="unstructured"),
    )
    broken = Criterion(
        text="Platelets over seventy-five", section="inclusion", constraint=Constraint(kind="unstructured")
    )
    out = refine([rules, vague, broken], reader)
    assert out[0] == rules
    assert out[1].constraint.kind == "lab" and out[1].source == "language model"
    assert out[2] == broken
    assert len(FakeChat.requests) == 2  # the structured criterion was never sent


def test_unreachable_endpoint_is_not_an_error():
    reader = LLMCriterionReader(LLMConfig("http://127.0.0.1:9/v1", "m", timeout_s=0.5))
    assert reader.read("anything", "exclusion") is None
