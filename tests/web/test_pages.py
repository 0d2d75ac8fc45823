"""The web app without a browser: login and CSRF, redirects for anonymous users, the essentials form, role
views and refusals."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from api.support import EXAMPLES, PASSWORD
from rrmm.web.routes import VIEWS, essentials_record


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(client: TestClient, user: str) -> None:
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"username": user, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 200 and response.url.path == "/patients"


def test_anonymous_user_is_sent_to_login(client):
    response = client.get("/patients/anything", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_login_without_the_form_token_is_refused(client):
    client.get("/login")
    response = client.post("/login", data={"username": "nurse", "password": PASSWORD, "csrf_token": "forged"})
    assert response.status_code == 403


def test_wrong_password_shows_an_error(client):
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"username": "nurse", "password": "x" * 12, "csrf_token": token})
    assert "Wrong username or password" in response.text


def test_a_post_without_the_session_csrf_token_is_refused(client):
    login(client, "hematologist")
    response = client.post("/import", data={"csrf_token": "forged", "id": "x"})
    assert response.status_code == 403


def test_essentials_form_creates_a_patient(client):
    login(client, "nurse")
    token = csrf_of(client.get("/import").text)
    form = {
        "csrf_token": token,
        "id": "form-1",
        "sex": "female",
        "age": "71",
        "diagnosis_date": "2020-02-01",
        "as_of": "2024-01-10",
        "drug_0": "Revlimid",
        "start_0": "2020-03-01",
        "end_0": "2023-11-01",
        "stop_0": "progression",
    }
    response = client.post("/import", data=form)
    assert response.url.path == "/patients/form-1"
    assert "lenalidomide" in response.text  # the brand name resolved to its INN


def test_invalid_essentials_say_which_field_and_store_nothing(client):
    login(client, "nurse")
    token = csrf_of(client.get("/import").text)
    response = client.post(
        "/import",
        data={"csrf_token": token, "id": "bad-1", "sex": "male", "age": "70", "diagnosis_date": "2020-02-30"},
    )
    assert response.status_code == 422 and "diagnosis" in response.text
    assert "bad-1" not in client.get("/patients").text


@pytest.mark.parametrize("role", ["hematologist", "pharmacist", "nurse"])
def test_each_role_sees_its_sections_first(client, role):
    login(client, "hematologist")
    token = csrf_of(client.get("/import").text)
    client.post(
        "/import",
        data={"csrf_token": token},
        files={"file": ("r.json", (EXAMPLES / "neuropathy.json").read_bytes(), "application/json")},
    )
    page = client.get("/patients", params={}).text
    patient_id = re.search(r'href="/patients/([^"]+)"', page).group(1)
    html = client.get(f"/patients/{patient_id}", params={"view": role}).text
    order = [m for m in re.findall(r'<h2 id="([a-z]+)"', html) if m in VIEWS[role]]
    assert order == [s for s in VIEWS[role] if s in order]


def test_read_only_user_gets_no_delete_button_and_cannot_delete(client, repo):
    from rrmm.db import UserInfo
    from rrmm.record import record_from_json

    record = record_from_json((EXAMPLES / "t11-14.json").read_bytes())
    repo.create_patient(record, UserInfo("hematologist", "hematologist"))
    login(client, "read-only")
    page = client.get(f"/patients/{record.id}").text
    assert "Delete patient" not in page
    response = client.post(f"/patients/{record.id}/delete", data={"csrf_token": csrf_of(page)})
    assert response.status_code == 403
    assert record.id in client.get("/patients").text


def test_essentials_leave_out_what_is_not_given():
    record = essentials_record({"id": "x", "sex": "male", "diagnosis_date": "2020-01-01"})
    assert "age" not in record and "performance_status" not in record and record["therapies"] == []
    assert "medications" not in record


def test_essentials_other_medicines_one_per_line():
    fields = {
        "id": "x",
        "sex": "male",
        "diagnosis_date": "2020-01-01",
        "medications": "Luvox 100 mg\r\n\r\n  aspirin  ",
    }
    assert essentials_record(fields)["medications"] == [{"name": "Luvox 100 mg"}, {"name": "aspirin"}]


def test_the_pharmacist_sees_the_ehrs_medicines_and_their_interactions(client):
    """The EHR example holds fluvoxamine (a strong CYP1A2 inhibitor) next to ongoing pomalidomide: the
    Imnovid SmPC row (reduce the pomalidomide dose by 50%) is on the page, second for the pharmacist."""
    login(client, "pharmacist")
    token = csrf_of(client.get("/import").text)
    bundle = (EXAMPLES / "fhir" / "ehr-searchset.json").read_bytes()
    client.post("/import", data={"csrf_token": token}, files={"file": ("b.json", bundle, "application/json")})
    patient_id = re.search(r'href="/patients/([^"]+)"', client.get("/patients").text).group(1)
    html = client.get(f"/patients/{patient_id}").text
    assert re.findall(r'<h2 id="([a-z]+)"', html)[1:3] == ["toxicity", "interactions"]
    section = html.split('id="interactions"')[1].split("</section>")[0]
    assert "Fluvoxamine maleate 50 mg tablet" in section and "reduce dose" in section
    assert "reduce the pomalidomide dose by 50%" in section
    assert "&#39;acyclovir 400 mg tablet&#39; is not in rrmm&#39;s interaction tables" in section
