"""Alarms to an operator topic, and a dashboard of the nightly run and of email delivery."""

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from cdk.constants import EMAIL_ACCOUNT_FAULTS_METRIC, METRICS_NAMESPACE, SERVICE_NAME
from cdk.settings import DeploySettings

FIVE_MINUTES = Duration.minutes(5)
ONE_DAY = Duration.days(1)
ONE_HOUR = Duration.hours(1)
AT_LEAST = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD

# SES puts an account under review at a 5 % bounce rate or a 0.1 % complaint rate and may pause its
# sending (every tenant's email then stops): the operator hears of it well before.
SES_BOUNCE_RATE_ALARM = 0.04
SES_COMPLAINT_RATE_ALARM = 0.0008
SES_BOUNCE_RATE_REVIEW = 0.05
SES_COMPLAINT_RATE_REVIEW = 0.001


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DeploySettings,
        state_machine: sfn.StateMachine,
        functions: dict[str, lambda_.Function],
        log_groups: dict[str, logs.ILogGroup],
        dead_letter_queue: sqs.IQueue,
        feedback_queue: sqs.IQueue,
        feedback_dead_letter_queue: sqs.IQueue,
    ) -> None:
        super().__init__(scope, construct_id)

        # CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed SNS key, so the
        # topic has its own key that allows CloudWatch to use it.
        topic_key = kms.Key(
            self,
            "OperatorTopicKey",
            description="autodispatch: operator alarm topic",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.DESTROY,
        )
        topic_key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],  # in a key policy, "*" is this key
            )
        )
        self.topic = sns.Topic(
            self, "OperatorTopic", display_name="autodispatch alarms", master_key=topic_key, enforce_ssl=True
        )
        if settings.alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(settings.alarm_email))

        self.alarms: list[cloudwatch.Alarm] = []
        sm = state_machine
        self._alarm("NightlyRunFailed", "A nightly run failed.", sm.metric_failed(period=FIVE_MINUTES))
        self._alarm(
            "NightlyRunTimedOut", "A nightly run timed out.", sm.metric_timed_out(period=FIVE_MINUTES)
        )
        self._alarm("NightlyRunAborted", "A nightly run was stopped.", sm.metric_aborted(period=FIVE_MINUTES))
        if settings.schedule_enabled:
            self._alarm(
                "NightlyRunDidNotStart",
                "No nightly run started in the last day: check the schedule and its dead-letter queue.",
                sm.metric_started(period=ONE_DAY),
                comparison=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
                missing=cloudwatch.TreatMissingData.BREACHING,
            )
        for name, fn in functions.items():
            self._alarm(
                f"{name}Errors", f"The {name} function failed.", fn.metric_errors(period=FIVE_MINUTES)
            )
        self._alarm(
            "DeadLetterQueueNotEmpty",
            "The scheduler could not start a nightly run; start it by hand (see the README).",
            dead_letter_queue.metric_approximate_number_of_messages_visible(
                period=FIVE_MINUTES, statistic="Maximum"
            ),
        )
        self._alarm(
            "DeliveryFeedbackDeadLetterQueueNotEmpty",
            "SES delivery events could not be recorded on their invoices: see the README on redriving "
            "the delivery-feedback dead-letter queue.",
            feedback_dead_letter_queue.metric_approximate_number_of_messages_visible(
                period=FIVE_MINUTES, statistic="Maximum"
            ),
        )
        self._alarm(
            "EmailAccountFault",
            "The email service would not send for the sender's account (suspended, sending paused or "
            "an unverified mail-from domain): email stopped for the night and its invoices ended FAILED, "
            "none went on paper. Restore the SES account, then send them manually (see the README).",
            cloudwatch.Metric(
                namespace=METRICS_NAMESPACE,
                metric_name=EMAIL_ACCOUNT_FAULTS_METRIC,
                dimensions_map={"service": SERVICE_NAME},
                statistic="Sum",
                period=FIVE_MINUTES,
            ),
        )
        self._alarm(
            "SesBounceRateHigh",
            "The account's SES bounce rate reached 4 %; SES reviews the account at 5 % and may pause "
            "its sending.",
            ses_reputation("BounceRate"),
            threshold=SES_BOUNCE_RATE_ALARM,
        )
        self._alarm(
            "SesComplaintRateHigh",
            "The account's SES complaint rate reached 0.08 %; SES reviews the account at 0.1 % and may "
            "pause its sending.",
            ses_reputation("ComplaintRate"),
            threshold=SES_COMPLAINT_RATE_ALARM,
        )

        self.dashboard = self._dashboard(settings, sm, functions, log_groups, dead_letter_queue)
        self._delivery_widgets(feedback_queue, feedback_dead_letter_queue)

    def _alarm(
        self,
        construct_id: str,
        description: str,
        metric: cloudwatch.IMetric,
        *,
        threshold: float = 1,
        comparison: cloudwatch.ComparisonOperator = AT_LEAST,
        missing: cloudwatch.TreatMissingData = cloudwatch.TreatMissingData.NOT_BREACHING,
    ) -> None:
        alarm = cloudwatch.Alarm(
            self,
            construct_id,
            alarm_description=description,
            metric=metric,
            threshold=threshold,
            evaluation_periods=1,
            comparison_operator=comparison,
            treat_missing_data=missing,
        )
        alarm.add_alarm_action(actions.SnsAction(self.topic))
        alarm.add_ok_action(actions.SnsAction(self.topic))
        self.alarms.append(alarm)

    def _dashboard(
        self,
        settings: DeploySettings,
        sm: sfn.StateMachine,
        functions: dict[str, lambda_.Function],
        log_groups: dict[str, logs.ILogGroup],
        dead_letter_queue: sqs.IQueue,
    ) -> cloudwatch.Dashboard:
        def business(name: str, label: str) -> cloudwatch.IMetric:
            # Summed over every dimension set the functions emit (per channel, per service).
            search = f"SEARCH('Namespace=\"{METRICS_NAMESPACE}\" MetricName=\"{name}\"', 'Sum', 86400)"
            return cloudwatch.MathExpression(expression=f"SUM({search})", label=label, period=ONE_DAY)

        dashboard = cloudwatch.Dashboard(self, "NightlyRunDashboard", default_interval=Duration.days(14))
        dashboard.add_widgets(
            cloudwatch.TextWidget(
                markdown=(
                    f"# autodispatch nightly run\n"
                    f"Starts `{settings.schedule_expression}` in {settings.time_zone}. Each night is one "
                    "execution of the NightlyRun state machine in the Step Functions console; its "
                    "Distributed Map's batches are under the execution's map run."
                ),
                width=24,
                height=2,
            ),
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Runs per night",
                left=[
                    sm.metric_started(period=ONE_DAY, label="started"),
                    sm.metric_succeeded(period=ONE_DAY, label="succeeded"),
                    sm.metric_failed(period=ONE_DAY, label="failed"),
                    sm.metric_timed_out(period=ONE_DAY, label="timed out"),
                    sm.metric_aborted(period=ONE_DAY, label="aborted"),
                ],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Run duration",
                left=[sm.metric_time(period=ONE_DAY, statistic="Maximum", label="longest run (ms)")],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Invoices per night",
                left=[
                    business("InvoicesSelected", "selected"),
                    business("InvoicesSent", "sent"),
                    business("InvoicesFailed", "failed"),
                    business("InvoicesIgnored", "ignored"),
                    business("TenantsNotified", "tenants notified"),
                ],
                width=8,
            ),
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Lambda errors",
                left=[fn.metric_errors(period=FIVE_MINUTES, label=name) for name, fn in functions.items()],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Lambda duration (p99)",
                left=[
                    fn.metric_duration(period=FIVE_MINUTES, statistic="p99", label=name)
                    for name, fn in functions.items()
                ],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Lambda throttles / unstarted runs",
                left=[fn.metric_throttles(period=FIVE_MINUTES, label=name) for name, fn in functions.items()],
                right=[
                    dead_letter_queue.metric_approximate_number_of_messages_visible(
                        period=FIVE_MINUTES, statistic="Maximum", label="dead-letter queue"
                    )
                ],
                width=8,
            ),
        )
        dashboard.add_widgets(
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=list(self.alarms), width=24, height=3),
        )
        dashboard.add_widgets(
            cloudwatch.LogQueryWidget(
                title="Errors and warnings of the functions",
                log_group_names=[group.log_group_name for group in log_groups.values()],
                query_lines=[
                    "fields @timestamp, level, service, function_name, message, invoice_id",
                    'filter level in ["ERROR", "WARNING", "CRITICAL"]',
                    "sort @timestamp desc",
                    "limit 100",
                ],
                width=24,
                height=8,
            ),
        )
        return dashboard

    def _delivery_widgets(self, queue: sqs.IQueue, dead_letter_queue: sqs.IQueue) -> None:
        self.dashboard.add_widgets(
            reputation_graph("BounceRate", "bounce rate", SES_BOUNCE_RATE_ALARM, SES_BOUNCE_RATE_REVIEW),
            reputation_graph(
                "ComplaintRate", "complaint rate", SES_COMPLAINT_RATE_ALARM, SES_COMPLAINT_RATE_REVIEW
            ),
            cloudwatch.GraphWidget(
                title="Delivery events waiting",
                left=[
                    queue.metric_approximate_number_of_messages_visible(
                        period=FIVE_MINUTES, statistic="Maximum", label="queue"
                    ),
                    dead_letter_queue.metric_approximate_number_of_messages_visible(
                        period=FIVE_MINUTES, statistic="Maximum", label="dead-letter queue"
                    ),
                ],
                right=[
                    queue.metric_approximate_age_of_oldest_message(
                        period=FIVE_MINUTES, statistic="Maximum", label="oldest (s)"
                    )
                ],
                width=8,
            ),
        )


def reputation_graph(rate: str, label: str, alarm: float, review: float) -> cloudwatch.GraphWidget:
    """One reputation rate against where we alarm and where SES reviews the account."""
    return cloudwatch.GraphWidget(
        title=f"SES {label} (account)",
        left=[ses_reputation(rate, label=label)],
        left_annotations=[
            cloudwatch.HorizontalAnnotation(value=alarm, label="alarm"),
            cloudwatch.HorizontalAnnotation(value=review, label="SES review"),
        ],
        width=8,
    )


def ses_reputation(rate: str, label: str | None = None) -> cloudwatch.Metric:
    """The account-wide reputation SES reviews (no dimensions): the highest value of the hour."""
    return cloudwatch.Metric(
        namespace="AWS/SES",
        metric_name=f"Reputation.{rate}",
        statistic="Maximum",
        period=ONE_HOUR,
        label=label,
    )
