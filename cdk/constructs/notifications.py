"""Email through SES (the sender's identity and a configuration set) and SMS through SNS.

SMS needs no resource in the stack: the notify function publishes to phone numbers directly, under
the account's SNS text-messaging settings (spend limit, sandbox, sender id), which CloudFormation
does not manage; the README's Deploy section lists them.
"""

from aws_cdk import Stack
from aws_cdk import aws_ses as ses
from constructs import Construct

from cdk.settings import DeploySettings


class Notifications(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, settings: DeploySettings) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)

        self.configuration_set = ses.ConfigurationSet(
            self,
            "ConfigurationSet",
            reputation_metrics=True,
            suppression_reasons=ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
            # Invoices carry personal data: deliver only over TLS.
            tls_policy=ses.ConfigurationSetTlsPolicy.REQUIRE,
        )
        if settings.create_ses_identity:
            identity = (
                ses.Identity.email(settings.identity)
                if "@" in settings.identity
                else ses.Identity.domain(settings.identity)
            )
            self.email_identity: ses.EmailIdentity | None = ses.EmailIdentity(
                self, "SenderIdentity", identity=identity, configuration_set=self.configuration_set
            )
        else:
            self.email_identity = None

        # SES authorizes a send on the identity that verified the From address: the address itself
        # when it is verified, else its domain. Both are listed when they differ.
        identities = sorted({settings.identity, settings.sender_email})
        self.sending_resources = [
            *(
                stack.format_arn(service="ses", resource="identity", resource_name=name)
                for name in identities
            ),
            stack.format_arn(
                service="ses",
                resource="configuration-set",
                resource_name=self.configuration_set.configuration_set_name,
            ),
        ]
