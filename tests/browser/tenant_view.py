"""The tenant view as the browser tests open it."""

from dataclasses import dataclass

from playwright.sync_api import Page

from tests.local_serve import cli


@dataclass
class TenantView:
    url: str

    def open(self, page: Page, tenant: str, view: str = "") -> None:
        token = cli("local", "token", "--tenant", tenant).strip()
        page.goto(f"{self.url}#id_token={token}")
        page.wait_for_url("**/#/invoices")  # the page took the token out of the URL
        if view:
            page.goto(f"{self.url}#/{view}")
