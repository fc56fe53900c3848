"""Least privilege: each role allows exactly the actions its code uses, on exactly its resources."""

from typing import Any

import pytest

from .conftest import Synthesized

TABLE = "Storage/Invoices.Arn"
INDEX = "Storage/Invoices.Arn/index/gsi1"
DOCUMENTS = "Storage/Documents.Arn"
DATA_KEY = "Storage/DataKey.Arn"
IDENTITY = "arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:identity/"
CONFIGURATION_SET = (
    "arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:configuration-set/"
    "ref(Notifications/ConfigurationSet)"
)
KMS_VIA_DYNAMODB_AND_S3 = {
    ("kms:Decrypt", DATA_KEY),
    ("kms:DescribeKey", DATA_KEY),
    ("kms:Encrypt", DATA_KEY),
    ("kms:GenerateDataKey", DATA_KEY),
}
TRACING = {("xray:PutTelemetryRecords", "*"), ("xray:PutTraceSegments", "*")}


def _logs(function: str) -> set[tuple[str, str]]:
    group = f"Functions/{function}Logs.Arn"
    return {("logs:CreateLogStream", group), ("logs:PutLogEvents", group)}


def _ses(*identities: str) -> set[tuple[str, str]]:
    resources = [CONFIGURATION_SET, *(IDENTITY + identity for identity in identities)]
    return {(action, resource) for action in ("ses:SendEmail", "ses:SendRawEmail") for resource in resources}


def _function_role(synth: Synthesized, function: str) -> str:
    return synth.role_of_function(f"Functions/{function}")


def test_select_invoices_may_query_the_pending_index_and_write_the_work_list(deployed: Synthesized) -> None:
    assert deployed.grants_of_role(_function_role(deployed, "SelectInvoices")) == {
        ("dynamodb:Query", INDEX),
        ("dynamodb:BatchGetItem", TABLE),
        ("dynamodb:PutItem", TABLE),
        ("s3:PutObject", f"{DOCUMENTS}/work/*"),
        *KMS_VIA_DYNAMODB_AND_S3,
        *_logs("SelectInvoices"),
        *TRACING,
    }


def test_dispatch_invoice_may_claim_settle_archive_and_send_as_the_sender(deployed: Synthesized) -> None:
    assert deployed.grants_of_role(_function_role(deployed, "DispatchInvoice")) == {
        ("dynamodb:BatchGetItem", TABLE),
        ("dynamodb:BatchWriteItem", TABLE),
        ("dynamodb:UpdateItem", TABLE),
        ("s3:PutObject", f"{DOCUMENTS}/archive/*"),
        ("s3:PutObject", f"{DOCUMENTS}/outbox/*"),
        # R19: a retried batch reads its archive objects back to render again what a crash lost.
        ("s3:GetObject", f"{DOCUMENTS}/archive/batches/*"),
        ("s3:ListBucket", DOCUMENTS),
        *_ses("invoices@example.com"),
        *KMS_VIA_DYNAMODB_AND_S3,
        *_logs("DispatchInvoice"),
        *TRACING,
    }


