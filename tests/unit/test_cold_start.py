"""Cold start: the select and notify functions never load the PDF stack (fpdf, fontTools, PIL: about
three seconds of import CPU without bytecode) nor the e-invoice validators (saxonche, xmlschema); the
dispatch function loads the PDF stack when it builds its deliverer and the validators on first use.
Each case runs in a fresh interpreter, as a Lambda cold start does."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PDF_STACK = ("fpdf", "fontTools", "PIL", "saxonche", "xmlschema")
PROBE = """
import json, sys
import {module}
{then}
print(json.dumps(sorted({{name.split(".")[0] for name in sys.modules}} & {stack})))
"""


def _pdf_modules_loaded(module: str, then: str = "") -> list[str]:
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(str(ROOT / part) for part in ("layers/common/python", "functions")),
        "TABLE_NAME": "autodispatch",
        "BUCKET_NAME": "autodispatch-documents",
        "AWS_DEFAULT_REGION": "eu-north-1",
    }
    probe = PROBE.format(module=module, then=then, stack=set(PDF_STACK))
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env=environment,
        check=True,
        timeout=120,
    )
    loaded: list[str] = json.loads(result.stdout.strip().splitlines()[-1])
    return loaded


@pytest.mark.parametrize(
    "module", ["select_invoices.handler", "notify_failures.handler", "dispatch_invoice.handler"]
)
def test_handlers_import_without_the_pdf_stack(module: str) -> None:
    assert _pdf_modules_loaded(module) == []


def test_notifier_is_built_without_the_pdf_stack() -> None:
    assert (
        _pdf_modules_loaded("notify_failures.handler", "from autodispatch import wiring; wiring.notifier()")
        == []
    )


def test_dispatch_loads_the_pdf_stack_when_it_builds_its_deliverer() -> None:
    loaded = _pdf_modules_loaded(
        "dispatch_invoice.handler", "from autodispatch import wiring; wiring.deliverer()"
    )
    assert {"fpdf", "fontTools"} <= set(loaded)
    assert not {"saxonche", "xmlschema"} & set(loaded)  # compiled and loaded on the first e-invoice
