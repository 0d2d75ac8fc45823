"""The REST API: authentication, roles, validation errors with the field path, audit of every read and
write, saved plans keeping their knowledge-base version, FHIR in and out, reports."""

from __future__ import annotations

import json

import pytest

from api.support import EXAMPLES, PASSWORD
from rrmm.db import ROLES

RECORD = json.loads((EXAMPLES / "len-refractory-after-one-line.json").read_text())
PID = RECORD["id"]


def create(client, headers, body=None):
    return client.post("/v1/patients", json=body or RECORD, headers=headers)


class TestAuthentication:
    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("get", "/v1/patients"),
            ("post", "/v1/patients"),
            ("get", f"/v1/patients/{PID}"),
            ("get", f"/v1/patients/{PID}/plan"),
            ("delete", f"/v1/patients/{PID}"),
            ("get", "/v1/audit"),
            ("post", "/cds-services/rrmm-patient-view"),
        ],
    )
    def test_unauthenticated_requests_get_nothing(self, client, method, path):
        response = client.request(method, path, json={} if method == "post" else None)
        assert response.status_code == 401
        assert PID not in response.text and "lenalidomide" not in response.text

    def test_a_bad_token_is_refused(self, client):
        assert client.get("/v1/patients", headers={"Authorization": "Bearer nope"}).status_code == 401

    def test_password_gives_a_working_token(self, client):
        response = client.post("/v1/auth/token", json={"username": "nurse", "password": PASSWORD})
        assert response.status_code == 200
        token = response.json()["access_token"]
        assert client.get("/v1/patients", headers={"Authorization": f"Bearer {token}"}).status_code == 200

    def test_wrong_password_is_refused(self, client):
        assert (
            client.post("/v1/auth/token", json={"username": "nurse", "password": "x" * 12}).status_code == 401
        )


class TestPatients:
    def test_create_read_update_delete(self, client, tokens):
        h = tokens["hematologist"]
        assert create(client, h).status_code == 201
        assert client.get(f"/v1/patients/{PID}", headers=h).json()["id"] == PID
        changed = dict(RECORD, weight_kg=71.5)
        assert client.put(f"/v1/patients/{PID}", json=changed, headers=h).status_code == 200
        assert client.get(f"/v1/patients/{PID}", headers=h).json()["weight_kg"] == 71.5
        assert client.delete(f"/v1/patients/{PID}", headers=h).status_code == 204
        assert client.get(f"/v1/patients/{PID}", headers=h).status_code == 404

    def test_duplicate_is_a_conflict(self, client, tokens):
        create(client, tokens["hematologist"])
        assert create(client, tokens["hematologist"]).status_code == 409

    def test_invalid_record_is_422_naming_the_field_and_nothing_is_stored(self, client, tokens):
        bad = json.loads(json.dumps(RECORD))
        bad["therapies"][1]["drug"] = "revlimidd"
        response = create(client, tokens["hematologist"], bad)
        assert response.status_code == 422
        (error,) = response.json()["detail"]
        assert error["loc"] == ["therapies[1]", "drug"] and "revlimidd" in error["msg"]
        assert client.get("/v1/patients", headers=tokens["hematologist"]).json() == []

    def test_fhir_bundle_creates_a_patient_with_warnings(self, client, tokens):
        bundle = json.loads((EXAMPLES / "fhir" / "ehr-searchset.json").read_text())
        response = create(client, tokens["pharmacist"], bundle)
        assert response.status_code == 201
        out = response.json()
        assert out["id"] == "pt-8842" and any("obs-glu" in w for w in out["warnings"])

    def test_fhir_error_is_422_naming_the_resource(self, client, tokens):
        bundle = json.loads((EXAMPLES / "fhir" / "transaction-new-patient.json").read_text())
        del bundle["entry"][0]  # no Patient
        response = create(client, tokens["hematologist"], bundle)
        assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["Bundle"]

    def test_search(self, client, tokens):
        create(client, tokens["hematologist"])
        found = client.get("/v1/patients", params={"search": PID[:4]}, headers=tokens["nurse"]).json()
        assert [p["id"] for p in found] == [PID]
        assert client.get("/v1/patients", params={"search": "zzz"}, headers=tokens["nurse"]).json() == []


class TestRoles:
    def test_read_only_cannot_write(self, client, tokens):
        assert create(client, tokens["read-only"]).status_code == 403
        create(client, tokens["hematologist"])
        assert client.delete(f"/v1/patients/{PID}", headers=tokens["read-only"]).status_code == 403
        assert client.get(f"/v1/patients/{PID}", headers=tokens["read-only"]).status_code == 200

    @pytest.mark.parametrize("role", ["pharmacist", "nurse"])
    def test_only_the_hematologist_deletes(self, client, tokens, role):
        create(client, tokens["hematologist"])
        assert client.delete(f"/v1/patients/{PID}", headers=tokens[role]).status_code == 403


