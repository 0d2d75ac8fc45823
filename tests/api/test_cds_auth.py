"""CDS Hooks 2.0 "Trusting CDS Clients": the EHR's signed JWT, checked by :mod:`rrmm.api.cds_auth`.

The first tests use the specification's own worked example (its JWT, its JWK Set and private key, from
https://cds-hooks.org/specification/current/#trusting-cds-clients): a JWT signed ES384 by the client whose
``iss`` is https://fhir-ehr.example.com/, for the service https://cds.example.org/cds-services/some-service,
expiring 1422568860 (2015-01-29T21:21:00Z).
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from typer.testing import CliRunner

from api.support import EXAMPLES
from rrmm.api.cds_auth import (
    LEEWAY_SECONDS,
    CdsAuthError,
    ClientKeys,
    JwksCache,
    is_jwt,
    public_jwk_set,
    verify_client_jwt,
)
from rrmm.db import AlreadyExists, NotFound, Repository

SPEC_TOKEN = (
    "eyJhbGciOiJFUzM4NCIsInR5cCI6IkpXVCIsImtpZCI6ImV4YW1wbGUta2lkIiwiamt1IjoiaHR0cHM6Ly9maGlyLWVoci5leGFtcGxlLmNv"
    "bS9qd2tfdXJpIn0.eyJpc3MiOiJodHRwczovL2ZoaXItZWhyLmV4YW1wbGUuY29tLyIsInN1YiI6ImNsaWVudF9pZCIsImF1ZCI6Imh0dHBz"
    "Oi8vY2RzLmV4YW1wbGUub3JnL2Nkcy1zZXJ2aWNlcy9zb21lLXNlcnZpY2UiLCJleHAiOjE0MjI1Njg4NjAsImlhdCI6MTMxMTI4MDk3MCwi"
    "anRpIjoiZWUyMmIwMjEtZTFiNy00NjExLWJhNWItOGVlYzZhMzNhYzFlIiwidGVuYW50IjoiMmRkZDZjM2EtOGU5YS00NGM2LWEzMDUtNTIx"
    "MTFhZDMwMmEyIn0.CUFPkplnWd6YGIvzoHolWCQBDsCL8QtTWKGg_QFpS169WrqDGzktRi-_we6-6rVzbjerU27ZKww_SW0-b9RTz-dPJNcqsu"
    "eMio8r6EqXUXhbLm_ch3XFSbDlGHDl_tqo"
)
SPEC_PUBLIC = {
    "kty": "EC",
    "use": "sig",
    "crv": "P-384",
    "kid": "example-kid",
    "x": "46SDH7Znh821wblCBglA61sNE9ZrHYKKt3qRtRTmSXyOI_FIGBLWrWa0GPUkDCEk",
    "y": "XMcRuuoGW7CXjQdy-F5i3FeBE0x9hPLdeFdSoDd3ELmx404tLX0VRRcqzAsPhXcI",
    "alg": "ES384",
}
SPEC_PRIVATE = {**SPEC_PUBLIC, "d": "SeFXUXda8UomZ8GFUl7HH_Oi15rIbfMcsWj9ecIsDR8kLbqsEz2CGNgwy_IcILxy"}
SPEC_ISS = "https://fhir-ehr.example.com/"
SPEC_JKU = "https://fhir-ehr.example.com/jwk_uri"
SPEC_AUD = "https://cds.example.org/cds-services/some-service"
SPEC_EXP = datetime.fromtimestamp(1422568860, UTC)
BEFORE_EXP = SPEC_EXP - timedelta(minutes=2)


def no_fetch(url: str, refresh: bool) -> dict[str, Any]:
    raise AssertionError(f"no key set should be fetched ({url})")


def registered(keys: dict[str, Any] | None, jku: str | None = SPEC_JKU, iss: str = SPEC_ISS):
    return lambda issuer: ClientKeys(keys, jku) if issuer == iss else None


def spec_verify(token: str = SPEC_TOKEN, **kwargs: Any):
    options: dict[str, Any] = {
        "audience": SPEC_AUD,
        "client_keys": registered({"keys": [SPEC_PUBLIC]}),
        "fetch_jwks": no_fetch,
        "now": BEFORE_EXP,
    }
    options.update(kwargs)
    return verify_client_jwt(token, **options)


class TestTheSpecificationsExample:
    def test_verifies_and_names_client_tenant_and_jti(self):
        call = spec_verify()
        assert call.issuer == SPEC_ISS and call.subject == "client_id"
        assert call.tenant == "2ddd6c3a-8e9a-44c6-a305-52111ad302a2"
        assert call.jti == "ee22b021-e1b7-4611-ba5b-8eec6a33ac1e" and call.expires_at == SPEC_EXP

    def test_expired_after_exp_plus_the_leeway(self):
        spec_verify(now=SPEC_EXP + timedelta(seconds=LEEWAY_SECONDS - 1))
        with pytest.raises(CdsAuthError, match="expired"):
            spec_verify(now=SPEC_EXP + timedelta(seconds=LEEWAY_SECONDS))

    def test_aud_must_be_the_endpoint_called(self):
        with pytest.raises(CdsAuthError, match="aud"):
            spec_verify(audience="https://cds.example.org/cds-services")

    def test_unregistered_issuer(self):
        with pytest.raises(CdsAuthError, match="not a registered CDS client"):
            spec_verify(client_keys=registered({"keys": [SPEC_PUBLIC]}, iss="https://other-ehr.example.com/"))

    def test_jku_must_be_the_registered_one(self):
        with pytest.raises(CdsAuthError, match="jku"):
            spec_verify(client_keys=registered({"keys": [SPEC_PUBLIC]}, jku="https://elsewhere.example/jwks"))

    def test_the_key_set_is_fetched_from_the_registered_jku(self):
        fetched: list[str] = []

        def fetch(url: str, refresh: bool) -> dict[str, Any]:
            fetched.append(url)
            return {"keys": [SPEC_PUBLIC]}

        assert spec_verify(client_keys=registered(None), fetch_jwks=fetch).issuer == SPEC_ISS
        assert fetched == [SPEC_JKU]

    def test_a_changed_payload_breaks_the_signature(self):
        header, payload, signature = SPEC_TOKEN.split(".")
        claims = json.loads(jwt.utils.base64url_decode(payload))
        claims["tenant"] = "another-organization"
        forged = jwt.utils.base64url_encode(json.dumps(claims).encode()).decode()
        with pytest.raises(CdsAuthError, match="signature"):
            spec_verify(f"{header}.{forged}.{signature}")

    def test_the_specifications_private_key_signs_what_its_public_key_verifies(self):
        key = jwt.PyJWK(SPEC_PRIVATE).key
        token = jwt.encode(
            {"iss": SPEC_ISS, "aud": [SPEC_AUD], "exp": 1422568860, "iat": 1422568500, "jti": "n-1"},
            key,
            algorithm="ES384",
            headers={"kid": "example-kid", "typ": "JWT"},
        )
        assert spec_verify(token).jti == "n-1"  # aud as an array of strings, no jku (out-of-band keys)


# -- keys made for the tests ---------------------------------------------------------------------------
ISS = "https://ehr.hospital.example/"
AUD = "https://rrmm.hospital.example/cds-services/rrmm-patient-view"


def ec_key(kid: str) -> tuple[Any, dict[str, Any]]:
    private = ec.generate_private_key(ec.SECP384R1())
    public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(private.public_key()))
    return private, {**public, "kid": kid, "use": "sig", "alg": "ES384"}


def rsa_key(kid: str) -> tuple[Any, dict[str, Any]]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
    return private, {**public, "kid": kid}


EC_PRIVATE, EC_PUBLIC = ec_key("ec-1")
RSA_PRIVATE, RSA_PUBLIC = rsa_key("rsa-1")


def token_for(
    private: Any = EC_PRIVATE,
    alg: str = "ES384",
    kid: str | None = "ec-1",
    drop: tuple[str, ...] = (),
    **claims: Any,
) -> str:
    now = int(time.time())
    payload = {"iss": ISS, "aud": AUD, "exp": now + 300, "iat": now, "jti": str(uuid.uuid4())} | claims
    for name in drop:
        payload.pop(name)
    headers = {"typ": "JWT"} | ({"kid": kid} if kid else {})
    return jwt.encode(payload, private, algorithm=alg, headers=headers)


def verify(token: str, keys: dict[str, Any] | None = None, **kwargs: Any):
    options: dict[str, Any] = {
        "audience": AUD,
        "client_keys": registered(keys or {"keys": [EC_PUBLIC, RSA_PUBLIC]}, jku=None, iss=ISS),
        "fetch_jwks": no_fetch,
    }
    options.update(kwargs)
    return verify_client_jwt(token, **options)


class TestChecks:
    def test_es384_and_rs384_the_recommended_algorithms(self):
        assert verify(token_for()).issuer == ISS
        assert verify(token_for(RSA_PRIVATE, "RS384", "rsa-1")).issuer == ISS

    def test_hmac_is_refused_even_with_the_public_key_as_secret(self):
        """The classic key-confusion attack: HS256 'signed' with the public key's bytes."""
        with pytest.raises(CdsAuthError, match="asymmetric"):
            verify(token_for("a-shared-secret-of-32-bytes-or-more!", "HS256", "ec-1"))

    def test_unsigned_none_is_refused(self):
        header = jwt.utils.base64url_encode(json.dumps({"alg": "none", "typ": "JWT", "kid": "ec-1"}).encode())
        payload = token_for().split(".")[1]
        with pytest.raises(CdsAuthError, match="asymmetric"):
            verify(f"{header.decode()}.{payload}.")

    @pytest.mark.parametrize("claim", ["jti", "exp", "iat", "aud"])
    def test_required_claims(self, claim: str):
        with pytest.raises(CdsAuthError, match=claim):
            verify(token_for(drop=(claim,)))

    def test_kid_is_required(self):
        with pytest.raises(CdsAuthError, match="kid"):
            verify(token_for(kid=None))

    def test_typ_must_be_jwt(self):
        now = int(time.time())
        token = jwt.encode(
            {"iss": ISS, "aud": AUD, "exp": now + 300, "iat": now, "jti": "x"},
            EC_PRIVATE,
            algorithm="ES384",
            headers={"kid": "ec-1", "typ": "at+jwt"},
        )
        with pytest.raises(CdsAuthError, match="typ"):
            verify(token)

    def test_unknown_kid(self):
        with pytest.raises(CdsAuthError, match="kid"):
            verify(token_for(kid="ec-2"))

    def test_another_key_under_the_registered_kid_fails_the_signature(self):
        impostor, _ = ec_key("ec-1")
        with pytest.raises(CdsAuthError, match="signature"):
            verify(token_for(impostor))

    def test_alg_must_match_the_key_type(self):
        with pytest.raises(CdsAuthError, match="alg"):
            verify(token_for(RSA_PRIVATE, "RS384", kid="ec-1"))

    def test_issued_in_the_future(self):
        later = int(time.time()) + LEEWAY_SECONDS + 120
        with pytest.raises(CdsAuthError, match="future"):
            verify(token_for(iat=later, exp=later + 300))

    def test_not_a_jwt(self):
        assert not is_jwt("Yq3b1lRw_-secret-token") and is_jwt(token_for())
        with pytest.raises(CdsAuthError, match="well-formed"):
            verify("a.b.c")


