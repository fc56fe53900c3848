"""The validation gate of the PEPPOL route: every document is checked against the official EN 16931
and Peppol BIS Billing 3.0 rules before it leaves (`peppol_rules/`, Schematron compiled to XSLT, run
with Saxon-HE through saxonche).

The stylesheets compile once per process (a Lambda container), on the first document; each check
then costs a few milliseconds (`make bench`). A failed assert flagged `fatal` breaks the document
(`RulesBroken` with each rule's id and text); `warning` asserts are advice and let it pass.
"""

import threading
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from defusedxml import ElementTree as SafeET

from autodispatch.errors import BrokenRule, RulesBroken

if TYPE_CHECKING:
    from saxonche import PySaxonProcessor, PyXsltExecutable

RULES = Path(__file__).resolve().parent / "peppol_rules"
# EN 16931 first: the order in which a reader meets the broken rules.
RULE_SETS = ("CEN-EN16931-UBL.xslt", "PEPPOL-EN16931-UBL.xslt")
SVRL = "{http://purl.oclc.org/dsdl/svrl}"
# One Saxon processor per process; its transformations are not documented as thread-safe.
_LOCK = threading.Lock()


@cache
def _compiled() -> tuple["PySaxonProcessor", tuple["PyXsltExecutable", ...]]:
    from saxonche import PySaxonProcessor  # noqa: PLC0415 - Saxon only where documents are checked

    processor = PySaxonProcessor(license=False)
    compiler = processor.new_xslt30_processor()
    executables = tuple(compiler.compile_stylesheet(stylesheet_file=str(RULES / name)) for name in RULE_SETS)
    return processor, executables


def broken_rules(document: bytes) -> list[BrokenRule]:
    """Every fatal failed assert of both rule sets, in order, each rule once."""
    with _LOCK:
        processor, executables = _compiled()
        node = processor.parse_xml(xml_text=document.decode("utf-8"))
        reports = [executable.transform_to_string(xdm_node=node) for executable in executables]
    broken: dict[str, BrokenRule] = {}
    for report in reports:
        for failed in SafeET.fromstring(report.encode("utf-8")).iter(f"{SVRL}failed-assert"):
            if failed.get("flag", "fatal") != "fatal":
                continue
            rule_id = failed.get("id") or "unnamed rule"
            text = " ".join("".join(failed.findtext(f"{SVRL}text") or "").split())
            broken.setdefault(rule_id, BrokenRule(rule_id=rule_id, text=text.removeprefix(f"[{rule_id}]-")))
    return list(broken.values())


def validate_peppol(document: bytes) -> None:
    """The PEPPOL route's validator: raises RulesBroken naming each broken rule."""
    broken = broken_rules(document)
    if broken:
        raise RulesBroken(broken)
