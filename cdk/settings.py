"""What a deployer sets: the CDK context (cdk.json, or `-c key=value` on the command line).

Validated once at synth, so a typo fails `cdk synth` with the key's name instead of failing the
first night's run.
"""

import math
import re
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aws_cdk import aws_logs as logs
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from autodispatch.config import DISPATCH_WORKERS
from autodispatch.models.routes import CONFIGURED_TRANSPORTS

# The context keys the app reads, in the order the README documents them.
CONTEXT_KEYS = (
    "stackName",
    "senderEmail",
    "sesIdentity",
    "createSesIdentity",
    "scheduleExpression",
    "timeZone",
    "scheduleEnabled",
    "maxConcurrency",
    "sesSendRate",
    "batchSize",
    "dispatchWorkers",
    "claimLeaseSeconds",
    "einvoiceTransport",
    "einvoiceEndpoint",
    "einvoiceSecretName",
    "peppolTransport",
    "peppolEndpoint",
    "peppolSecretName",
    "printTransport",
    "printEndpoint",
    "printSecretName",
    "smsSenderId",
    "alarmEmail",
    "logRetentionDays",
    "tableCapacity",
    "dayWriteUnits",
    "dayReadUnits",
    "nightHours",
)

# A dispatch child's email rate running flat out on a night of the usual mix (a third of the
# invoices by email, about 60 ms an invoice: README, "Pacing email"); the default MaxConcurrency
# keeps the children together within the SES rate.
EMAILS_PER_SECOND_PER_CHILD = 5.0
# Provisioned capacity for the night, from the same pacing: a child dispatches about three times its
# emails in invoices, and each invoice measured (`make bench`) takes about these units a second.
INVOICES_PER_SECOND_PER_CHILD = 3 * EMAILS_PER_SECOND_PER_CHILD
TABLE_WRITE_UNITS_PER_INVOICE = 2.5  # claim, outcome, a third of a delivery event, counters
INDEX_WRITE_UNITS_PER_INVOICE = 1.0  # the outcome takes the invoice off the pending index
TABLE_READ_UNITS_PER_INVOICE = 2.0  # its document and state, strongly consistent
# The selector reads the pending index at the night's start: 1,000,000 entries in about a minute.
INDEX_READ_UNITS_AT_NIGHT = 250
# Target tracking keeps consumed capacity at this share of the provisioned; the night is sized so.
TARGET_UTILIZATION_PERCENT = 70
# The night's capacity is in place this long before the run starts (an increase takes minutes).
SCALE_UP_LEAD_MINUTES = 10

# CloudWatch Logs' retention choices, in days.
_RETENTION_DAYS = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    120: logs.RetentionDays.FOUR_MONTHS,
    150: logs.RetentionDays.FIVE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS,
    545: logs.RetentionDays.EIGHTEEN_MONTHS,
    731: logs.RetentionDays.TWO_YEARS,
    1096: logs.RetentionDays.THREE_YEARS,
    1827: logs.RetentionDays.FIVE_YEARS,
    2192: logs.RetentionDays.SIX_YEARS,
    2557: logs.RetentionDays.SEVEN_YEARS,
    2922: logs.RetentionDays.EIGHT_YEARS,
    3288: logs.RetentionDays.NINE_YEARS,
    3653: logs.RetentionDays.TEN_YEARS,
}


def _daily(minute_of_day: int) -> str:
    return f"cron({minute_of_day % 60} {minute_of_day // 60} * * ? *)"


class SettingsError(ValueError):
    """The CDK context does not describe a deployable stack."""