class TestKeySets:
    def test_the_specifications_public_key_set_registers(self):
        assert public_jwk_set({"keys": [SPEC_PUBLIC]}) == {"keys": [SPEC_PUBLIC]}

    @pytest.mark.parametrize(
        ("keys", "message"),
        [
            ({"keys": []}, "at least one key"),
            ({"keys": [SPEC_PRIVATE]}, r"keys\[0\]: holds private key members \(d\)"),
            ({"keys": [SPEC_PUBLIC, SPEC_PUBLIC]}, r"keys\[1\]: kid 'example-kid' is not unique"),
            ({"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "s"}]}, "kty must be EC or RSA"),
            ({"keys": [{**SPEC_PUBLIC, "kid": ""}]}, "kid is required"),
            ({"keys": [{**SPEC_PUBLIC, "x": "AAAA"}]}, "not a usable public key"),
        ],
    )
    def test_refused_key_sets(self, keys: dict[str, Any], message: str):
        with pytest.raises(ValueError, match=message):
            public_jwk_set(keys)

    def test_jku_cache_refetches_once_when_the_client_rotates_its_key(self):
        served = [{"keys": [EC_PUBLIC]}]
        hits: list[str] = []

        def handler(request: httpx.Request) -> httpx.Response:
            hits.append(str(request.url))
            return httpx.Response(200, json=served[-1])

        cache = JwksCache(httpx.Client(transport=httpx.MockTransport(handler)))
        jku = "https://ehr.hospital.example/jwks"
        client_keys = registered(None, jku=jku, iss=ISS)
        verify(token_for(), client_keys=client_keys, fetch_jwks=cache.get)
        verify(token_for(), client_keys=client_keys, fetch_jwks=cache.get)
        assert hits == [jku]  # the second call used the cached set
        rotated, rotated_public = ec_key("ec-2")
        served.append({"keys": [rotated_public]})
        verify(token_for(rotated, kid="ec-2"), client_keys=client_keys, fetch_jwks=cache.get)
        assert hits == [jku, jku]

    def test_an_unreadable_key_set_is_an_authentication_error(self):
        cache = JwksCache(httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(500))))
        with pytest.raises(CdsAuthError, match="could not be read"):
            cache.get("https://ehr.hospital.example/jwks")


