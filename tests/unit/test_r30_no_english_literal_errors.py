"""R30: no English sentence of ours reaches a reader. Every refusal the library raises
(`PermanentRejection` and its kinds, `InvalidTransition`, `InputError`, `ImportIncomplete`) carries
a catalogue text (`.said(Text.of(...))`, `InvalidTransition.refused`, `FieldIssue.said`), never a
string literal; and the converted refusals read in sv and fi without internal names."""

import ast
from pathlib import Path

import pytest

from autodispatch.errors import ImportIncomplete, InvalidTransition, PermanentRejection
from autodispatch.i18n.render import render
from autodispatch.models.enums import Channel, UserAction
from autodispatch.models.text import Text, by_channel

PACKAGE = Path(__file__).resolve().parents[2] / "layers" / "common" / "python" / "autodispatch"
# Errors whose words reach a reader (the invoice's history, the API, the CLI).
REFUSALS = frozenset(
    {
        "PermanentRejection",
        "AccountFault",
        "UnsafeText",
        "InvalidTransition",
        "InputError",
        "ImportConflict",
        "InvoiceBusy",
        "InvoiceSent",
        "ImportIncomplete",
    }
)
INTERNAL = ("EINVOICE", "PRINT", "EMAIL", "R18", "REMOVED", "PENDING", "FAILED", "IGNORED")


def _literal_refusals() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = node.func.id if isinstance(node.func, ast.Name) else None
                # FieldIssue("field", "message") is an English message too.
                if name in REFUSALS | {"FieldIssue"} and any(
                    isinstance(arg, ast.Constant | ast.JoinedStr)
                    for arg in node.args[1 if name == "FieldIssue" else 0 :]
                ):
                    found.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {name}(...)")
    return found


def test_r30_every_refusal_the_library_raises_carries_a_catalogue_text() -> None:
    assert _literal_refusals() == []


def test_r30_the_scan_finds_a_literal_refusal() -> None:
    """The scan itself is not blind: a literal argument is what it looks for."""
    tree = ast.parse('raise PermanentRejection("the customer has no email address")')
    call = next(node for node in ast.walk(tree) if isinstance(node, ast.Call))
    assert isinstance(call.func, ast.Name)
    assert call.func.id in REFUSALS
    assert isinstance(call.args[0], ast.Constant)


CONVERTED = [
    (Text.of("reason.direct_payment_channel"), "förhandsmeddelande", "ennakkoilmoitukse"),
    (
        Text.of("reason.factoring_channel", by=by_channel(Channel.PRINT)),
        "utskriftstjänsten",
        "tulostuspalvelu",
    ),
    (
        Text.of("reason.service_refused", service=Text.of("service.PRINT"), status="400"),
        "utskriftstjänst",
        "tulostuspalvelu",
    ),
    (Text.of("reason.no_postal_address"), "postadress", "postiosoite"),
    (Text.of("reason.email_rejected", error="MessageRejected"), "e-posttjänsten", "sähköpostipalvelu"),
    (
        Text.of(
            "reason.document_not_built",
            document=Text.of("document.INVOICE", by=by_channel(Channel.EMAIL)),
            error="ValueError",
        ),
        "fakturan per e-post",
        "laskua sähköpostilla",
    ),
    (Text.of("import.undone", cause="ThrottlingException"), "Importen misslyckades", "Tuonti epäonnistui"),
]


@pytest.mark.parametrize(("text", "swedish", "finnish"), CONVERTED)
def test_r30_converted_refusals_read_in_swedish_and_finnish_without_internal_names(
    text: Text, swedish: str, finnish: str
) -> None:
    for language, words in (("sv", swedish), ("fi", finnish)):
        rendered = render(text, language)
        assert words in rendered
        assert rendered != render(text, "en")
        assert not any(name in rendered for name in INTERNAL), rendered


def test_r20_a_refused_restore_names_no_internal_state_in_any_language() -> None:
    error = InvalidTransition.refused(UserAction.RESTORE_AUTO, "kahvila/k-1001", Text.of("refusal.pending"))
    assert error.text is not None
    assert "dess automatiska utskick är på" in render(error.text, "sv")
    for language in ("sv", "fi", "en"):
        assert not any(name in render(error.text, language) for name in INTERNAL)
    assert "PENDING" not in str(error)


def test_r30_errors_said_so_keep_english_as_their_str() -> None:
    error = ImportIncomplete.said(Text.of("import.lease_lost"))
    assert str(error).startswith("Import stopped")
    assert isinstance(PermanentRejection.said(Text.of("reason.no_postal_address")), PermanentRejection)
