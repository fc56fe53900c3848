"""R27: who may act on which tenant, from the claims of a verified token."""

from hypothesis import given
from hypothesis import strategies as st

from autodispatch.rules.access import EVERY_TENANT, SYSTEM_SCOPE, TENANT_CLAIM, Access, access, principal

GRANTS = {"default": [EVERY_TENANT], "bookkeeper": ["t-1", "t-2"]}
ids = st.sampled_from(["t-1", "t-2", "t-3"])


@given(own=ids, asked=ids)
def test_r27_a_tenant_user_acts_on_its_own_tenant_only(own: str, asked: str) -> None:
    caller = principal({"sub": "u", TENANT_CLAIM: own, "token_use": "id"}, [], GRANTS)
    expected = Access.ALLOWED if own == asked else Access.FORBIDDEN
    assert access(caller, authenticated=True, tenant_id=asked, every_tenant=False) is expected
    assert access(caller, authenticated=True, tenant_id=None, every_tenant=True) is Access.FORBIDDEN


@given(asked=ids)
def test_r27_a_system_client_acts_on_its_granted_tenants(asked: str) -> None:
    limited = principal({"client_id": "bookkeeper", "scope": SYSTEM_SCOPE, "token_use": "access"}, [], GRANTS)
    default = principal({"client_id": "default", "token_use": "access"}, [SYSTEM_SCOPE], GRANTS)
    expected = Access.ALLOWED if asked in GRANTS["bookkeeper"] else Access.FORBIDDEN
    assert access(limited, authenticated=True, tenant_id=asked, every_tenant=False) is expected
    assert access(default, authenticated=True, tenant_id=asked, every_tenant=False) is Access.ALLOWED


def test_r27_runs_need_a_client_granted_every_tenant() -> None:
    limited = principal({"client_id": "bookkeeper", "scope": SYSTEM_SCOPE, "token_use": "access"}, [], GRANTS)
    default = principal(
        {"client_id": "default", "scope": f"openid {SYSTEM_SCOPE}", "token_use": "access"}, [], GRANTS
    )
    assert access(limited, authenticated=True, tenant_id=None, every_tenant=True) is Access.FORBIDDEN
    assert access(default, authenticated=True, tenant_id=None, every_tenant=True) is Access.ALLOWED


def test_r27_a_client_without_the_system_scope_or_not_granted_gets_nothing() -> None:
    assert principal({"client_id": "default", "scope": "openid", "token_use": "access"}, [], GRANTS) is None
    stranger = principal({"client_id": "stranger", "scope": SYSTEM_SCOPE, "token_use": "access"}, [], GRANTS)
    assert access(stranger, authenticated=True, tenant_id="t-1", every_tenant=False) is Access.FORBIDDEN


def test_r27_no_verified_claims_is_401_an_unknown_identity_403() -> None:
    assert access(None, authenticated=False, tenant_id="t-1", every_tenant=False) is Access.UNAUTHENTICATED
    assert access(None, authenticated=True, tenant_id="t-1", every_tenant=False) is Access.FORBIDDEN


def test_r27_system_access_needs_an_access_token_and_a_tenant_an_id_token() -> None:
    """An ID token names no client granted anything, whatever scope it claims; a tenant claim
    counts only in the pool's ID token."""
    for token_use in ("id", None, "refresh"):
        claims = {"client_id": "default", "scope": SYSTEM_SCOPE, "token_use": token_use}
        assert principal(claims, [SYSTEM_SCOPE], GRANTS) is None
    assert principal({"sub": "u", TENANT_CLAIM: "t-1", "token_use": "access"}, [], GRANTS) is None
    assert principal({"sub": "u", TENANT_CLAIM: "t-1"}, [], GRANTS) is None