class DeploySettings(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore", str_strip_whitespace=True)

    stack_name: str = Field(
        default="Autodispatch", alias="stackName", pattern=r"^[A-Za-z][A-Za-z0-9-]{0,63}$"
    )
    sender_email: str = Field(alias="senderEmail", pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    # The SES identity that authorizes the sender: the address itself, or its domain.
    ses_identity: str | None = Field(default=None, alias="sesIdentity")
    create_ses_identity: bool = Field(default=True, alias="createSesIdentity")
    schedule_expression: str = Field(
        default="cron(5 0 * * ? *)", alias="scheduleExpression", pattern=r"^(cron|rate|at)\(.+\)$"
    )
    time_zone: str = Field(default="Europe/Helsinki", alias="timeZone")
    schedule_enabled: bool = Field(default=True, alias="scheduleEnabled")
    # Unset: derived from the SES rate (`map_concurrency`).
    max_concurrency: int | None = Field(default=None, ge=1, le=10000, alias="maxConcurrency")
    # The account's SES maximum send rate (emails per second; 14 for a new production account).
    ses_send_rate: float = Field(default=14.0, gt=0, alias="sesSendRate")
    batch_size: int = Field(default=100, ge=1, le=500, alias="batchSize")
    # Invoices of a batch in flight at once in a DispatchInvoice invocation (README, "Cost").
    dispatch_workers: int = Field(default=DISPATCH_WORKERS, ge=1, le=8, alias="dispatchWorkers")
    claim_lease_seconds: int = Field(default=900, ge=60, alias="claimLeaseSeconds")
    einvoice_transport: Literal["s3", "http"] = Field(default="s3", alias="einvoiceTransport")
    einvoice_endpoint: str | None = Field(default=None, alias="einvoiceEndpoint")
    einvoice_secret_name: str | None = Field(default=None, alias="einvoiceSecretName")
    peppol_transport: Literal["s3", "http"] = Field(default="s3", alias="peppolTransport")
    peppol_endpoint: str | None = Field(default=None, alias="peppolEndpoint")
    peppol_secret_name: str | None = Field(default=None, alias="peppolSecretName")
    print_transport: Literal["s3", "http"] = Field(default="s3", alias="printTransport")
    print_endpoint: str | None = Field(default=None, alias="printEndpoint")
    print_secret_name: str | None = Field(default=None, alias="printSecretName")
    sms_sender_id: str | None = Field(default=None, alias="smsSenderId", pattern=r"^[A-Za-z0-9]{1,11}$")
    alarm_email: str | None = Field(default=None, alias="alarmEmail", pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    log_retention_days: int = Field(default=90, alias="logRetentionDays")
    # On demand by day and provisioned for the night (the default), on demand always, or provisioned
    # always with the night's capacity scaled around the run (README, "Cost").
    table_capacity: Literal["night", "on_demand", "provisioned"] = Field(
        default="night", alias="tableCapacity"
    )
    # Provisioned: what the day keeps (the API's imports and reads) and how long the night's lasts.
    day_write_units: int = Field(default=5, ge=1, alias="dayWriteUnits")
    day_read_units: int = Field(default=5, ge=1, alias="dayReadUnits")
    night_hours: int = Field(default=8, ge=1, le=20, alias="nightHours")

    @field_validator("*", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        # cdk.json lists every key; "" means "not set" and `-c key=` clears one.
        return None if value == "" else value

    @field_validator("time_zone")
    @classmethod
    def _known_time_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown IANA time zone {value!r}") from error
        return value

    @field_validator("log_retention_days")
    @classmethod
    def _cloudwatch_retention(cls, value: int) -> int:
        if value not in _RETENTION_DAYS:
            raise ValueError(f"CloudWatch Logs retention must be one of {sorted(_RETENTION_DAYS)}")
        return value

    @model_validator(mode="after")
    def _http_transports_have_https_endpoints(self) -> "DeploySettings":
        for kind in CONFIGURED_TRANSPORTS:
            transport, endpoint, _ = self.transport(kind)
            if transport == "http" and not (endpoint or "").startswith("https://"):
                raise ValueError(f"{kind}Transport=http needs an https:// {kind}Endpoint")
        return self

    @model_validator(mode="after")
    def _the_night_s_capacity_follows_a_daily_schedule(self) -> "DeploySettings":
        if self.table_capacity != "on_demand":
            self.night_start()
        return self

    def night_start(self) -> tuple[int, int]:
        """(hour, minute) of the nightly run: provisioned capacity is scheduled around it, so the
        schedule must be a fixed daily time, cron(M H * * ? *)."""
        match = re.fullmatch(r"cron\((\d{1,2}) (\d{1,2}) \* \* \? \*\)", self.schedule_expression)
        if match is None:
            raise ValueError(
                f"tableCapacity={self.table_capacity} needs a daily scheduleExpression cron(M H * * ? *) "
                f"to scale around, not {self.schedule_expression}"
            )
        return int(match[2]), int(match[1])

    def night_scaling(self) -> tuple[str, str]:
        """The cron expressions (in timeZone) that raise the night's capacity before the run and lower
        it to the day's `night_hours` later."""
        hour, minute = self.night_start()
        up = (hour * 60 + minute - SCALE_UP_LEAD_MINUTES) % (24 * 60)
        down = (up + self.night_hours * 60) % (24 * 60)
        return _daily(up), _daily(down)

    def night_units(self, units_per_invoice: float) -> int:
        """Capacity units for the night's rate: every child dispatching flat out, at the target use."""
        rate = self.map_concurrency * INVOICES_PER_SECOND_PER_CHILD * units_per_invoice
        return math.ceil(rate * 100 / TARGET_UTILIZATION_PERCENT)

    def transport(self, name: str) -> tuple[str, str | None, str | None]:
        """The route transport `name`'s (models/routes.py) mode, endpoint and API key secret name."""
        values = self.model_dump()
        return values[f"{name}_transport"], values[f"{name}_endpoint"], values[f"{name}_secret_name"]

    def check_claim_lease(self, dispatch_timeout_seconds: int) -> None:
        """R23: a claim must outlive the invocation that holds it. A lease of at least twice the
        DispatchInvoice timeout means a later run can take over only a claim whose invocation has
        certainly ended, never one that is still sending."""
        least = 2 * dispatch_timeout_seconds
        if self.claim_lease_seconds < least:
            raise SettingsError(
                f"invalid CDK context: claimLeaseSeconds: {self.claim_lease_seconds} is too short; it "
                f"must be at least {least} (twice the DispatchInvoice timeout of {dispatch_timeout_seconds} "
                "s), so another run can never take over the claim of a send still in progress"
            )

    @property
    def identity(self) -> str:
        return self.ses_identity or self.sender_email

    @property
    def log_retention(self) -> logs.RetentionDays:
        return _RETENTION_DAYS[self.log_retention_days]

    @property
    def map_concurrency(self) -> int:
        """The Distributed Map's MaxConcurrency: email is paced by how many batches run at once,
        never by a function sleeping (R24). Unless set, as many children as keep a night of the
        usual mix within the account's SES rate: each child sends about EMAILS_PER_SECOND_PER_CHILD."""
        if self.max_concurrency is not None:
            return self.max_concurrency
        return max(1, math.floor(self.ses_send_rate / EMAILS_PER_SECOND_PER_CHILD))

    @property
    def uses_s3_outbox(self) -> bool:
        return any(self.transport(name)[0] == "s3" for name in CONFIGURED_TRANSPORTS)

    @property
    def secret_names(self) -> tuple[str, ...]:
        transports = (self.transport(name) for name in CONFIGURED_TRANSPORTS)
        return tuple(sorted({secret for mode, _, secret in transports if mode == "http" and secret}))


def load_settings(context: dict[str, Any]) -> DeploySettings:
    """`context` maps the keys of CONTEXT_KEYS to values (strings from `-c`, JSON values from cdk.json)."""
    try:
        return DeploySettings.model_validate({key: context[key] for key in CONTEXT_KEYS if key in context})
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc']) or 'context'}: {problem['msg']}"
            for problem in error.errors()
        )
        raise SettingsError(f"invalid CDK context: {problems}") from None
