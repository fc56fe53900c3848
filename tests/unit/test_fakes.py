"""The fakes answer as production does where a rule depends on it."""

from autodispatch.models.enums import Channel
from tests.fakes.channels import Parts
from tests.fakes.deliverer import ScriptedDeliverer


def test_r23_the_scripted_deliverer_repeats_channels_as_production_does() -> None:
    production, fake = Parts().deliverer, ScriptedDeliverer()
    assert {channel: fake.is_idempotent(channel) for channel in Channel} == {
        channel: production.is_idempotent(channel) for channel in Channel
    }
