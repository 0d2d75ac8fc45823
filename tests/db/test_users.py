"""Users, passwords, API tokens and browser sessions (both backends)."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, inspect, select, text

from db.support import FAST_HASHER, PASSWORD, Clock
from rrmm.db import ROLES, AlreadyExists, NotFound, Repository, UserInfo
from rrmm.db.models import ApiToken, SessionRow, UserRow


def _all_text(engine: Engine) -> str:
    """Every value of every row of every table, as one string."""
    parts: list[str] = []
    with engine.connect() as connection:
        for table in inspect(engine).get_table_names():
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                parts.extend(str(v) for v in row)
    return "\n".join(parts)


def _audit(engine: Engine) -> list[tuple[str, str, str | None, str]]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT actor, action, patient_id, detail FROM audit_log ORDER BY id"))
        return [tuple(r) for r in rows]  # type: ignore[misc]


# -- add_user --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_add_user_each_role(repo: Repository, role: str) -> None:
    assert repo.add_user("alice", PASSWORD, role) == UserInfo("alice", role)
    assert repo.get_user("alice") == UserInfo("alice", role)


def test_add_user_rejects_unknown_role(repo: Repository) -> None:
    for role in ("admin", "", "Hematologist", "readonly"):
        with pytest.raises(ValueError, match="unknown role"):
            repo.add_user("alice", PASSWORD, role)
    assert repo.list_users() == []


def test_add_user_rejects_short_password(repo: Repository) -> None:
    with pytest.raises(ValueError, match="at least 10"):
        repo.add_user("alice", "123456789", "nurse")  # 9 characters
    assert repo.add_user("alice", "1234567890", "nurse") == UserInfo("alice", "nurse")  # 10 is enough


@pytest.mark.parametrize("username", ["", " alice", "alice bob", "-alice", "a" * 65, "al/ice"])
def test_add_user_rejects_bad_username(repo: Repository, username: str) -> None:
    with pytest.raises(ValueError, match="username"):
        repo.add_user(username, PASSWORD, "nurse")


def test_add_user_twice(repo: Repository) -> None:
    repo.add_user("alice", PASSWORD, "nurse")
    with pytest.raises(AlreadyExists):
        repo.add_user("alice", "another password", "hematologist")
    assert repo.list_users() == [UserInfo("alice", "nurse")]


def test_password_is_never_stored_in_plain_text(repo: Repository, engine: Engine, db_url: str) -> None:
    secret = "Sup3r-secret-passphrase"
    repo.add_user("alice", secret, "hematologist")
    assert repo.authenticate("alice", secret) is not None
    assert repo.authenticate("alice", secret + "x") is None
    assert secret not in _all_text(engine)
    with engine.connect() as connection:
        stored = connection.execute(select(UserRow.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$")
    assert FAST_HASHER.verify(stored, secret)
    if db_url.startswith("sqlite:///"):
        engine.dispose()
        assert secret.encode() not in Path(db_url.removeprefix("sqlite:///")).read_bytes()


def test_default_hasher_is_argon2id_with_library_defaults(engine: Engine) -> None:
    repo = Repository(engine)
    repo.add_user("alice", PASSWORD, "nurse")
    with engine.connect() as connection:
        stored = connection.execute(select(UserRow.password_hash)).scalar_one()
    defaults = PasswordHasher()
    assert stored.startswith(f"$argon2id$v=19$m={defaults.memory_cost},t={defaults.time_cost},")
    assert repo.authenticate("alice", PASSWORD) == UserInfo("alice", "nurse")


# -- authenticate ----------------------------------------------------------------------------------------


def test_authenticate(repo: Repository, engine: Engine) -> None:
    repo.add_user("alice", PASSWORD, "pharmacist")
    assert repo.authenticate("alice", PASSWORD) == UserInfo("alice", "pharmacist")
    assert repo.authenticate("alice", "wrong password!") is None
    assert repo.authenticate("bob", PASSWORD) is None
    assert repo.authenticate("", "") is None
    assert _audit(engine) == [
        ("alice", "login", None, ""),
        ("alice", "login-failed", None, "wrong password"),
        ("bob", "login-failed", None, "unknown user"),
        ("", "login-failed", None, "unknown user"),
    ]
    assert PASSWORD not in _all_text(engine)
    assert "wrong password!" not in _all_text(engine)


def test_login_is_audited_with_time(repo: Repository, doctor: UserInfo, clock: Clock) -> None:
    clock.advance(minutes=5)
    repo.authenticate(doctor.username, PASSWORD)
    (entry,) = [e for e in repo.audit_log(doctor) if e.action == "login"]
    assert (entry.at, entry.actor, entry.patient_id) == (clock.now, doctor.username, None)


def test_authenticate_upgrades_a_weak_hash(engine: Engine, clock: Clock) -> None:
    Repository(engine, now=clock, hasher=FAST_HASHER).add_user("alice", PASSWORD, "nurse")
    stronger = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
    repo = Repository(engine, now=clock, hasher=stronger)
    assert repo.authenticate("alice", PASSWORD) == UserInfo("alice", "nurse")
    with engine.connect() as connection:
        stored = connection.execute(select(UserRow.password_hash)).scalar_one()
    assert "m=2048,t=2,p=1" in stored
    assert repo.authenticate("alice", PASSWORD) is not None


class _CountingHasher(PasswordHasher):
    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self.verified: list[str] = []

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.verified.append(str(hash))
        return super().verify(hash, password)


def test_unknown_user_costs_a_verification(engine: Engine, clock: Clock) -> None:
    """An unknown username is checked against a dummy hash, so timing does not reveal which users exist."""
    hasher = _CountingHasher()
    repo = Repository(engine, now=clock, hasher=hasher)
    repo.add_user("alice", PASSWORD, "nurse")
    assert repo.authenticate("nobody", PASSWORD) is None
    assert repo.authenticate("alice", "wrong password") is None
    assert len(hasher.verified) == 2
    assert all(h.startswith("$argon2id$") for h in hasher.verified)


# -- set_password / set_role / list_users ----------------------------------------------------------------


def test_set_password_revokes_tokens_and_sessions(repo: Repository) -> None:
    repo.add_user("alice", PASSWORD, "nurse")
    token = repo.issue_token("alice")
    sid, _ = repo.new_session("alice")
    repo.set_password("alice", "a new long password")
    assert repo.authenticate("alice", PASSWORD) is None
    assert repo.authenticate("alice", "a new long password") == UserInfo("alice", "nurse")
    assert repo.user_for_token(token) is None
    assert repo.session_user(sid) is None
    with pytest.raises(ValueError):
        repo.set_password("alice", "short")
    with pytest.raises(NotFound):
        repo.set_password("bob", "a new long password")


def test_set_role_and_list_users(repo: Repository) -> None:
    repo.add_user("bob", PASSWORD, "nurse")
    repo.add_user("alice", PASSWORD, "read-only")
    token = repo.issue_token("bob")
    assert repo.set_role("bob", "pharmacist") == UserInfo("bob", "pharmacist")
    assert repo.user_for_token(token) == UserInfo("bob", "pharmacist")  # the token follows the role
    assert repo.list_users() == [UserInfo("alice", "read-only"), UserInfo("bob", "pharmacist")]
    with pytest.raises(ValueError):
        repo.set_role("bob", "admin")
    with pytest.raises(NotFound):
        repo.set_role("carol", "nurse")
    assert repo.get_user("carol") is None


# -- API tokens ------------------------------------------------------------------------------------------


def test_issue_token(repo: Repository, engine: Engine) -> None:
    repo.add_user("alice", PASSWORD, "hematologist")
    token = repo.issue_token("alice")
    assert len(token) == 43  # token_urlsafe(32): 32 random bytes
    assert repo.user_for_token(token) == UserInfo("alice", "hematologist")
    assert repo.issue_token("alice") != token
    with engine.connect() as connection:
        hashes = connection.execute(select(ApiToken.token_hash)).scalars().all()
    assert hashlib.sha256(token.encode()).hexdigest() in hashes
    assert token not in _all_text(engine)


def test_issue_token_unknown_user(repo: Repository) -> None:
    with pytest.raises(NotFound):
        repo.issue_token("nobody")
    repo.add_user("alice", PASSWORD, "nurse")
    with pytest.raises(ValueError):
        repo.issue_token("alice", days=0)


def test_unknown_tokens(repo: Repository) -> None:
    repo.add_user("alice", PASSWORD, "hematologist")
    token = repo.issue_token("alice")
    assert repo.user_for_token("") is None
    assert repo.user_for_token(token[:-1]) is None
    # the stored digest is not a key
    assert repo.user_for_token(hashlib.sha256(token.encode()).hexdigest()) is None


def test_token_expires(repo: Repository, clock: Clock) -> None:
    repo.add_user("alice", PASSWORD, "nurse")
    token = repo.issue_token("alice", days=2)
    clock.advance(days=2, seconds=-1)
    assert repo.user_for_token(token) == UserInfo("alice", "nurse")
    clock.advance(seconds=1)
    assert repo.user_for_token(token) is None


def test_token_default_is_30_days(repo: Repository, clock: Clock) -> None:
    repo.add_user("alice", PASSWORD, "nurse")
    token = repo.issue_token("alice")
    clock.advance(days=29, hours=23)
    assert repo.user_for_token(token) is not None
    clock.advance(hours=1)
    assert repo.user_for_token(token) is None


def test_revoke_token(repo: Repository) -> None:
    repo.add_user("alice", PASSWORD, "nurse")
    token, other = repo.issue_token("alice"), repo.issue_token("alice")
    repo.revoke_token(token)
    repo.revoke_token(token)  # twice is fine
    assert repo.user_for_token(token) is None
    assert repo.user_for_token(other) is not None


# -- browser sessions ------------------------------------------------------------------------------------


def test_new_session(repo: Repository, engine: Engine) -> None:
    repo.add_user("alice", PASSWORD, "pharmacist")
    sid, csrf = repo.new_session("alice")
    assert sid != csrf and len(sid) == len(csrf) == 43
    assert repo.session_user(sid) == (UserInfo("alice", "pharmacist"), csrf)
    sid2, csrf2 = repo.new_session("alice")
    assert (sid2, csrf2) != (sid, csrf)
    assert repo.session_user(sid2) == (UserInfo("alice", "pharmacist"), csrf2)
    with engine.connect() as connection:
        hashes = connection.execute(select(SessionRow.session_hash)).scalars().all()
    assert hashlib.sha256(sid.encode()).hexdigest() in hashes
    assert sid not in _all_text(engine)


def test_new_session_unknown_user(repo: Repository) -> None:
    with pytest.raises(NotFound):
        repo.new_session("nobody")


def test_session_expires(repo: Repository, clock: Clock) -> None:
    repo.add_user("alice", PASSWORD, "nurse")
    sid, csrf = repo.new_session("alice", hours=1)
    clock.advance(minutes=59)
    assert repo.session_user(sid) == (UserInfo("alice", "nurse"), csrf)
    clock.advance(minutes=1)
    assert repo.session_user(sid) is None


def test_session_default_is_12_hours(repo: Repository, clock: Clock) -> None:
    repo.add_user("alice", PASSWORD, "nurse")
    sid, _ = repo.new_session("alice")
    clock.advance(hours=11, minutes=59)
    assert repo.session_user(sid) is not None
    clock.advance(minutes=1)
    assert repo.session_user(sid) is None


def test_end_session(repo: Repository) -> None:
    repo.add_user("alice", PASSWORD, "nurse")
    sid, _ = repo.new_session("alice")
    other, _ = repo.new_session("alice")
    repo.end_session(sid)
    repo.end_session(sid)  # ending twice, or an unknown session, is fine
    repo.end_session("")
    assert repo.session_user(sid) is None
    assert repo.session_user(other) is not None
    assert repo.session_user("") is None


def test_purge_expired(repo: Repository, clock: Clock, engine: Engine) -> None:
    repo.add_user("alice", PASSWORD, "nurse")
    repo.issue_token("alice", days=1)
    kept = repo.issue_token("alice", days=3)
    repo.new_session("alice", hours=1)
    clock.advance(days=2)
    assert repo.purge_expired() == 2
    assert repo.user_for_token(kept) is not None
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM sessions")).scalar() == 0


# -- logs ------------------------------------------------------------------------------------------------


def test_logs_never_hold_passwords_or_tokens(repo: Repository, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="rrmm.db")
    repo.add_user("alice", PASSWORD, "nurse")
    repo.authenticate("alice", PASSWORD)
    repo.authenticate("alice", "a wrong password")
    token = repo.issue_token("alice")
    sid, csrf = repo.new_session("alice")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "login" in logged and "login-failed" in logged
    for secret in (PASSWORD, "a wrong password", token, sid, csrf):
        assert secret not in logged
