"""R27: the integration API in the template: every route behind the JWT authorizer of the user
pool, the routes exactly the API function's own, a throttled stage with access logs free of
personal data, the user pool's tenant attribute and clients, and the API function's least privilege."""

import json

from cdk.constructs.api import api_routes

from .conftest import Synthesized
from .test_permissions import DATA_KEY, DOCUMENTS, TABLE, TRACING, _function_role, _logs, _ses

API = "Api/HttpApi"
STATES = "arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:"
PERSONAL = ("sourceIp", "identity", "claims", "requestBody", "userAgent", "path")


def test_r27_every_route_goes_through_the_jwt_authorizer(deployed: Synthesized) -> None:
    routes = deployed.of_type("AWS::ApiGatewayV2::Route")
    authorizers = deployed.of_type("AWS::ApiGatewayV2::Authorizer")
    assert len(authorizers) == 1
    (authorizer_id, authorizer), *_ = authorizers.items()
    assert authorizer["Properties"]["AuthorizerType"] == "JWT"
    assert routes
    for route in routes.values():
        properties = route["Properties"]
        assert properties["AuthorizationType"] == "JWT", properties["RouteKey"]
        assert properties["AuthorizerId"] == {"Ref": authorizer_id}


def test_r27_the_deployed_routes_are_the_handlers_routes(deployed: Synthesized) -> None:
    keys = {
        route["Properties"]["RouteKey"] for route in deployed.of_type("AWS::ApiGatewayV2::Route").values()
    }
    assert keys == {f"{method} {path}" for method, path in api_routes()}
    assert "POST /runs" in keys
    assert "PUT /tenants/{tenant_id}/invoices/{invoice_id}" in keys


def test_r27_the_authorizer_trusts_the_user_pool_and_its_two_clients(deployed: Synthesized) -> None:
    (authorizer,) = deployed.of_type("AWS::ApiGatewayV2::Authorizer").values()
    configuration = authorizer["Properties"]["JwtConfiguration"]
    issuer = deployed.render(authorizer["Properties"]["JwtConfiguration"]["Issuer"])
    assert issuer == "https://cognito-idp.<AWS::Region>.amazonaws.com/ref(Identity/UserPool)"
    audiences = {deployed.render(audience) for audience in configuration["Audience"]}
    assert audiences == {"ref(Identity/UserPool/UserClient)", "ref(Identity/UserPool/SystemClient)"}


def test_r27_the_stage_is_throttled_and_logs_no_personal_data(deployed: Synthesized) -> None:
    (stage,) = deployed.of_type("AWS::ApiGatewayV2::Stage").values()
    properties = stage["Properties"]
    throttle = properties["DefaultRouteSettings"]
    assert throttle["ThrottlingRateLimit"] > 0
    assert throttle["ThrottlingBurstLimit"] > 0
    log_format = json.loads(properties["AccessLogSettings"]["Format"])
    assert "$context.requestId" in log_format.values()
    assert not [value for value in log_format.values() if any(word in value for word in PERSONAL)]


def test_r27_users_carry_their_tenant_and_the_system_client_uses_client_credentials(
    deployed: Synthesized,
) -> None:
    (pool,) = deployed.of_type("AWS::Cognito::UserPool").values()
    attributes = {schema["Name"]: schema for schema in pool["Properties"]["Schema"]}
    assert attributes["tenant_id"]["Mutable"] is False
    clients = {
        deployed.path(lid): c["Properties"]
        for lid, c in deployed.of_type("AWS::Cognito::UserPoolClient").items()
    }
    system = clients["Identity/UserPool/SystemClient"]
    assert system["AllowedOAuthFlows"] == ["client_credentials"]
    assert system["GenerateSecret"] is True
    assert clients["Identity/UserPool/UserClient"].get("GenerateSecret") in (None, False)
    (server,) = deployed.of_type("AWS::Cognito::UserPoolResourceServer").values()
    assert server["Properties"]["Identifier"] == "autodispatch"
    assert [scope["ScopeName"] for scope in server["Properties"]["Scopes"]] == ["system"]


def test_r27_the_api_function_may_use_the_table_send_and_start_and_read_runs_only(
    deployed: Synthesized,
) -> None:
    grants = deployed.grants_of_role(_function_role(deployed, "IntegrationApi"))
    assert grants == {
        *(
            (f"dynamodb:{action}", TABLE)
            for action in (
                "BatchGetItem",
                "BatchWriteItem",
                "DeleteItem",
                "GetItem",
                "PutItem",
                "Query",
                "UpdateItem",
            )
        ),
        ("s3:PutObject", f"{DOCUMENTS}/archive/*"),
        ("s3:PutObject", f"{DOCUMENTS}/outbox/*"),
        ("states:StartExecution", "ref(Workflow/NightlyRun)"),
        ("states:DescribeExecution", f"{STATES}execution:Autodispatch-NightlyRun:*"),  # GET /runs/{run_id}
        *_ses("invoices@example.com"),
        *{
            (action, DATA_KEY)
            for action in ("kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey")
        },
        *_logs("IntegrationApi"),
        *TRACING,
    }


def test_r27_the_default_system_client_is_granted_every_tenant(deployed: Synthesized) -> None:
    environment = deployed.resource("Functions/IntegrationApi")["Properties"]["Environment"]["Variables"]
    assert (
        deployed.render(environment["API_SYSTEM_CLIENTS"]) == '{"ref(Identity/UserPool/SystemClient)":["*"]}'
    )
    assert deployed.render(environment["STATE_MACHINE_ARN"]) == "ref(Workflow/NightlyRun)"
