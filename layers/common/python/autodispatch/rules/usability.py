"""R13-R15: whether a channel can be used for an invoice; each check returns the reason it cannot."""

from email_validator import EmailNotValidError, validate_email

from autodispatch.models.enums import Channel, CustomerType
from autodispatch.models.scenario import Customer, Invoice, Tenant


def _present(value: str | None) -> bool:
    return value is not None and bool(value.strip())


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


def _incomplete_address(customer: Customer, purpose: str) -> str | None:
    missing = missing_address_parts(customer)
    if not missing:
        return None
    return f"the customer's address details are incomplete for {purpose} (missing: {', '.join(missing)})"


def einvoice_unusable(invoice: Invoice, tenant: Tenant) -> str | None:
    """R13; None when the invoice can go as an e-invoice."""
    customer = invoice.customer
    if customer.type is CustomerType.CONSUMER:
        if not tenant.settings.consumer_einvoicing:
            return "consumer e-invoicing is not enabled in the settings"
        if customer.einvoice_consent is None:
            return "the consumer has not accepted e-invoices from this company in their online bank"
    elif not (_present(customer.einvoice_address) and _present(customer.einvoice_operator)):
        # A blank value ("" or spaces) is no address: it must not reach the operator (R13).
        return "the customer has no e-invoice address and operator"
    return _incomplete_address(customer, "an e-invoice")


def email_unusable(invoice: Invoice) -> str | None:
    """R14; None when the customer has a valid email address."""
    email = invoice.customer.email
    if not email or not email.strip():
        return "the customer has no email address"
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return "the customer's email address is not valid"
    return None


def print_unusable(invoice: Invoice) -> str | None:
    """R15; None when the customer has a complete postal address."""
    return _incomplete_address(invoice.customer, "a letter")


def channel_unusable(channel: Channel, invoice: Invoice, tenant: Tenant) -> str | None:
    match channel:
        case Channel.EINVOICE:
            return einvoice_unusable(invoice, tenant)
        case Channel.EMAIL:
            return email_unusable(invoice)
        case Channel.PRINT:
            return print_unusable(invoice)
