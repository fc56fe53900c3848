"""The stack outputs the operator CLI reads, by OutputKey."""

from autodispatch_cli import target
from cdk.constants import OUTPUT_WEB_BUCKET_NAME, OUTPUT_WEB_URL

from .conftest import Synthesized


def test_outputs_name_what_the_operator_cli_reads(deployed: Synthesized) -> None:
    outputs = {key: deployed.render(output["Value"]) for key, output in deployed.template["Outputs"].items()}
    assert outputs == {
        "TableName": "ref(Storage/Invoices)",
        "BucketName": "ref(Storage/Documents)",
        "StateMachineArn": "ref(Workflow/NightlyRun)",
        "SelectInvoicesFunctionName": "ref(Functions/SelectInvoices)",
        "DispatchInvoiceFunctionName": "ref(Functions/DispatchInvoice)",
        "NotifyFailuresFunctionName": "ref(Functions/NotifyFailures)",
        "RecordDeliveryEventsFunctionName": "ref(Functions/RecordDeliveryEvents)",
        # R27: where the integration API is and who may call it.
        "ApiUrl": "Api/HttpApi.ApiEndpoint",
        "UserPoolId": "ref(Identity/UserPool)",
        "ApiUserClientId": "ref(Identity/UserPool/UserClient)",
        "ApiSystemClientId": "ref(Identity/UserPool/SystemClient)",
        "ApiOAuthDomain": "https://ref(Identity/UserPool/Domain).auth.<AWS::Region>.amazoncognito.com",
        # R28: the tenant view, and where its files are uploaded.
        "WebUrl": "https://TenantView/Distribution.DomainName/",
        "WebBucketName": "ref(TenantView/Page)",
    }


def test_operator_cli_looks_for_this_stack_and_these_outputs(deployed: Synthesized) -> None:
    assert deployed.stack.stack_name == target.DEFAULT_STACK
    expected = {
        target.OUTPUT_TABLE_NAME,
        target.OUTPUT_BUCKET_NAME,
        target.OUTPUT_STATE_MACHINE_ARN,
        *target.OUTPUT_FUNCTION_NAMES.values(),
        *target.OUTPUT_API,
    }
    # The tenant view's outputs are for the people who upload and open the page, not for the CLI.
    assert expected | {OUTPUT_WEB_URL, OUTPUT_WEB_BUCKET_NAME} == set(deployed.template["Outputs"])