# -- the repository's part -----------------------------------------------------------------------------
class TestRepository:
    def test_register_list_remove(self, repo: Repository):
        client = repo.add_cds_client(ISS, "read-only", jwks={"keys": [EC_PUBLIC]})
        assert client.user.username == "read-only" and repo.cds_client(ISS) == client
        assert [c.issuer for c in repo.list_cds_clients()] == [ISS]
        with pytest.raises(AlreadyExists):
            repo.add_cds_client(ISS, "nurse", jku="https://ehr.hospital.example/jwks")
        repo.remove_cds_client(ISS)
        assert repo.cds_client(ISS) is None
        with pytest.raises(NotFound):
            repo.remove_cds_client(ISS)

    def test_needs_a_user_and_keys(self, repo: Repository):
        with pytest.raises(NotFound):
            repo.add_cds_client(ISS, "nobody", jwks={"keys": [EC_PUBLIC]})
        with pytest.raises(ValueError, match="JWK Set or its jku"):
            repo.add_cds_client(ISS, "nurse")

    def test_a_jti_is_accepted_once_until_it_expires(self, tmp_path):
        from argon2 import PasswordHasher

        from rrmm.db import make_engine, migrate

        clock = [datetime(2026, 11, 27, 12, 0, tzinfo=UTC)]
        engine = make_engine(f"sqlite:///{tmp_path / 'jti.sqlite'}")
        migrate(engine)
        repo = Repository(engine, now=lambda: clock[0], hasher=PasswordHasher(time_cost=1, memory_cost=1024))
        expires = clock[0] + timedelta(minutes=5)
        assert repo.claim_jti(ISS, "n-1", expires) is True
        assert repo.claim_jti(ISS, "n-1", expires) is False  # replay
        assert repo.claim_jti("https://other.example/", "n-1", expires) is True  # jti is per issuer
        clock[0] = expires + timedelta(seconds=1)
        assert repo.purge_expired() == 2
        assert repo.claim_jti(ISS, "n-1", clock[0] + timedelta(minutes=5)) is True


