"""Tenant documents: ``TENANTS`` / ``TENANT#<tenant>`` with the document in ``doc``."""

from collections.abc import Iterable

from autodispatch.errors import NotFound, shown
from autodispatch.models.scenario import Tenant
from autodispatch.models.text import Text
from autodispatch.store.dynamodb import items
from autodispatch.store.dynamodb.client import TableClient


class TenantTable(TableClient):
    def put_tenant(self, tenant: Tenant) -> None:
        self._put(items.tenant_item(tenant))

    def get_tenant(self, tenant_id: str) -> Tenant:
        item = self._get(items.tenant_key(tenant_id))
        if item is None:
            raise NotFound.tenant(tenant_id)
        tenant = items.tenant(item)
        if tenant is None:
            raise NotFound.said(Text.of("not_found.tenant_invalid", tenant=shown(tenant_id)))
        return tenant

    def get_tenants(self, tenant_ids: Iterable[str]) -> dict[str, Tenant]:
        """Unknown ids, and tenants whose stored document no longer validates, are absent: one bad
        tenant must not stop a run for all the others (R24)."""
        tenants = (items.tenant(item) for item in self._batch_get(map(items.tenant_key, tenant_ids)))
        return {tenant.tenant_id: tenant for tenant in tenants if tenant is not None}

    def list_tenants(self) -> list[Tenant]:
        tenants = (items.tenant(item) for item in self._query_prefix("TENANTS", "TENANT#"))
        return [tenant for tenant in tenants if tenant is not None]
