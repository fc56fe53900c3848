"""The table and the document bucket: encryption with the customer-managed key, recovery, shape."""

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