def test_r19_r23_functions_list_only_the_archives_batch_objects_and_the_outbox(deployed: Synthesized) -> None:
    """DispatchInvoice: its batch's archive objects (R19) and the outbox objects an ended try staged
    for (R23); NotifyFailures (the run's last sweep): the outbox."""
    statements = [
        statement
        for policy in deployed.of_type("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement["Action"] == "s3:ListBucket"
    ]
    assert sorted(str(statement["Condition"]) for statement in statements) == sorted(
        [
            str({"StringLike": {"s3:prefix": ["archive/batches/*", "outbox/*"]}}),
            str({"StringLike": {"s3:prefix": ["outbox/*"]}}),
        ]
    )


def test_dispatch_invoice_reads_only_the_named_transport_secrets_and_no_outbox_when_http(
    variant: Synthesized,
) -> None:
    grants = variant.grants_of_role(_function_role(variant, "DispatchInvoice"))
    secret = "arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:"
    assert {grant for grant in grants if grant[0].startswith("secretsmanager:")} == {
        ("secretsmanager:GetSecretValue", f"{secret}autodispatch/einvoice-??????"),
        ("secretsmanager:GetSecretValue", f"{secret}autodispatch/peppol-??????"),
        ("secretsmanager:GetSecretValue", f"{secret}autodispatch/print-??????"),
    }
    assert {grant for grant in grants if grant[0] == "s3:PutObject"} == {
        ("s3:PutObject", f"{DOCUMENTS}/archive/*")
    }
    # The sender's own address and its verified domain: SES authorizes on whichever verified it.
    assert {grant for grant in grants if grant[0].startswith("ses:")} == _ses(
        "example.com", "invoices@example.com"
    )


def test_notify_failures_may_read_issues_claim_notifications_email_and_text(deployed: Synthesized) -> None:
    assert deployed.grants_of_role(_function_role(deployed, "NotifyFailures")) == {
        ("dynamodb:Query", TABLE),
        ("dynamodb:BatchGetItem", TABLE),
        ("dynamodb:PutItem", TABLE),
        # R24: the run's last step reads the work list back and settles what no batch finished.
        ("dynamodb:GetItem", TABLE),
        ("dynamodb:UpdateItem", TABLE),
        ("dynamodb:BatchWriteItem", TABLE),
        ("s3:GetObject", f"{DOCUMENTS}/work/*"),
        # R23: whether an outbox object a document was staged for exists (listed, outbox/ only).
        ("s3:ListBucket", DOCUMENTS),
        *_ses("invoices@example.com"),
        # SMS to a phone number: SNS authorizes Publish only on '*' (acknowledged for cdk-nag).
        ("sns:Publish", "*"),
        *KMS_VIA_DYNAMODB_AND_S3,
        *_logs("NotifyFailures"),
        *TRACING,
    }


def test_r26_record_delivery_events_may_read_and_update_invoices_and_consume_its_queue(
    deployed: Synthesized,
) -> None:
    """Lookups by key or query (never a Scan), no index, no S3, no sending; SQS from the event source."""
    queue = "DeliveryFeedback/Queue.Arn"
    assert deployed.grants_of_role(_function_role(deployed, "RecordDeliveryEvents")) == {
        ("dynamodb:BatchGetItem", TABLE),
        ("dynamodb:GetItem", TABLE),
        ("dynamodb:PutItem", TABLE),
        ("dynamodb:Query", TABLE),
        ("dynamodb:UpdateItem", TABLE),
        ("sqs:ChangeMessageVisibility", queue),
        ("sqs:DeleteMessage", queue),
        ("sqs:GetQueueAttributes", queue),
        ("sqs:GetQueueUrl", queue),
        ("sqs:ReceiveMessage", queue),
        *KMS_VIA_DYNAMODB_AND_S3,
        *_logs("RecordDeliveryEvents"),
        *TRACING,
    }


def test_state_machine_may_invoke_its_functions_read_work_lists_and_run_its_map(
    deployed: Synthesized,
) -> None:
    role = deployed.render(deployed.resource("Workflow/NightlyRun")["Properties"]["RoleArn"]).removesuffix(
        ".Arn"
    )
    states = "arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:"
    # Vended log delivery and X-Ray: no resource-level permissions (acknowledged for cdk-nag).
    log_delivery = {
        *("logs:CreateLogDelivery", "logs:DeleteLogDelivery", "logs:DescribeLogGroups"),
        *("logs:DescribeResourcePolicies", "logs:GetLogDelivery", "logs:ListLogDeliveries"),
        *("logs:PutResourcePolicy", "logs:UpdateLogDelivery"),
        *(
            "xray:GetSamplingRules",
            "xray:GetSamplingTargets",
            "xray:PutTelemetryRecords",
            "xray:PutTraceSegments",
        ),
    }
    assert deployed.grants_of_role(deployed.logical_id(role)) == {
        ("lambda:InvokeFunction", "Functions/SelectInvoices.Arn"),
        ("lambda:InvokeFunction", "Functions/DispatchInvoice.Arn"),
        ("lambda:InvokeFunction", "Functions/NotifyFailures.Arn"),
        ("s3:GetObject", f"{DOCUMENTS}/work/*"),
        # The Distributed Map's ResultWriter keeps the state's output bounded.
        ("s3:PutObject", f"{DOCUMENTS}/work/results/*"),
        ("kms:Decrypt", DATA_KEY),
        ("kms:GenerateDataKey", DATA_KEY),
        ("states:StartExecution", f"{states}stateMachine:Autodispatch-NightlyRun"),
        ("states:DescribeExecution", f"{states}execution:Autodispatch-NightlyRun:*"),
        ("states:StopExecution", f"{states}execution:Autodispatch-NightlyRun:*"),
        ("states:RedriveExecution", f"{states}execution:Autodispatch-NightlyRun/DispatchBatches:*"),
        *((action, "*") for action in log_delivery),
    }


def _allow_statements(synth: Synthesized) -> list[tuple[str, dict[str, Any]]]:
    """Every Allow statement of every policy in the template: IAM, resource policies, key policies."""
    found: list[tuple[str, dict[str, Any]]] = []

    def walk(where: str, node: Any) -> None:
        if isinstance(node, dict):
            if "Statement" in node and isinstance(node["Statement"], list):
                found.extend((where, s) for s in node["Statement"] if s.get("Effect") == "Allow")
            for value in node.values():
                walk(where, value)
        elif isinstance(node, list):
            for value in node:
                walk(where, value)

    for logical_id, resource in synth.resources.items():
        walk(logical_id, resource.get("Properties", {}))
    return found


def _is_key_policy_delegation_to_iam(synth: Synthesized, where: str, statement: dict[str, Any]) -> bool:
    """AWS's default key policy: the account root may use the key, so IAM policies decide who can."""
    principal = synth.render(statement.get("Principal", {}).get("AWS", ""))
    return (
        synth.resources[where]["Type"] == "AWS::KMS::Key"
        and statement["Action"] == "kms:*"
        and principal == "arn:<AWS::Partition>:iam::<AWS::AccountId>:root"
    )


def test_no_allow_statement_anywhere_has_a_wildcard_action(every_synth: Synthesized) -> None:
    statements = _allow_statements(every_synth)
    assert len(statements) > 20
    offending = []
    for where, statement in statements:
        if _is_key_policy_delegation_to_iam(every_synth, where, statement):
            continue
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert "NotAction" not in statement
        offending += [
            (where, action) for action in actions if action == "*" or action.endswith(":*") or "*" in action
        ]
    assert offending == []


def test_roles_have_no_managed_policies(every_synth: Synthesized) -> None:
    for logical_id, role in every_synth.of_type("AWS::IAM::Role").items():
        assert "ManagedPolicyArns" not in role["Properties"], logical_id


@pytest.mark.parametrize(
    "function", ["SelectInvoices", "DispatchInvoice", "NotifyFailures", "RecordDeliveryEvents"]
)
def test_functions_use_the_data_key_only_through_dynamodb_and_s3(
    deployed: Synthesized, function: str
) -> None:
    kms = [
        s
        for s in deployed.statements_of_role(_function_role(deployed, function))
        if s["Action"][0].startswith("kms:")
    ]
    (statement,) = kms
    services = [deployed.render(value) for value in statement["Condition"]["StringEquals"]["kms:ViaService"]]
    assert services == ["dynamodb.<AWS::Region>.amazonaws.com", "s3.<AWS::Region>.amazonaws.com"]
