"""Tenants, settings and invoices exactly as the scenario format of SCENARIO-FORMAT.md has them."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from typing import Annotated, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationInfo,
    field_validator,
    model_validator,
)

from autodispatch.errors import shown
from autodispatch.models.enums import (
    Channel,
    CustomerType,
    InvoiceStatus,
    Language,
    PaymentMethod,
    Source,
    Timing,
)
from autodispatch.models.fields import (
    AddressLine,
    Bic,
    BusinessId,
    CountryCode,
    CurrencyCode,
    Day,
    DecimalAmount,
    EInvoiceAddress,
    Iban,
    Identifier,
    Moment,
    Name,
    OperatorCode,
    OptionalAddressLine,
    OptionalCountryCode,
    PaymentReference,
    Phone,
    PrintedText,
    RequiredPrintedText,
    SendableEmail,
    Text,
    bounded,
    is_peppol_participant,
)
from autodispatch.models.invalid import Invalid
from autodispatch.models.limits import (
    AGREEMENT_ID_MAX_LENGTH,
    AMOUNT_MAX_INTEGER_DIGITS,
    BUSINESS_ID_MAX_LENGTH,
    CUSTOMER_NAME_MAX_LENGTH,
    EINVOICE_ROUTING_MAX_LENGTH,
    EMAIL_MAX_LENGTH,
    INVOICE_NUMBER_MAX_LENGTH,
    LINE_DESCRIPTION_MAX_LENGTH,
    LINES_MAX,
    STREET_MAX_LINES,
)
from autodispatch.models.text import Text as Message

CENT = Decimal("0.01")
AMOUNT_LIMIT = 10**AMOUNT_MAX_INTEGER_DIGITS


class _Model(BaseModel):
    # Unknown fields are ignored (dropped), not rejected: the format lets producers add optional fields.
    model_config = ConfigDict(frozen=True, extra="ignore", str_strip_whitespace=False)


class Address(_Model):
    """A customer's postal address. Blank or missing parts are valid input: they make the address
    incomplete, so EINVOICE and PRINT cannot be used (R25, R13, R15), never an import error."""

    street: Annotated[list[OptionalAddressLine], Field(max_length=STREET_MAX_LINES)] = Field(
        default_factory=list
    )
    postcode: OptionalAddressLine = ""
    town: OptionalAddressLine = ""
    country: OptionalCountryCode = ""


class SellerAddress(Address):
    """The tenant's own address goes on every document it sends, so it must be complete."""

    street: Annotated[list[AddressLine], Field(min_length=1, max_length=STREET_MAX_LINES)]
    postcode: AddressLine
    town: AddressLine
    country: CountryCode


class Settings(_Model):
    """Automatic-dispatch settings of one tenant (R1)."""

    active: StrictBool = False
    activated_at: Moment | None = None
    sources: list[Source] = Field(default_factory=list)
    channels: list[Channel] = Field(default_factory=list)
    timing: Timing = Timing.CREATION_DATE
    notify_email: SendableEmail | None = None
    notify_phone: Phone | None = None
    consumer_einvoicing: StrictBool = False
    # The language of the tenant's notifications (R21); optional, so older scenarios stay valid.
    language: Language = Language.EN

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        if len(set(self.sources)) != len(self.sources):
            raise Invalid(Message.of("invalid.source_twice"))
        if len(set(self.channels)) != len(self.channels):
            raise Invalid(Message.of("invalid.channel_twice"))
        return self


class Factoring(_Model):
    """A factoring agreement and where its factoring messages go (R17): an e-invoice address with
    its operator (Finvoice), a Peppol participant id alone (`0216:003712345678`: Peppol BIS 3, the
    network finds the financier's access point), or an email address."""

    financier_name: Name
    agreement_id: Annotated[RequiredPrintedText, bounded(AGREEMENT_ID_MAX_LENGTH)]
    einvoice_address: EInvoiceAddress | None = None
    einvoice_operator: OperatorCode | None = None
    email: SendableEmail | None = None

    @model_validator(mode="after")
    def _has_destination(self) -> Self:
        if self.einvoice_address is None:
            unpaired = self.einvoice_operator is not None
        else:
            unpaired = self.einvoice_operator is None and not is_peppol_participant(self.einvoice_address)
        if unpaired:
            raise Invalid(Message.of("invalid.factoring_pair"))
        if self.einvoice_address is None and self.email is None:
            raise Invalid(Message.of("invalid.factoring_destination"))
        return self


class Tenant(_Model):
    """The seller: a company that uses automatic dispatch."""

    tenant_id: Identifier
    name: Name
    business_id: BusinessId
    address: SellerAddress
    iban: Iban
    bic: Bic
    einvoice_address: EInvoiceAddress
    einvoice_operator: OperatorCode
    settings: Settings = Field(default_factory=Settings)
    factoring: Factoring | None = None


class EInvoiceConsent(_Model):
    """A consumer's receiving consent given in their online bank (R13)."""

    address: EInvoiceAddress
    operator: Bic


class Customer(_Model):
    """Snapshot of the buyer at invoicing. Contact data stays as given: whether a channel
    can use it is a dispatch decision (R13-R15), not an import error."""

    type: CustomerType
    name: Annotated[PrintedText, bounded(CUSTOMER_NAME_MAX_LENGTH)]
    business_id: Annotated[PrintedText, bounded(BUSINESS_ID_MAX_LENGTH)] | None = None
    email: Annotated[Text, bounded(EMAIL_MAX_LENGTH)] | None = None
    einvoice_address: Annotated[Text, bounded(EINVOICE_ROUTING_MAX_LENGTH)] | None = None
    einvoice_operator: Annotated[Text, bounded(EINVOICE_ROUTING_MAX_LENGTH)] | None = None
    einvoice_consent: EInvoiceConsent | None = None
    address: Address | None = None
    language: Language = Language.FI


