"""One `local serve` system per module with the demo scenario imported and its first night run, and
Debian's Chromium driven by Playwright (its own browser download is not reachable from here)."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.browser.tenant_view import TenantView
from tests.local_serve import cli, served_locally

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo-scenario.json"
FIRST_NIGHT = "2026-03-10"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if CHROMIUM.exists():
        return
    reason = f"BROWSER TESTS SKIPPED: {CHROMIUM} is missing (make test installs Debian's chromium as root)"
    config.get_terminal_writer().line(f"\n!!! {reason} !!!\n", red=True, bold=True)
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="module")
def tenant_view() -> Iterator[TenantView]:
    with served_locally() as local:
        cli("invoices", "import", str(DEMO))
        cli("runs", "start", "--date", FIRST_NIGHT, "--wait", "--timeout", "300")
        yield TenantView(local.web_url)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 800})
    opened = context.new_page()
    opened.set_default_timeout(30_000)  # the served system shares two cores with the other tests
    yield opened
    context.close()
