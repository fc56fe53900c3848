"""Who may call the integration API (R27): a Cognito user pool whose users carry their tenant in
`custom:tenant_id`, an app client for them (ID tokens), a resource server with the system scope,
and the default billing-system client (client credentials), granted every tenant by the API."""

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from cdk.constants import RESOURCE_SERVER_ID, SYSTEM_SCOPE_NAME

TENANT_ATTRIBUTE = "tenant_id"  # read as the claim custom:tenant_id


class Identity(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, domain_prefix: str) -> None:
        super().__init__(scope, construct_id)
        self.user_pool = cognito.UserPool(
            self,
            "UserPool",
            self_sign_up_enabled=False,  # the billing company creates its tenants' users
            sign_in_aliases=cognito.SignInAliases(username=True, email=True),
            custom_attributes={
                # Set when the user is created; a user cannot move itself to another tenant.
                TENANT_ATTRIBUTE: cognito.StringAttribute(min_len=1, max_len=64, mutable=False)
            },
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_digits=True,
                require_lowercase=True,
                require_uppercase=True,
                require_symbols=True,
            ),
            mfa=cognito.Mfa.REQUIRED,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            feature_plan=cognito.FeaturePlan.PLUS,
            standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION,
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.scope = cognito.ResourceServerScope(
            scope_name=SYSTEM_SCOPE_NAME, scope_description="Act on the tenants granted to the client"
        )
        self.resource_server = self.user_pool.add_resource_server(
            "ResourceServer", identifier=RESOURCE_SERVER_ID, scopes=[self.scope]
        )
        self.domain = self.user_pool.add_domain(
            "Domain", cognito_domain=cognito.CognitoDomainOptions(domain_prefix=domain_prefix)
        )
        # Tenant users sign in (SRP) and call the API with their ID token, which carries the tenant.
        self.user_client = self.user_pool.add_client(
            "UserClient",
            auth_flows=cognito.AuthFlow(user_srp=True),
            generate_secret=False,
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
            prevent_user_existence_errors=True,
            o_auth=cognito.OAuthSettings(flows=cognito.OAuthFlows(authorization_code_grant=False)),
        )
        # The billing system: client credentials with the system scope (a secret, no users).
        self.system_client = self.user_pool.add_client(
            "SystemClient",
            generate_secret=True,
            auth_flows=cognito.AuthFlow(),
            access_token_validity=Duration.hours(1),
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(client_credentials=True),
                scopes=[cognito.OAuthScope.resource_server(self.resource_server, self.scope)],
            ),
        )
        self.oauth_domain = self.domain.base_url()
        self.issuer = f"https://cognito-idp.{Aws.REGION}.amazonaws.com/{self.user_pool.user_pool_id}"
