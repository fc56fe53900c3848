"""The runtime configuration of the Lambda functions: environment variables, validated once."""

import os
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, Json, PositiveInt

# As deployed unless the CDK context's dispatchWorkers says otherwise.
DISPATCH_WORKERS = 3


class RuntimeConfig(BaseModel):
    """Read from the environment by `load_config`; logic receives it, never reads os.environ."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    table_name: str = Field(alias="TABLE_NAME")
    bucket_name: str = Field(alias="BUCKET_NAME")
    time_zone: str = Field(default="Europe/Helsinki", alias="RUN_TIME_ZONE")
    batch_size: PositiveInt = Field(default=50, le=500, alias="BATCH_SIZE")
    # Invoices of a batch in flight at once, so one's rendering overlaps another's waits (README, "Cost").
    dispatch_workers: PositiveInt = Field(default=DISPATCH_WORKERS, le=8, alias="DISPATCH_WORKERS")
    sender_email: str = Field(default="autodispatch@example.com", alias="SENDER_EMAIL")
    ses_configuration_set: str | None = Field(default=None, alias="SES_CONFIGURATION_SET")
    sms_sender_id: str | None = Field(default=None, alias="SMS_SENDER_ID")
    # Each route's transport (models/routes.py: einvoice, peppol, print) goes to an HTTP API of the
    # operator, Peppol access point or print service, or to the S3 outbox.
    einvoice_transport: Literal["s3", "http"] = Field(default="s3", alias="EINVOICE_TRANSPORT")
    einvoice_endpoint: str | None = Field(default=None, alias="EINVOICE_ENDPOINT")
    einvoice_secret_name: str | None = Field(default=None, alias="EINVOICE_SECRET_NAME")
    peppol_transport: Literal["s3", "http"] = Field(default="s3", alias="PEPPOL_TRANSPORT")
    peppol_endpoint: str | None = Field(default=None, alias="PEPPOL_ENDPOINT")
    peppol_secret_name: str | None = Field(default=None, alias="PEPPOL_SECRET_NAME")
    print_transport: Literal["s3", "http"] = Field(default="s3", alias="PRINT_TRANSPORT")
    print_endpoint: str | None = Field(default=None, alias="PRINT_ENDPOINT")
    print_secret_name: str | None = Field(default=None, alias="PRINT_SECRET_NAME")
    # The account's SES maximum send rate (emails a second): notification chunks run at a
    # concurrency that stays within it (logic/notification.py).
    ses_send_rate: float = Field(default=14.0, gt=0, alias="SES_SEND_RATE")
    # An in-doubt claim of a run that died is taken over by a later run after this lease.
    claim_lease_seconds: PositiveInt = Field(default=900, alias="CLAIM_LEASE_SECONDS")
    # The integration API (R27): the state machine it starts runs of, and each system client's
    # granted tenant ids as JSON ({"<client id>": ["*"]} grants every tenant).
    state_machine_arn: str | None = Field(default=None, alias="STATE_MACHINE_ARN")
    api_system_clients: Json[dict[str, list[str]]] = Field(default_factory=dict, alias="API_SYSTEM_CLIENTS")

    def transport(self, name: str) -> tuple[str, str | None, str | None]:
        """The route transport `name`'s mode (`s3` or `http`), endpoint and API key secret."""
        values = self.model_dump()
        return values[f"{name}_transport"], values[f"{name}_endpoint"], values[f"{name}_secret_name"]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


@lru_cache(maxsize=1)
def load_config() -> RuntimeConfig:
    """Validated once per cold start."""
    return RuntimeConfig.model_validate(dict(os.environ))
