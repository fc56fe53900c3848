"""One `local serve` system per module with the demo scenario imported and its first night run, and
Debian's Chromium driven by Playwright (its own browser download is not reachable from here)."""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from typer.testing import CliRunner

from autodispatch_cli.local.serve import free_port, serving
from autodispatch_cli.main import app
from autodispatch_cli.target import DEFAULT_STACK, STACK_ENV

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
RUNNER = CliRunner()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if CHROMIUM.exists():
        return
    reason = f"BROWSER TESTS SKIPPED: {CHROMIUM} is missing (make test installs Debian's chromium as root)"
    config.get_terminal_writer().line(f"\n!!! {reason} !!!\n", red=True, bold=True)
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.skip(reason=reason))


def cli(*args: str) -> str:
    result = RUNNER.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


@dataclass
class TenantView:
    url: str

    def open(self, page: Page, tenant: str, view: str = "") -> None:
        token = cli("local", "token", "--tenant", tenant).strip()
        page.goto(f"{self.url}#id_token={token}")
        page.wait_for_url("**/#/invoices")  # the page took the token out of the URL
        if view:
            page.goto(f"{self.url}#/{view}")


@pytest.fixture(scope="module")
def tenant_view() -> Iterator[TenantView]:
    port = free_port()
    with pytest.MonkeyPatch.context() as patch:
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", STACK_ENV, "POWERTOOLS_LOG_LEVEL"):
            patch.delenv(name, raising=False)
        with serving(port, DEFAULT_STACK) as local:
            patch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
            patch.setenv("AWS_DEFAULT_REGION", "eu-north-1")
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
    opened.set_default_timeout(15_000)
    yield opened
    context.close()
