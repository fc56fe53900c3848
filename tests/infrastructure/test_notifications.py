"""Email goes out as the configured sender, through a configuration set."""

from .conftest import Synthesized


def test_sender_identity_is_created_with_the_configuration_set(
    deployed: Synthesized, variant: Synthesized
) -> None:
    identity = deployed.resource("Notifications/SenderIdentity")["Properties"]
    assert identity["EmailIdentity"] == "invoices@example.com"
    assert deployed.render(identity["ConfigurationSetAttributes"]["ConfigurationSetName"]) == (
        "ref(Notifications/ConfigurationSet)"
    )
    assert variant.resource("Notifications/SenderIdentity")["Properties"]["EmailIdentity"] == "example.com"


def test_configuration_set_requires_tls_and_suppresses_bounces_and_complaints(deployed: Synthesized) -> None:
    configuration_set = deployed.resource("Notifications/ConfigurationSet")["Properties"]
    assert configuration_set["DeliveryOptions"]["TlsPolicy"] == "REQUIRE"
    assert sorted(configuration_set["SuppressionOptions"]["SuppressedReasons"]) == ["BOUNCE", "COMPLAINT"]
