"""CDS Hooks 2.0 "Trusting CDS Clients": the JWT an EHR signs for every call, checked here.

The specification (https://cds-hooks.org/specification/current/#trusting-cds-clients) requires of the JWT:

- header: ``alg`` (never ``none`` and never a symmetric algorithm such as HMAC; ES384 and RS384 are
  recommended), ``kid`` (the key in the client's JWK Set), ``typ`` = ``JWT``, optional ``jku`` (the URL of
  the client's JWK Set; without it the JWK Set is exchanged out-of-band);
- payload: ``iss``, ``aud`` (the URL of the CDS Service endpoint being called, a string or an array of
  strings), ``exp``, ``iat``, ``jti`` (a nonce against replay), optional ``tenant``;
- "CDS Services SHOULD maintain an allowlist of the ``iss`` and ``jku`` fields to only the CDS Clients they
  trust."

rrmm trusts a client only when its ``iss`` is registered (``rrmm cds-clients add``); a ``jku`` is followed
only when it is the URL registered for that issuer (no other URL is ever fetched), and a JWT id is accepted
once until its expiry. Signatures are checked by PyJWT with the ``cryptography`` backend. Nothing here
logs a token, a claim or a key.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import jwt

__all__ = [
    "ALGORITHMS",
    "CdsAuthError",
    "ClientKeys",
    "JwksCache",
    "VerifiedCall",
    "is_jwt",
    "public_jwk_set",
    "verify_client_jwt",
]

#: The asymmetric JWS algorithms accepted (RFC 7518): CDS Hooks recommends ES384 and RS384 and forbids
#: ``none`` and symmetric (HMAC) algorithms; the other ECDSA, RSA and RSA-PSS sizes are accepted as well.
ALGORITHMS = ("ES384", "RS384", "ES256", "ES512", "RS256", "RS512", "PS256", "PS384", "PS512")
#: Clock skew tolerated between the EHR and this server when checking ``exp`` and ``iat``, in seconds.
LEEWAY_SECONDS = 60
#: How long a JWK Set fetched from a registered ``jku`` is reused before it is fetched again, in seconds.
JWKS_TTL_SECONDS = 300

_KEY_TYPES = {"ES": "EC", "RS": "RSA", "PS": "RSA"}
_PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "oth", "k")


class CdsAuthError(Exception):
    """The call is not authenticated; the message says why (it names no claim value or key)."""


@dataclass(frozen=True)
class VerifiedCall:
    """A JWT that passed every check: who sent it and for which tenant."""

    issuer: str
    subject: str | None
    tenant: str | None
    jti: str
    expires_at: datetime


@dataclass(frozen=True)
class ClientKeys:
    """What the server knows of one registered client: its JWK Set and/or its one allowed ``jku``."""

    jwks: Mapping[str, Any] | None
    jku: str | None


def is_jwt(token: str) -> bool:
    """A compact JWS has three base64url parts separated by dots (rrmm's own API tokens have none)."""
    return token.count(".") == 2


def public_jwk_set(data: Any) -> dict[str, Any]:
    """Check a JWK Set (RFC 7517 section 5) for registration: ``{"keys": [...]}`` with at least one key,
    each with ``kty`` EC or RSA, a ``kid`` unique in the set, no private members, and a key PyJWT can load.
    ValueError names the key that is wrong."""
    if not isinstance(data, Mapping) or not isinstance(data.get("keys"), list) or not data["keys"]:
        raise ValueError('a JWK Set is a JSON object {"keys": [...]} with at least one key')
    seen: set[str] = set()
    for i, key in enumerate(data["keys"]):
        where = f"keys[{i}]"
        if not isinstance(key, Mapping):
            raise ValueError(f"{where}: a JWK is a JSON object")
        if key.get("kty") not in ("EC", "RSA"):
            raise ValueError(f"{where}: kty must be EC or RSA (an asymmetric key)")
        kid = key.get("kid")
        if not isinstance(kid, str) or not kid:
            raise ValueError(f"{where}: kid is required (CDS Hooks JWTs name their key by kid)")
        if kid in seen:
            raise ValueError(f"{where}: kid {kid!r} is not unique in the set")
        seen.add(kid)
        private = [m for m in _PRIVATE_MEMBERS if m in key]
        if private:
            raise ValueError(
                f"{where}: holds private key members ({', '.join(private)}); register the public key"
            )
        try:
            jwt.PyJWK(dict(key))
        except (jwt.PyJWTError, ValueError, TypeError) as exc:
            raise ValueError(f"{where}: not a usable public key ({type(exc).__name__})") from None
    copy: dict[str, Any] = json.loads(json.dumps(data))  # a plain JSON copy
    return copy


class JwksCache:
    """JWK Sets fetched from registered ``jku`` URLs, each kept :data:`JWKS_TTL_SECONDS`. ``client`` is
    the HTTP client (an ``httpx.Client`` with a short timeout by default; tests pass a mock transport)."""

    def __init__(
        self, client: httpx.Client | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._client = client
        self._clock = clock
        self._sets: dict[str, tuple[float, Mapping[str, Any]]] = {}

    def get(self, url: str, refresh: bool = False) -> Mapping[str, Any]:
        now = self._clock()
        cached = self._sets.get(url)
        if cached is not None and not refresh and now - cached[0] < JWKS_TTL_SECONDS:
            return cached[1]
        client = self._client or httpx.Client(timeout=5.0, follow_redirects=False)
        try:
            response = client.get(url, headers={"Accept": "application/json"})
            response.raise_for_status()
            jwks = public_jwk_set(response.json())
        except (httpx.HTTPError, ValueError) as exc:
            raise CdsAuthError(
                f"the client's JWK Set could not be read from its jku ({type(exc).__name__})"
            ) from None
        finally:
            if self._client is None:
                client.close()
        self._sets[url] = (now, jwks)
        return jwks


def _key_for(keys: Mapping[str, Any] | None, kid: str, alg: str) -> jwt.PyJWK | None:
    for key in (keys or {}).get("keys", []):
        if isinstance(key, Mapping) and key.get("kid") == kid:
            if key.get("use") not in (None, "sig"):
                raise CdsAuthError("the key named by kid is not a signing key")
            if key.get("alg") not in (None, alg) or key.get("kty") != _KEY_TYPES[alg[:2]]:
                raise CdsAuthError("the key named by kid does not match the JWT's alg")
            return jwt.PyJWK(dict(key), algorithm=alg)
    return None


def _epoch(claims: Mapping[str, Any], name: str) -> float:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CdsAuthError(f"the JWT's {name} is not a number of seconds")
    return float(value)


def verify_client_jwt(
    token: str,
    *,
    audience: str,
    client_keys: Callable[[str], ClientKeys | None],
    fetch_jwks: Callable[[str, bool], Mapping[str, Any]],
    now: datetime | None = None,
    algorithms: tuple[str, ...] = ALGORITHMS,
) -> VerifiedCall:
    """Check a CDS Client's JWT for a call to ``audience`` (the URL of the endpoint called): header
    (``alg`` asymmetric and allowed, ``kid``, ``typ`` JWT), registered ``iss`` (``client_keys`` returns its
    keys or None), ``jku`` equal to the registered one, the signature with the key named by ``kid`` (a
    registered ``jku`` is fetched again once when the kid is new: the client rotated its keys), ``aud``,
    ``exp`` not passed and ``iat`` not in the future (both with :data:`LEEWAY_SECONDS`), ``jti`` present.
    Replay of the ``jti`` is the caller's check (it needs the database). CdsAuthError says what failed."""
    at = (now or datetime.now(UTC)).timestamp()
    try:
        header = jwt.get_unverified_header(token)
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise CdsAuthError("the bearer token is not a well-formed JWT") from None
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in algorithms:
        raise CdsAuthError("the JWT's alg is not an accepted asymmetric algorithm (none and HMAC never are)")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise CdsAuthError("the JWT header has no kid")
    if str(header.get("typ", "")).upper() != "JWT":
        raise CdsAuthError("the JWT header's typ is not JWT")
    issuer = unverified.get("iss")
    if not isinstance(issuer, str) or not issuer:
        raise CdsAuthError("the JWT has no iss")
    registered = client_keys(issuer)
    if registered is None:
        raise CdsAuthError("the JWT's issuer is not a registered CDS client")
    jku = header.get("jku")
    if jku is not None and jku != registered.jku:
        raise CdsAuthError("the JWT's jku is not the key-set URL registered for its issuer")

    key = _key_for(registered.jwks, kid, alg)
    if key is None and registered.jku:
        key = _key_for(fetch_jwks(registered.jku, False), kid, alg)
        if key is None:
            key = _key_for(fetch_jwks(registered.jku, True), kid, alg)
    if key is None:
        raise CdsAuthError("no key of the registered client has the JWT's kid")

    try:
        claims = jwt.decode(
            token,
            key.key,
            algorithms=[alg],
            audience=audience,
            issuer=issuer,
            options={
                "require": ["iss", "aud", "exp", "iat", "jti"],
                "verify_exp": False,  # checked below against ``now``
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
    except jwt.InvalidSignatureError:
        raise CdsAuthError("the JWT's signature does not verify with the client's key") from None
    except jwt.InvalidAudienceError:
        raise CdsAuthError(f"the JWT's aud is not this endpoint ({audience})") from None
    except jwt.MissingRequiredClaimError as exc:
        raise CdsAuthError(f"the JWT has no {exc.claim}") from None
    except jwt.PyJWTError as exc:
        raise CdsAuthError(f"the JWT was refused ({type(exc).__name__})") from None

    exp, iat = _epoch(claims, "exp"), _epoch(claims, "iat")
    if exp <= at - LEEWAY_SECONDS:
        raise CdsAuthError("the JWT has expired")
    if iat > at + LEEWAY_SECONDS:
        raise CdsAuthError("the JWT was issued in the future")
    if "nbf" in claims and _epoch(claims, "nbf") > at + LEEWAY_SECONDS:
        raise CdsAuthError("the JWT is not valid yet (nbf)")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti:
        raise CdsAuthError("the JWT's jti is not a string")
    subject, tenant = claims.get("sub"), claims.get("tenant")
    return VerifiedCall(
        issuer=issuer,
        subject=subject if isinstance(subject, str) else None,
        tenant=tenant if isinstance(tenant, str) else None,
        jti=jti,
        expires_at=datetime.fromtimestamp(exp, UTC),
    )
