"""R25: every hostile variant of the corpus (tests/hostile.py) the import must refuse is refused in
one line naming the tenant, the invoice and the field: the parse alone, no runtime."""

import json
from typing import Any

import pytest

from autodispatch.errors import InputError
from autodispatch.models.document import parse_scenario_json
from autodispatch.models.loading import parse_scenario
from tests import hostile

REJECTED = hostile.rejected_variants()
RUN = hostile.run_variants()
DOCUMENTS = hostile.document_variants()
TENANTS = hostile.rejected_tenant_variants()


def _params(variants: list[hostile.Variant]) -> list[Any]:
    return [pytest.param(variant, id=variant.name) for variant in variants]


def _one_line_error(document: dict[str, Any]) -> InputError:
    with pytest.raises(InputError) as caught:
        parse_scenario(parse_scenario_json(json.dumps(document), "scenario.json"))
    message = str(caught.value)
    assert "\n" not in message
    assert "Traceback" not in message
    assert "unexpected error" not in message
    return caught.value


@pytest.mark.parametrize("variant", _params(REJECTED))
def test_r25_hostile_field_is_refused_naming_tenant_invoice_and_field(variant: hostile.Variant) -> None:
    assert isinstance(variant.expect, hostile.Rejected)
    document = {"tenants": list(hostile.TENANTS.values()), "invoices": [variant.invoice]}
    error = _one_line_error(document)
    raw_id = variant.invoice.get("invoice_id")
    assert [(issue.tenant_id, issue.invoice_id) for issue in error.issues] == [
        (variant.invoice["tenant_id"], raw_id if isinstance(raw_id, str) else None)
    ] * len(error.issues)
    assert any(issue.field.startswith(variant.expect.field) for issue in error.issues), error


@pytest.mark.parametrize(
    ("tenant", "field"), [case[1:] for case in TENANTS], ids=[case[0] for case in TENANTS]
)
def test_r25_hostile_tenant_is_refused_naming_tenant_and_field(tenant: dict[str, Any], field: str) -> None:
    error = _one_line_error({"tenants": [tenant], "invoices": []})
    assert [issue.tenant_id for issue in error.issues] == [tenant["tenant_id"]] * len(error.issues)
    assert any(issue.field.startswith(field) for issue in error.issues), error


@pytest.mark.parametrize(("name", "change", "says"), DOCUMENTS, ids=[name for name, _, _ in DOCUMENTS])
def test_r25_hostile_document_is_refused_in_one_line(name: str, change: Any, says: str) -> None:
    text = change(json.dumps(hostile.run_scenario_document(RUN[:3])))
    with pytest.raises(InputError) as caught:
        parse_scenario(parse_scenario_json(text, "scenario.json"))
    assert says in str(caught.value)
    assert "\n" not in str(caught.value)