# Bounded so that a line's net, the VAT and the sums stay exact within Decimal's 28 digits (R25):
# an out-of-range amount is an import error, not a crash when the totals are first needed.
Quantity = Annotated[DecimalAmount, Field(max_digits=15, decimal_places=6)]
UnitPrice = Annotated[DecimalAmount, Field(max_digits=15, decimal_places=6)]


class Line(_Model):
    description: Annotated[RequiredPrintedText, bounded(LINE_DESCRIPTION_MAX_LENGTH)]
    quantity: Quantity
    unit_price: UnitPrice
    vat_rate: Annotated[DecimalAmount, Field(ge=0, le=100)]

    @cached_property
    def net(self) -> Decimal:
        return (self.quantity * self.unit_price).quantize(CENT, ROUND_HALF_UP)


class VatBreakdown(_Model):
    vat_rate: Decimal
    net: Decimal
    vat: Decimal

    @property
    def gross(self) -> Decimal:
        return self.net + self.vat


class Totals(_Model):
    """An invoice's sums, rounded to cents; VAT is computed per rate on the rate's net sum."""

    per_rate: tuple[VatBreakdown, ...]
    net: Decimal
    vat: Decimal
    gross: Decimal


def _rate_key(rate: Decimal) -> Decimal:
    """One key per rate ("25.50" and "25.5" are one rate), written without an exponent:
    Decimal("10").normalize() is 1E+1, which would reach the Finvoice XML as "1E+1"."""
    normal = rate.normalize()
    return normal.quantize(Decimal(1)) if normal == normal.to_integral_value() else normal


def compute_totals(lines: list[Line]) -> Totals:
    """The one place where an invoice's totals and VAT per rate are computed."""
    net_by_rate: dict[Decimal, Decimal] = {}
    for line in lines:
        rate = _rate_key(line.vat_rate)
        net_by_rate[rate] = net_by_rate.get(rate, Decimal(0)) + line.net
    per_rate = tuple(
        VatBreakdown(vat_rate=rate, net=net, vat=(net * rate / 100).quantize(CENT, ROUND_HALF_UP))
        for rate, net in sorted(net_by_rate.items(), reverse=True)
    )
    net_total = sum((entry.net for entry in per_rate), Decimal("0.00"))
    vat_total = sum((entry.vat for entry in per_rate), Decimal("0.00"))
    return Totals(per_rate=per_rate, net=net_total, vat=vat_total, gross=net_total + vat_total)


class Invoice(_Model):
    tenant_id: Identifier
    invoice_id: Identifier
    number: Annotated[RequiredPrintedText, bounded(INVOICE_NUMBER_MAX_LENGTH)]
    source: Source
    status: InvoiceStatus
    created_at: Moment
    invoice_date: Day
    due_date: Day
    delivery_channel: Channel
    auto_dispatch: StrictBool | None = None
    payment_method: PaymentMethod = PaymentMethod.BANK_TRANSFER
    factoring: StrictBool = False
    reference: PaymentReference
    currency: CurrencyCode = "EUR"
    customer: Customer
    lines: Annotated[list[Line], Field(min_length=1, max_length=LINES_MAX)]
    # Optional: when the producer states the gross total, it must add up (R25).
    total: DecimalAmount | None = None

    # Field validators rather than a model validator, so that the error names the field (R25).
    @field_validator("lines")
    @classmethod
    def _amounts_fit(cls, value: list[Line]) -> list[Line]:
        totals = compute_totals(value)
        amounts = [*(line.net for line in value), totals.net, totals.vat, totals.gross]
        if max(abs(amount) for amount in amounts) >= AMOUNT_LIMIT:
            raise Invalid(
                Message.of("invalid.amount_too_large", limit=AMOUNT_LIMIT, digits=AMOUNT_MAX_INTEGER_DIGITS)
            )
        return value

    @field_validator("due_date")
    @classmethod
    def _due_not_before_invoice_date(cls, value: date, info: ValidationInfo) -> date:
        invoice_date = info.data.get("invoice_date")
        if isinstance(invoice_date, date) and value < invoice_date:
            raise Invalid(
                Message.of("invalid.due_before_invoice_date", due=str(value), invoice_date=str(invoice_date))
            )
        return value

    @field_validator("total")
    @classmethod
    def _total_adds_up(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        lines = info.data.get("lines")
        if value is not None and isinstance(lines, list):
            gross = compute_totals(lines).gross
            if value != gross:
                raise Invalid(Message.of("invalid.total_mismatch", total=str(value), gross=str(gross)))
        return value

    @cached_property
    def totals(self) -> Totals:
        return compute_totals(self.lines)

    @property
    def is_credit_note(self) -> bool:
        return self.totals.gross < 0

    @property
    def key(self) -> "InvoiceKey":
        return InvoiceKey(tenant_id=self.tenant_id, invoice_id=self.invoice_id)


class InvoiceKey(_Model):
    """Identifies one invoice across the system (work lists, store, logs)."""

    tenant_id: str
    invoice_id: str

    def __str__(self) -> str:
        # Echoed in errors: one safe line whatever a caller passed (errors.shown).
        return f"{shown(self.tenant_id, quoted=False)}/{shown(self.invoice_id, quoted=False)}"


class Scenario(_Model):
    tenants: list[Tenant] = Field(default_factory=list)
    invoices: list[Invoice] = Field(default_factory=list)
