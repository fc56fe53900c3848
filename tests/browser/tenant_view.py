"""The tenant view as the browser tests open it: signed in from the page itself, as a user would,
on invoices and tenants of each test's own (copies of the demo's), so no test depends on another."""

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

from tests.local_serve import cli

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo-scenario.json"


def _demo(kind: str, key: str, wanted: str) -> dict[str, Any]:
    found: dict[str, Any] = next(item for item in json.loads(DEMO.read_text())[kind] if item[key] == wanted)
    return found


def _import(tenants: list[dict[str, Any]], invoices: list[dict[str, Any]]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        scenario = Path(directory) / "scenario.json"
        scenario.write_text(json.dumps({"tenants": tenants, "invoices": invoices}))
        cli("invoices", "import", str(scenario))


@dataclass
class TenantView:
    url: str

    def open(self, page: Page, tenant: str, view: str = "", language: str = "en") -> None:
        """Sign in as `tenant`'s user through the page's local sign-in, in `language`, then go to `view`."""
        # The language a user chose earlier in this tab (the chooser re-renders the sign-in form).
        page.add_init_script(f"sessionStorage.setItem('autodispatch.language', '{language}')")
        page.goto(self.url)
        page.fill("#local-tenant", tenant)
        page.click("#sign-in")
        page.wait_for_url("**/#/invoices")  # back from sign-in, the token out of the URL
        page.locator("table.invoices").wait_for()
        if view:
            page.goto(f"{self.url}#/{view}")

    def foreign_token(self, tenant: str) -> str:
        """A valid token of `tenant`'s user that this page did not ask for."""
        return cli("local", "token", "--tenant", tenant).strip()

    def own_invoice(self, demo_invoice_id: str, invoice_id: str) -> str:
        """A copy of one of the demo's invoices under a new id, for one test alone."""
        invoice = _demo("invoices", "invoice_id", demo_invoice_id) | {"invoice_id": invoice_id}
        _import([], [invoice])
        return invoice_id

    def own_tenant(self, demo_tenant_id: str, tenant_id: str, **settings: Any) -> str:
        """A copy of one of the demo's tenants under a new id with `settings` changed, inactive."""
        tenant = _demo("tenants", "tenant_id", demo_tenant_id)
        changed = tenant["settings"] | {"active": False, "activated_at": None} | settings
        _import([tenant | {"tenant_id": tenant_id, "settings": changed}], [])
        return tenant_id