class TestPlans:
    def test_plan_matches_the_command_line(self, client, tokens):
        from rrmm.planning import build_plan
        from rrmm.record import record_from_mapping

        create(client, tokens["hematologist"])
        got = client.get(f"/v1/patients/{PID}/plan", headers=tokens["nurse"]).json()
        expected = build_plan(record_from_mapping(RECORD), "us", None).model_dump(mode="json")  # no corpus
        assert got == expected

    def test_saved_plan_keeps_the_knowledge_base_version(self, client, tokens):
        from rrmm.knowledge import knowledge_base

        create(client, tokens["hematologist"])
        saved = client.post(f"/v1/patients/{PID}/plans", headers=tokens["hematologist"])
        assert saved.status_code == 201 and saved.json()["kb_version"] == knowledge_base().info.version
        listed = client.get(f"/v1/patients/{PID}/plans", headers=tokens["read-only"]).json()
        assert [p["id"] for p in listed] == [saved.json()["id"]]

    def test_toxicity_fhir_and_reports(self, client, tokens):
        h = tokens["hematologist"]
        create(client, h)
        assert "actions" in client.get(f"/v1/patients/{PID}/toxicity", headers=h).json()
        assert client.get(f"/v1/patients/{PID}/fhir", headers=h).json()["resourceType"] == "Bundle"
        plan_fhir = client.get(f"/v1/patients/{PID}/plan/fhir", headers=h).json()
        assert any(e["resource"]["resourceType"] == "RequestGroup" for e in plan_fhir["entry"])
        pdf = client.get(f"/v1/patients/{PID}/reports/tumor-board.pdf", headers=h)
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        summary = client.get(f"/v1/patients/{PID}/reports/patient-summary.html", headers=h)
        assert summary.status_code == 200 and "<html" in summary.text.lower()


class TestAudit:
    def test_every_read_and_write_is_audited(self, client, tokens):
        h = tokens["hematologist"]
        create(client, h)
        client.get(f"/v1/patients/{PID}", headers=tokens["nurse"])
        client.get(f"/v1/patients/{PID}/plan", headers=tokens["pharmacist"])
        client.put(f"/v1/patients/{PID}", json=RECORD, headers=h)
        client.delete(f"/v1/patients/{PID}", headers=h)
        log = client.get("/v1/audit", params={"patient_id": PID}, headers=h).json()
        seen = {(e["actor"], e["action"]) for e in log}
        assert {
            ("hematologist", "create"),
            ("nurse", "read"),
            ("pharmacist", "read"),
            ("hematologist", "update"),
            ("hematologist", "delete"),
        } <= seen
        assert all(e["at"] for e in log)

    def test_logs_carry_no_patient_data(self, client, tokens, caplog):
        caplog.set_level("DEBUG")
        create(client, tokens["hematologist"])
        client.get(f"/v1/patients/{PID}/plan", headers=tokens["hematologist"])
        # the test client's own request log (httpx) is the caller's, not the service's
        text = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))
        assert PID not in text and "lenalidomide" not in text and RECORD.get("birth_date", "@@") not in text


def test_openapi_lists_the_v1_routes(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {
        "/v1/patients",
        "/v1/patients/{patient_id}",
        "/v1/patients/{patient_id}/plan",
        "/cds-services",
    } <= set(paths)


def test_every_role_exists():
    assert set(ROLES) == {"hematologist", "pharmacist", "nurse", "read-only"}


def test_access_log_paths_are_redacted():
    import logging

    from rrmm.api.app import RedactPatientIds

    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", f"/v1/patients/{PID}/plan?jurisdiction=us", "1.1", 200),
        None,
    )
    RedactPatientIds().filter(record)
    assert PID not in record.getMessage() and "/v1/patients/*/plan" in record.getMessage()


class TestCdsHooksRoute:
    """CDS Hooks 2.0 over HTTP: discovery, a patient-view call with prefetch, 412 without it, audit."""

    @staticmethod
    def call(patient_id: str, prefetch: dict | None) -> dict:
        body = {
            "hook": "patient-view",
            "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
            "context": {"userId": "Practitioner/example", "patientId": patient_id},
        }
        if prefetch is not None:
            body["prefetch"] = prefetch
        return body

    def test_discovery(self, client):
        services = client.get("/cds-services").json()["services"]
        assert [s["hook"] for s in services] == ["patient-view"] and services[0]["prefetch"]

    def test_patient_view_returns_cards_and_is_audited(self, client, tokens):
        from rrmm.fhir.exporter import record_to_bundle
        from rrmm.record import record_from_mapping

        record = record_from_mapping(RECORD)
        bundle = record_to_bundle(record)
        prefetch = {"patient": bundle["entry"][0]["resource"], "everything": bundle}
        response = client.post(
            "/cds-services/rrmm-patient-view",
            json=self.call(bundle["entry"][0]["resource"]["id"], prefetch),
            headers=tokens["hematologist"],
        )
        assert response.status_code == 200, response.text
        cards = response.json()["cards"]
        assert cards and all(len(c["summary"]) < 140 for c in cards)
        log = client.get("/v1/audit", headers=tokens["hematologist"]).json()
        assert any(e["action"] == "cds-read" and e["actor"] == "hematologist" for e in log)

    def test_without_the_patient_prefetch_is_412(self, client, tokens):
        response = client.post(
            "/cds-services/rrmm-patient-view", json=self.call("p1", None), headers=tokens["nurse"]
        )
        assert response.status_code == 412

    def test_a_malformed_request_is_422(self, client, tokens):
        response = client.post(
            "/cds-services/rrmm-patient-view", json={"hook": "order-sign"}, headers=tokens["nurse"]
        )
        assert response.status_code == 422
