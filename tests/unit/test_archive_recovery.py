"""R19: a copy a crash lost is rendered again, byte for byte, from what the run recorded (the
invoice, its message id, the instant of its first claim), by every route's real renderer, and
labelled as rendered again; a copy the archive holds is left alone."""

import json
from datetime import UTC, datetime

import pytest

from autodispatch.channels.port import Delivered, Occasion
from autodispatch.errors import PermanentRejection
from autodispatch.models.enums import Channel, DeliveryKind
from autodispatch.models.loading import parse_scenario
from autodispatch.models.scenario import Scenario
from autodispatch.rules.chain import plan_dispatch
from tests.fakes.channels import Parts
from tests.unit.conftest import DEMO_SCENARIO

CLAIMED = datetime(2026, 3, 10, 22, 30, 1, 250000, tzinfo=UTC)
SCOPE = "night-a/batch"


@pytest.fixture(scope="module")
def demo() -> Scenario:
    return parse_scenario(json.loads(DEMO_SCENARIO.read_text(encoding="utf-8")))


def _sent(demo: Scenario) -> tuple[Parts, list[Delivered]]:
    """Every document the demo's invoices can be sent as (each channel, and each financier's copy),
    delivered and archived as a night does."""
    parts, deliveries = Parts(), []
    tenants = {tenant.tenant_id: tenant for tenant in demo.tenants}
    occasion = Occasion(at=CLAIMED, scope=SCOPE)
    for invoice in demo.invoices:
        tenant = tenants[invoice.tenant_id]
        plan = plan_dispatch(invoice, tenant)
        for channel in Channel:
            try:
                parts.deliverer.deliver(invoice, tenant, channel, plan.kind, occasion)
            except PermanentRejection:
                continue
            deliveries.append(
                Delivered(invoice=invoice, tenant=tenant, channel=channel, kind=plan.kind, at=CLAIMED)
            )
        if plan.factoring is not None:
            parts.deliverer.deliver_factoring(invoice, tenant, plan.factoring, occasion)
            deliveries.append(
                Delivered(
                    invoice=invoice,
                    tenant=tenant,
                    channel=plan.factoring.channel,
                    kind=DeliveryKind.FACTORING,
                    at=CLAIMED,
                    factoring=plan.factoring,
                )
            )
    assert parts.deliverer.flush_archive()
    return parts, deliveries


def _later_process() -> Parts:
    """Another invocation, later: its own clock, nothing in memory."""
    parts = Parts()
    parts.deliverer._clock = lambda: datetime(2026, 3, 11, 1, 0, tzinfo=UTC)
    return parts


def test_r19_every_route_renders_the_same_bytes_again_from_the_recorded_instant(demo: Scenario) -> None:
    original, deliveries = _sent(demo)
    routes = {(done.channel, done.kind) for done in deliveries}
    assert {Channel.EINVOICE, Channel.EMAIL, Channel.PRINT} <= {channel for channel, _ in routes}
    assert any(kind is DeliveryKind.FACTORING for _, kind in routes)
    assert any(name.endswith(".eml") for name in original.archive.stored)

    later = _later_process()
    recovered = later.deliverer.recover_copies(SCOPE, deliveries)

    assert recovered == len(deliveries) == len(original.archive.stored)
    assert later.archive.taken == original.archive.stored  # the same members, byte for byte
    assert later.archive.re_rendered == set(original.archive.stored)
    assert (later.einvoice.submitted, later.email.sent, later.print.submitted) == ([], [], [])


def test_r19_a_copy_the_archive_holds_is_not_rendered_again(demo: Scenario) -> None:
    original, deliveries = _sent(demo)
    assert original.deliverer.recover_copies(SCOPE, deliveries) == 0
    assert original.archive.re_rendered == set()


def test_r19_the_email_carries_the_recorded_instant_the_other_documents_the_invoices_own(
    demo: Scenario,
) -> None:
    """Where the sameness comes from: an email's Date is the recorded instant (another instant,
    other bytes), while the PDFs and e-invoices carry the invoice's own creation instant."""
    original, deliveries = _sent(demo)
    later = _later_process()
    other = datetime(2026, 3, 10, 23, 0, tzinfo=UTC)
    later.deliverer.recover_copies(SCOPE, [done.model_copy(update={"at": other}) for done in deliveries])
    differs = {
        name for name, content in original.archive.stored.items() if later.archive.taken[name] != content
    }
    assert differs == {name for name in original.archive.stored if name.endswith(".eml")}
