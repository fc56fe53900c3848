"""R27: who may act on which tenant, decided from the claims of a verified token.

A tenant's user carries `custom:tenant_id` in an ID token of the user pool (`token_use` id). A
billing system's client (client-credentials flow) carries the scope `autodispatch/system` in an
access token (`token_use` access: an ID token names no client granted anything) and acts on the
tenants granted to its client id; the default system client is granted every tenant (`*`). Runs serve
every tenant at once, so only a client granted every tenant may read or start them.
"""

from collections.abc import Mapping, Sequence
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

TENANT_CLAIM = "custom:tenant_id"
SYSTEM_SCOPE = "autodispatch/system"
EVERY_TENANT = "*"
ID_TOKEN, ACCESS_TOKEN = "id", "access"


class Access(StrEnum):
    ALLOWED = "ALLOWED"
    UNAUTHENTICATED = "UNAUTHENTICATED"  # 401: no verified identity at all
    FORBIDDEN = "FORBIDDEN"  # 403: an identity without the right to this tenant or route


class Principal(BaseModel):
    """Who is calling: `tenants` None means every tenant."""

    model_config = ConfigDict(frozen=True)

    subject: str
    system: bool
    tenants: frozenset[str] | None

    def may_act_on(self, tenant_id: str) -> bool:
        return self.tenants is None or tenant_id in self.tenants


def principal(
    claims: Mapping[str, object], scopes: Sequence[str], grants: Mapping[str, Sequence[str]]
) -> Principal | None:
    """The caller the claims describe, or None when they name neither a tenant user nor a system
    client. `grants` maps a system client's id to its tenant ids (`*` for every tenant)."""
    token_use = claims.get("token_use")
    tenant_id = claims.get(TENANT_CLAIM)
    if isinstance(tenant_id, str) and tenant_id:
        if token_use != ID_TOKEN:
            return None
        return Principal(subject=str(claims.get("sub", "")), system=False, tenants=frozenset({tenant_id}))
    scope_claim = claims.get("scope")
    token_scopes = {*scopes, *(scope_claim.split() if isinstance(scope_claim, str) else ())}
    client_id = claims.get("client_id")
    if token_use != ACCESS_TOKEN or SYSTEM_SCOPE not in token_scopes:
        return None
    if not isinstance(client_id, str) or not client_id:
        return None
    granted = grants.get(client_id, ())
    return Principal(
        subject=client_id,
        system=True,
        tenants=None if EVERY_TENANT in granted else frozenset(granted),
    )


def access(
    caller: Principal | None, authenticated: bool, tenant_id: str | None, every_tenant: bool
) -> Access:
    """May `caller` use a route of `tenant_id` (None: a route of no tenant), or one that acts on
    every tenant (runs)?"""
    if not authenticated:
        return Access.UNAUTHENTICATED
    if caller is None:
        return Access.FORBIDDEN
    if every_tenant and caller.tenants is not None:
        return Access.FORBIDDEN
    if tenant_id is not None and not caller.may_act_on(tenant_id):
        return Access.FORBIDDEN
    return Access.ALLOWED