# -- over HTTP -----------------------------------------------------------------------------------------
def cds_call(patient: dict[str, Any], bundle: dict[str, Any]) -> dict[str, Any]:
    return {
        "hook": "patient-view",
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "context": {"userId": "Practitioner/example", "patientId": patient["id"]},
        "prefetch": {"patient": patient, "everything": bundle},
    }


class TestOverHttp:
    URL = "/cds-services/rrmm-patient-view"
    AUD = "http://testserver/cds-services/rrmm-patient-view"  # the service's app_url + the path

    @pytest.fixture
    def body(self) -> dict[str, Any]:
        from rrmm.fhir.exporter import record_to_bundle
        from rrmm.record import record_from_mapping

        record = json.loads((EXAMPLES / "len-refractory-after-one-line.json").read_text())
        bundle = record_to_bundle(record_from_mapping(record))
        return cds_call(bundle["entry"][0]["resource"], bundle)

    def test_a_registered_ehr_gets_cards_once_per_jti_and_is_audited(self, client, repo, tokens, body):
        repo.add_cds_client(ISS, "read-only", jwks={"keys": [EC_PUBLIC]})
        token = token_for(aud=self.AUD, tenant="hospital-1")
        headers = {"Authorization": f"Bearer {token}"}
        response = client.post(self.URL, json=body, headers=headers)
        assert response.status_code == 200, response.text
        assert response.json()["cards"]
        replay = client.post(self.URL, json=body, headers=headers)
        assert replay.status_code == 401 and "replay" in replay.json()["detail"]
        assert replay.headers["www-authenticate"] == 'Bearer error="invalid_token"'
        log = client.get("/v1/audit", headers=tokens["hematologist"]).json()
        reads = [e for e in log if e["action"] == "cds-read"]
        assert len(reads) == 1 and reads[0]["actor"] == "read-only"
        assert reads[0]["detail"] == f"cds client {ISS}, tenant hospital-1"

    @pytest.mark.parametrize(
        ("claims", "reason"),
        [
            ({"aud": "http://testserver/cds-services"}, "aud"),
            ({"iss": "https://unknown-ehr.example/"}, "not a registered CDS client"),
            ({"exp": 1_000_000_000, "iat": 999_999_700}, "expired"),
        ],
    )
    def test_refused_jwts_are_401_with_the_reason(self, client, repo, body, claims, reason):
        repo.add_cds_client(ISS, "read-only", jwks={"keys": [EC_PUBLIC]})
        token = token_for(**({"aud": self.AUD} | claims))
        response = client.post(self.URL, json=body, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401 and reason in response.json()["detail"]

    def test_a_removed_client_is_refused(self, client, repo, body):
        repo.add_cds_client(ISS, "read-only", jwks={"keys": [EC_PUBLIC]})
        repo.remove_cds_client(ISS)
        token = token_for(aud=self.AUD)
        response = client.post(self.URL, json=body, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401


# -- the command line ----------------------------------------------------------------------------------
def test_cli_add_list_remove(tmp_path, monkeypatch):
    from rrmm.cli import app

    monkeypatch.setenv("RRMM_HOME", str(tmp_path))
    monkeypatch.delenv("RRMM_DATABASE_URL", raising=False)
    runner = CliRunner()
    added = runner.invoke(
        app, ["users", "add", "ehr", "--role", "read-only", "--password-stdin"], input="x" * 12
    )
    assert added.exit_code == 0, added.output
    keys = tmp_path / "jwks.json"
    keys.write_text(json.dumps({"keys": [SPEC_PRIVATE]}))
    refused = runner.invoke(app, ["cds-clients", "add", SPEC_ISS, "--user", "ehr", "--jwks", str(keys)])
    assert refused.exit_code == 2 and "private key members" in refused.output
    keys.write_text(json.dumps({"keys": [SPEC_PUBLIC]}))
    ok = runner.invoke(
        app, ["cds-clients", "add", SPEC_ISS, "--user", "ehr", "--jwks", str(keys), "--jku", SPEC_JKU]
    )
    assert ok.exit_code == 0 and "1 key(s)" in ok.output, ok.output
    listed = runner.invoke(app, ["cds-clients", "list"])
    assert listed.output == f"{SPEC_ISS}\tehr\tkids: example-kid\tjku: {SPEC_JKU}\n"
    assert (
        runner.invoke(app, ["cds-clients", "add", "x", "--user", "ehr", "--jku", "http://a"]).exit_code == 2
    )
    assert runner.invoke(app, ["cds-clients", "remove", SPEC_ISS]).exit_code == 0
    assert runner.invoke(app, ["cds-clients", "remove", SPEC_ISS]).exit_code == 2
