"""The deployer's settings: every key is in cdk.json, and a bad value fails the synth by name."""

import json
from pathlib import Path
from typing import Any

import pytest

from cdk.app import build_app
from cdk.settings import CONTEXT_KEYS, SettingsError, load_settings

from .conftest import TEST_ONLY_CONTEXT, Synthesized

ROOT = Path(__file__).resolve().parents[2]
CDK_JSON = json.loads((ROOT / "cdk.json").read_text())


def test_cdk_json_lists_every_setting_with_the_documented_defaults() -> None:
    context = CDK_JSON["context"]
    assert set(CONTEXT_KEYS) <= set(context)
    settings = load_settings(context)
    assert (settings.schedule_expression, settings.time_zone) == ("cron(5 0 * * ? *)", "Europe/Helsinki")
    assert (settings.max_concurrency, settings.batch_size) == (None, 100)
    assert settings.sms_sender_id is None
    assert settings.alarm_email is None


def test_cdk_json_runs_the_app_and_turns_on_the_distributed_map_result_writer_v2() -> None:
    assert CDK_JSON["app"] == "python3 cdk/app.py"
    assert CDK_JSON["context"]["@aws-cdk/aws-stepfunctions:useDistributedMapResultWriterV2"] is True


def test_command_line_strings_are_read_as_numbers_and_booleans() -> None:
    settings = load_settings(
        {"senderEmail": "a@example.com", "maxConcurrency": "40", "scheduleEnabled": "false"}
    )
    assert (settings.max_concurrency, settings.schedule_enabled) == (40, False)


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ({"timeZone": "Europe/Helsingfors"}, "timeZone"),
        ({"batchSize": 501}, "batchSize"),
        ({"dispatchWorkers": 0}, "dispatchWorkers"),
        ({"dispatchWorkers": 9}, "dispatchWorkers"),
        ({"einvoiceTransport": "http", "einvoiceEndpoint": "http://plain.example.com"}, "einvoiceEndpoint"),
        ({"printTransport": "fax"}, "printTransport"),
        ({"logRetentionDays": 100}, "logRetentionDays"),
        ({"senderEmail": "not-an-address"}, "senderEmail"),
    ],
)
def test_invalid_setting_fails_the_synth_naming_the_key(override: dict[str, Any], named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        load_settings({**CDK_JSON["context"], **override})


def test_cdk_cli_is_pinned_to_an_exact_2_1148_release() -> None:
    package = json.loads((ROOT / "package.json").read_text())
    lock = json.loads((ROOT / "package-lock.json").read_text())
    pinned = package["devDependencies"]["aws-cdk"]
    assert pinned.startswith("2.1148.")
    assert pinned.replace(".", "").isdigit()
    assert lock["packages"]["node_modules/aws-cdk"]["version"] == pinned


@pytest.mark.parametrize(("lease", "refused"), [(179, True), (180, False), (900, False)])
def test_r23_claim_lease_must_be_twice_the_dispatch_timeout(lease: int, refused: bool) -> None:
    settings = load_settings({**CDK_JSON["context"], "claimLeaseSeconds": lease})
    if refused:
        with pytest.raises(SettingsError, match="claimLeaseSeconds"):
            settings.check_claim_lease(90)
    else:
        settings.check_claim_lease(90)


def test_r23_claim_lease_shorter_than_a_live_send_fails_the_synth(tmp_path: Path) -> None:
    """The stack checks the lease against the DispatchInvoice timeout it deploys, as `-c` passes it."""
    context = {**CDK_JSON["context"], **TEST_ONLY_CONTEXT, "claimLeaseSeconds": "139"}
    with pytest.raises(SettingsError, match=r"claimLeaseSeconds.*twice the DispatchInvoice timeout of 70 s"):
        build_app(context, str(tmp_path))


def test_r23_deployed_claim_lease_outlasts_two_dispatch_invocations(every_synth: Synthesized) -> None:
    properties = every_synth.resource("Functions/DispatchInvoice")["Properties"]
    lease = int(properties["Environment"]["Variables"]["CLAIM_LEASE_SECONDS"])
    assert lease >= 2 * int(properties["Timeout"])


def test_r24_email_is_paced_by_the_maps_concurrency_derived_from_the_ses_rate() -> None:
    """Unset, MaxConcurrency keeps the children's emails of a usual night within the SES rate;
    set, it is taken as it is."""
    base = {"senderEmail": "a@example.com"}
    assert load_settings(base).map_concurrency == 2  # 14 emails/s, about 5 a child
    assert load_settings({**base, "sesSendRate": "100"}).map_concurrency == 20
    assert load_settings({**base, "sesSendRate": "1"}).map_concurrency == 1
    assert load_settings({**base, "maxConcurrency": "40"}).map_concurrency == 40


def test_provisioned_capacity_needs_a_daily_schedule_to_scale_around() -> None:
    with pytest.raises(SettingsError, match="scheduleExpression"):
        load_settings(
            {
                "senderEmail": "a@example.com",
                "tableCapacity": "provisioned",
                "scheduleExpression": "rate(1 day)",
            }
        )
    # A run at 00:05 is scaled for from 23:55 the evening before, until nightHours later.
    early = load_settings({"senderEmail": "a@example.com", "tableCapacity": "provisioned", "nightHours": "6"})
    assert early.night_scaling() == ("cron(55 23 * * ? *)", "cron(55 5 * * ? *)")
