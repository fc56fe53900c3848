"""The tenant view (R28) deployed: the static page of web/ in a private S3 bucket behind CloudFront
(origin access control), and the integration API on the same CloudFront origin under /api, so that
the page's Content-Security-Policy allows its own origin (and the managed login's token endpoint)
only. A CloudFront function strips /api before the HTTP API. The users' app client gets the
authorization code grant (PKCE, no secret) with the distribution as its callback.

The page's files and its config.json are uploaded after `cdk deploy` (README), so the stack needs
no upload function of its own."""

from aws_cdk import Duration, Fn, RemovalPolicy
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk.nag import acknowledge

API_PATH = "/api"
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self' {oauth}; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
CSP_AROUND_OAUTH = CONTENT_SECURITY_POLICY.split("{oauth}")
# Viewer request of /api/...: the HTTP API's routes have no /api prefix.
STRIP_API_PATH = """function handler(event) {
  var request = event.request;
  if (request.uri.indexOf("/api/") === 0) {
    request.uri = request.uri.substring(4);
  }
  return request;
}"""


class TenantView(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        api_endpoint: str,
        oauth_domain: str,
        user_client: cognito.UserPoolClient,
        access_logs: s3.IBucket,
    ) -> None:
        super().__init__(scope, construct_id)
        self.bucket = s3.Bucket(
            self,
            "Page",
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=access_logs,
            server_access_logs_prefix="web/",
            removal_policy=RemovalPolicy.DESTROY,  # only copies of web/, uploaded again on deploy
        )
        strip_api_path = cloudfront.Function(
            self,
            "StripApiPath",
            runtime=cloudfront.FunctionRuntime.JS_2_0,
            code=cloudfront.FunctionCode.from_inline(STRIP_API_PATH),
        )
        headers = cloudfront.ResponseHeadersPolicy(
            self,
            "SecurityHeaders",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=Fn.join(
                        "", [*CSP_AROUND_OAUTH[:1], oauth_domain, *CSP_AROUND_OAUTH[1:]]
                    ),
                    override=True,
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.NO_REFERRER, override=True
                ),
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=Duration.days(365), include_subdomains=True, override=True
                ),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
            ),
        )
        api_origin = origins.HttpOrigin(Fn.select(2, Fn.split("/", api_endpoint)))
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment="autodispatch tenant view (R28)",
            default_root_object="index.html",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                response_headers_policy=headers,
            ),
            additional_behaviors={
                f"{API_PATH}/*": cloudfront.BehaviorOptions(
                    origin=api_origin,
                    viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                    allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                    cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                    origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
                    response_headers_policy=headers,
                    function_associations=[
                        cloudfront.FunctionAssociation(
                            function=strip_api_path, event_type=cloudfront.FunctionEventType.VIEWER_REQUEST
                        )
                    ],
                )
            },
        )
        self.url = f"https://{self.distribution.distribution_domain_name}/"
        _sign_in_by_code(user_client, self.url)
        for rule, reason in _DISTRIBUTION_ACKNOWLEDGMENTS.items():
            acknowledge(self.distribution, rule, reason)


_DISTRIBUTION_ACKNOWLEDGMENTS = {
    "AwsSolutions-CFR1": "The billing company's tenants sign in from wherever they work; every request "
    "needs a Cognito token, so a geographic restriction would only lock out travelling users.",
    "AwsSolutions-CFR2": "The page is static and public by design; every API call behind /api is "
    "authorized by the JWT authorizer and throttled on the HTTP API stage (50/s, bursts of 100).",
    "AwsSolutions-CFR3": "CloudFront standard logs need an ACL-enabled bucket and would record viewers' "
    "IP addresses; the HTTP API's access log records each API request's ids, route and status.",
    "AwsSolutions-CFR4": "No custom domain: the distribution uses the default *.cloudfront.net "
    "certificate, whose security policy CloudFront fixes; a custom domain's certificate would "
    "allow TLSv1.2_2021.",
}


def _sign_in_by_code(user_client: cognito.UserPoolClient, callback_url: str) -> None:
    """The managed login sends the page an authorization code (the page holds the PKCE verifier);
    set on the client's resource because the client exists before the distribution it returns to."""
    resource = user_client.node.default_child
    assert isinstance(resource, cognito.CfnUserPoolClient)
    resource.allowed_o_auth_flows = ["code"]
    resource.allowed_o_auth_flows_user_pool_client = True
    resource.allowed_o_auth_scopes = ["openid", "email", "profile"]
    resource.callback_ur_ls = [callback_url]
    resource.logout_ur_ls = [callback_url]
    resource.supported_identity_providers = ["COGNITO"]
