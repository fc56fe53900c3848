"""R28: the tenant view in the template: a private bucket read by CloudFront through origin access
control, the integration API on the same origin under /api (uncached, the token passed on), a
Content-Security-Policy allowing only the page's own scripts and origin, and the users' client
signing in by authorization code to the distribution."""

from .conftest import Synthesized


def _distribution(deployed: Synthesized) -> dict:  # type: ignore[type-arg]
    (distribution,) = deployed.of_type("AWS::CloudFront::Distribution").values()
    return dict(distribution["Properties"]["DistributionConfig"])


def test_r28_the_page_bucket_is_private_and_read_through_origin_access_control(deployed: Synthesized) -> None:
    bucket = deployed.resource("TenantView/Page")["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    (control,) = deployed.of_type("AWS::CloudFront::OriginAccessControl").values()
    assert control["Properties"]["OriginAccessControlConfig"]["SigningBehavior"] == "always"
    config = _distribution(deployed)
    s3_origin = next(origin for origin in config["Origins"] if "S3OriginConfig" in origin)
    assert "OriginAccessControlId" in s3_origin
    assert config["DefaultRootObject"] == "index.html"
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"


def test_r28_the_api_is_on_the_pages_origin_uncached_with_the_token_passed_on(deployed: Synthesized) -> None:
    config = _distribution(deployed)
    (api,) = config["CacheBehaviors"]
    assert api["PathPattern"] == "/api/*"
    assert "POST" in api["AllowedMethods"]
    assert "PUT" in api["AllowedMethods"]
    assert api["CachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # Managed-CachingDisabled
    assert api["OriginRequestPolicyId"] == "b689b0a8-53d0-40ab-baf2-68738e2966ac"  # AllViewerExceptHostHeader
    (function,) = deployed.of_type("AWS::CloudFront::Function").values()
    assert "substring(4)" in function["Properties"]["FunctionCode"]
    http_origin = next(origin for origin in config["Origins"] if "CustomOriginConfig" in origin)
    # The host of the API's endpoint (https://<id>.execute-api...): its third '/'-separated part.
    select = http_origin["DomainName"]["Fn::Select"]
    assert select[0] == 2
    assert deployed.render(select[1]["Fn::Split"][1]) == "Api/HttpApi.ApiEndpoint"


def test_r28_the_content_security_policy_allows_only_the_pages_own_scripts(deployed: Synthesized) -> None:
    (policy,) = deployed.of_type("AWS::CloudFront::ResponseHeadersPolicy").values()
    security = policy["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    csp = deployed.render(security["ContentSecurityPolicy"]["ContentSecurityPolicy"])
    assert "script-src 'self';" in csp
    assert "default-src 'none'" in csp
    assert "unsafe" not in csp
    assert security["ReferrerPolicy"]["ReferrerPolicy"] == "no-referrer"


def test_r28_users_sign_in_by_authorization_code_back_to_the_page(deployed: Synthesized) -> None:
    client = deployed.resource("Identity/UserPool/UserClient")["Properties"]
    assert client["AllowedOAuthFlows"] == ["code"]
    assert client.get("GenerateSecret") in (None, False)  # a public client: PKCE instead of a secret
    (callback,) = client["CallbackURLs"]
    assert deployed.render(callback) == "https://TenantView/Distribution.DomainName/"
