"""The README's screenshot of the tenant view (docs/tenant-view.png), taken as the browser tests
see the page: `python -m tests.browser.screenshot [sv|fi|en]` (default Swedish)."""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, DEMO, FIRST_NIGHT
from tests.browser.tenant_view import TenantView
from tests.local_serve import cli, served_locally

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "tenant-view.png"
EXPLAINED = 'tr[data-invoice="k-1005"] button.message'  # the failed invoice's message


def take(language: str) -> None:
    with served_locally() as local, sync_playwright() as playwright:
        cli("invoices", "import", str(DEMO))
        cli("runs", "start", "--date", FIRST_NIGHT, "--wait", "--timeout", "300")
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        TenantView(local.web_url).open(page, "kahvila", language=language)
        page.locator(EXPLAINED).hover()
        page.locator('[role="tooltip"]:visible').wait_for()
        page.screenshot(path=SCREENSHOT)
        browser.close()


if __name__ == "__main__":
    take(sys.argv[1] if len(sys.argv) > 1 else "sv")
