"""The table and the document bucket: encryption with the customer-managed key, recovery, shape."""

import math
from typing import Any

from autodispatch.store.table_schema import create_table_kwargs

from .conftest import Synthesized


def test_table_is_encrypted_with_the_customer_managed_key(deployed: Synthesized) -> None:
    sse = deployed.resource("Storage/Invoices")["Properties"]["SSESpecification"]
    assert sse["SSEEnabled"] is True
    assert sse["SSEType"] == "KMS"
    assert deployed.render(sse["KMSMasterKeyId"]) == "Storage/DataKey.Arn"


def test_table_has_point_in_time_recovery_deletion_protection_and_on_demand_capacity(
    deployed: Synthesized,
) -> None:
    table = deployed.resource("Storage/Invoices")
    properties = table["Properties"]
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert properties["DeletionProtectionEnabled"] is True
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert table["DeletionPolicy"] == "Retain"
    assert properties["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}


def _by_name(definitions: list[dict[str, str]]) -> list[dict[str, str]]:
    return sorted(definitions, key=lambda item: item["AttributeName"])


def test_table_keys_and_pending_index_are_the_library_schema(deployed: Synthesized) -> None:
    """The table the local runtime creates (table_schema.create_table_kwargs) is the deployed one."""
    expected = create_table_kwargs("unused")
    properties = deployed.resource("Storage/Invoices")["Properties"]
    assert properties["KeySchema"] == expected["KeySchema"]
    assert _by_name(properties["AttributeDefinitions"]) == _by_name(expected["AttributeDefinitions"])
    (index,) = properties["GlobalSecondaryIndexes"]
    (expected_index,) = expected["GlobalSecondaryIndexes"]
    assert index["IndexName"] == expected_index["IndexName"]
    assert index["KeySchema"] == expected_index["KeySchema"]
    assert index["Projection"]["ProjectionType"] == "INCLUDE"
    assert sorted(index["Projection"]["NonKeyAttributes"]) == sorted(
        expected_index["Projection"]["NonKeyAttributes"]
    )


def test_data_key_rotates_and_outlives_the_stack(deployed: Synthesized) -> None:
    key = deployed.resource("Storage/DataKey")
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "Retain"


def test_document_bucket_is_kms_encrypted_private_versioned_and_tls_only(deployed: Synthesized) -> None:
    bucket = deployed.resource("Storage/Documents")
    properties = bucket["Properties"]
    (rule,) = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert deployed.render(rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"]) == "Storage/DataKey.Arn"
    assert rule["BucketKeyEnabled"] is True
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
    assert bucket["DeletionPolicy"] == "Retain"
    policy = deployed.resource("Storage/Documents/Policy")["Properties"]["PolicyDocument"]["Statement"]
    assert any(
        statement["Effect"] == "Deny"
        and statement["Action"] == "s3:*"
        and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for statement in policy
    )


def test_work_lists_expire_after_fourteen_days(deployed: Synthesized) -> None:
    rules = deployed.resource("Storage/Documents")["Properties"]["LifecycleConfiguration"]["Rules"]
    (work,) = [rule for rule in rules if rule.get("Prefix") == "work/"]
    assert work["ExpirationInDays"] == 14
    assert work["Status"] == "Enabled"
    # Nothing else under the bucket expires: delivered documents are kept.
    assert all("ExpirationInDays" not in rule for rule in rules if rule is not work)


def test_document_bucket_access_is_logged_to_a_private_bucket(deployed: Synthesized) -> None:
    logging = deployed.resource("Storage/Documents")["Properties"]["LoggingConfiguration"]
    assert deployed.render(logging["DestinationBucketName"]) == "ref(Storage/AccessLogs)"
    logs = deployed.resource("Storage/AccessLogs")["Properties"]
    assert logs["PublicAccessBlockConfiguration"]["BlockPublicPolicy"] is True
    (rule,) = logs["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"


def _scaling(synthesized: Synthesized) -> dict[str, dict[str, Any]]:
    """The scalable targets by dimension (table or index, reads or writes)."""
    targets = synthesized.of_type("AWS::ApplicationAutoScaling::ScalableTarget").values()
    return {target["Properties"]["ScalableDimension"]: target["Properties"] for target in targets}


def test_on_demand_table_has_no_capacity_to_scale(deployed: Synthesized) -> None:
    assert _scaling(deployed) == {}
    (index,) = deployed.resource("Storage/Invoices")["Properties"]["GlobalSecondaryIndexes"]
    assert "ProvisionedThroughput" not in index


def test_provisioned_table_and_index_keep_the_day_s_minimum_and_track_70_percent(
    variant: Synthesized,
) -> None:
    properties = variant.resource("Storage/Invoices")["Properties"]
    assert "BillingMode" not in properties  # CloudFormation's default: PROVISIONED
    assert properties["ProvisionedThroughput"] == {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
    (index,) = properties["GlobalSecondaryIndexes"]
    assert index["ProvisionedThroughput"] == {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
    targets = _scaling(variant)
    assert set(targets) == {
        "dynamodb:table:WriteCapacityUnits",
        "dynamodb:table:ReadCapacityUnits",
        "dynamodb:index:WriteCapacityUnits",
        "dynamodb:index:ReadCapacityUnits",
    }
    assert {target["MinCapacity"] for target in targets.values()} == {5}
    policies = variant.of_type("AWS::ApplicationAutoScaling::ScalingPolicy").values()
    assert len(policies) == 4
    for policy in policies:
        tracking = policy["Properties"]["TargetTrackingScalingPolicyConfiguration"]
        assert tracking["TargetValue"] == 70


def test_provisioned_night_capacity_is_scheduled_around_the_run_from_the_email_pacing(
    variant: Synthesized,
) -> None:
    """The run starts at 00:05 (timeZone); the night's minimum is in place from 23:55 for nightHours
    (9 here). Its write units follow the children running at once (maxConcurrency 25 here), each
    dispatching 15 invoices a second at 2.5 table units and 1 index unit an invoice, at 70 % use."""
    targets = _scaling(variant)
    night = {
        "dynamodb:table:WriteCapacityUnits": math.ceil(25 * 15 * 2.5 / 0.7),
        "dynamodb:index:WriteCapacityUnits": math.ceil(25 * 15 * 1.0 / 0.7),
        "dynamodb:table:ReadCapacityUnits": math.ceil(25 * 15 * 2.0 / 0.7),
        "dynamodb:index:ReadCapacityUnits": 250,
    }
    for dimension, units in night.items():
        actions = {action["ScheduledActionName"]: action for action in targets[dimension]["ScheduledActions"]}
        (starts,) = [action for name, action in actions.items() if "NightStarts" in name]
        (ends,) = [action for name, action in actions.items() if "NightEnds" in name]
        assert starts["Schedule"] == "cron(55 23 * * ? *)"
        assert ends["Schedule"] == "cron(55 8 * * ? *)"
        assert starts["Timezone"] == ends["Timezone"] == "Europe/Helsinki"
        assert starts["ScalableTargetAction"] == {"MinCapacity": units}
        assert ends["ScalableTargetAction"] == {"MinCapacity": 5}
        assert targets[dimension]["MaxCapacity"] == 2 * units
