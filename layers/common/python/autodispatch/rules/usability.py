"""R13-R15: whether a channel can be used for an invoice; each check returns the reason it cannot."""

import re

from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, ConfigDict
from stdnum import bic, iban
from stdnum.fi import ytunnus

from autodispatch.models.enums import Channel, CustomerType
from autodispatch.models.fields import is_peppol_participant
from autodispatch.models.scenario import Customer, Invoice, Tenant
from autodispatch.models.text import Text

# OVT code: 0037, the eight digits of a Finnish business ID (check digit included), and an
# optional organisation-unit suffix of up to five letters or digits.
_OVT = re.compile(r"0037(?P<business_id>[0-9]{8})[0-9A-Za-z]{0,5}")


class Unusable(BaseModel):
    """Why a channel cannot be used: the full reason (details, history) and a few words for the
    one-line message of a FAILED invoice (R16)."""

    model_config = ConfigDict(frozen=True)

    reason: Text
    summary: Text

    @classmethod
    def because(cls, code: str, **params: Text | tuple[Text, ...]) -> "Unusable":
        """The reason `reason.<code>` with its few words `summary.<code>`."""
        return cls(reason=Text.of(f"reason.{code}", **params), summary=Text.of(f"summary.{code}"))


def _is_ovt(value: str) -> bool:
    match = _OVT.fullmatch(value)
    if match is None:
        return False
    digits = match.group("business_id")
    return bool(ytunnus.is_valid(f"{digits[:7]}-{digits[7]}"))


def _routing_problem(address: str, operator: str) -> Unusable | None:
    """Whether an e-invoice can be routed: the address an OVT code or IBAN, the intermediator an
    OVT code or a BIC-like code (R13). Values are left out of the reason: a consumer's is an IBAN."""
    compact_address, compact_operator = address.replace(" ", ""), operator.replace(" ", "")
    if not (_is_ovt(compact_address) or iban.is_valid(compact_address)):
        return Unusable.because("einvoice_address_invalid")
    if not (_is_ovt(compact_operator) or bic.is_valid(compact_operator)):
        return Unusable.because("einvoice_operator_invalid")
    return None


def missing_address_parts(customer: Customer) -> list[str]:
    """The parts a complete address lacks: the name and every Address field, non-blank (R13, R15)."""
    missing = [] if customer.name.strip() else ["name"]
    address = customer.address
    if address is None:
        return [*missing, "postal address"]
    if not any(line.strip() for line in address.street):
        missing.append("street")
    parts = (("postcode", address.postcode), ("town", address.town), ("country", address.country))
    missing.extend(part for part, value in parts if not value.strip())
    return missing


def _incomplete_address(customer: Customer, purpose: str) -> Unusable | None:
    missing = missing_address_parts(customer)
    if not missing:
        return None
    parts = tuple(Text.of(f"part.{part.replace(' ', '_')}") for part in missing)
    return Unusable.because(f"address_incomplete_{purpose}", missing=parts)


def einvoice_unusable(invoice: Invoice, tenant: Tenant) -> Unusable | None:
    """R13; None when the invoice can go as an e-invoice."""
    customer = invoice.customer
    if customer.type is CustomerType.CONSUMER:
        if not tenant.settings.consumer_einvoicing:
            return Unusable.because("consumer_einvoicing_disabled")
        consent = customer.einvoice_consent
        if consent is None:
            return Unusable.because("no_einvoice_consent")
        routing = _routing_problem(consent.address, consent.operator)
    elif is_peppol_participant(customer.einvoice_address):
        # A Peppol participant needs no operator: the network finds its access point. Whether the
        # scheme and value are acceptable is the Peppol rules' decision at the validation gate.
        routing = None
    else:
        address, operator = customer.einvoice_address, customer.einvoice_operator
        if address is None or operator is None or not (address.strip() and operator.strip()):
            # A blank value ("" or spaces) is no address: it must not reach the operator (R13).
            return Unusable.because("no_einvoice_address")
        routing = _routing_problem(address, operator)
    return routing or _incomplete_address(customer, "einvoice")


def email_unusable(invoice: Invoice) -> Unusable | None:
    """R14; None when the customer has a valid email address."""
    email = invoice.customer.email
    if not email or not email.strip():
        return Unusable.because("no_email_address")
    try:
        address = validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return Unusable.because("email_invalid")
    if address.ascii_email is None:
        # Valid, but only over SMTPUTF8, which our SES path does not use: the chain goes on (R12).
        return Unusable.because("email_needs_smtputf8")
    return None


def print_unusable(invoice: Invoice) -> Unusable | None:
    """R15; None when the customer has a complete postal address."""
    return _incomplete_address(invoice.customer, "letter")


def channel_unusable(channel: Channel, invoice: Invoice, tenant: Tenant) -> Unusable | None:
    match channel:
        case Channel.EINVOICE:
            return einvoice_unusable(invoice, tenant)
        case Channel.EMAIL:
            return email_unusable(invoice)
        case Channel.PRINT:
            return print_unusable(invoice)
