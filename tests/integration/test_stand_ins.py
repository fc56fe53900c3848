"""R4, R12, R23: the local runtime's document services, one stand-in per route transport on its own
port, each answering as it is told whatever the others do, as the HTTP transport meets them:
accepted, refused for good, or no answer after sending (in doubt)."""

import pytest

from autodispatch.channels.transports import HttpTransport
from autodispatch.errors import PermanentRejection, TransientError
from autodispatch.models.routes import CONFIGURED_TRANSPORTS
from autodispatch_cli.local.stand_ins import Answer, StandIns

METADATA = {"tenant-id": "kahvila", "invoice-id": "k-1011", "kind": "INVOICE", "channel": "EINVOICE"}


def test_r4_each_route_transport_has_its_own_stand_in_and_endpoint() -> None:
    with StandIns() as services:
        environment = services.environment()
        endpoints = {name: environment[f"{name.upper()}_ENDPOINT"] for name in CONFIGURED_TRANSPORTS}
        assert {environment[f"{name.upper()}_TRANSPORT"] for name in CONFIGURED_TRANSPORTS} == {"http"}
        assert len(set(endpoints.values())) == len(CONFIGURED_TRANSPORTS) == 3
        assert endpoints["peppol"] == services["peppol"].url


def test_r12_r23_the_access_point_refuses_or_stays_silent_while_the_operator_accepts() -> None:
    with StandIns({"peppol": Answer.REFUSE}) as services:
        operator = HttpTransport(services["einvoice"].url, name="e-invoice operator")
        access_point = HttpTransport(services["peppol"].url, name="Peppol access point")

        operator.submit("FIN-1", b"<Finvoice/>", "application/xml", METADATA)
        with pytest.raises(
            PermanentRejection, match=r"the Peppol access point refused the message \(HTTP 422\)"
        ):
            access_point.submit("INV-1", b"<Invoice/>", "application/xml", METADATA)
        services["peppol"].answer = Answer.NO_ANSWER
        with pytest.raises(TransientError) as silent:
            access_point.submit("INV-1", b"<Invoice/>", "application/xml", METADATA)
        assert silent.value.in_doubt  # it may have taken the document

        [received] = services["einvoice"].received
        assert (received.message_id, received.metadata, received.body) == ("FIN-1", METADATA, b"<Finvoice/>")
        assert services["peppol"].received == []
        assert [document.message_id for document in services["peppol"].refused] == ["INV-1", "INV-1"]


def test_r4_an_unknown_transport_is_refused() -> None:
    with pytest.raises(ValueError, match="no route transport named"):
        StandIns({"operator": Answer.REFUSE})
