"""The documented maximum of every id, text and list of the scenario format (R25), in one place.

The README's limits table restates these. They are chosen so that every valid record fits where it
is kept: an id in DynamoDB keys, S3 keys and one file name under `--out`; an invoice document in
one DynamoDB item (400 KB, including attribute names and keys).
"""

from datetime import date

# Ids: UTF-8 bytes, not characters, because keys and file names are limited in bytes. 64 bytes,
# percent-encoded in an S3 key or a file name, is at most 192 characters: two ids fit an S3 key
# (1,024 bytes) and one id with its suffix fits a file name (255 bytes).
ID_MAX_BYTES = 64
ID_PUNCTUATION = "-_.:"

NAME_MAX_LENGTH = 70  # the tenant's and financier's names
# A buyer's name may be longer: Finvoice repeats its 70-character name element.
CUSTOMER_NAME_MAX_LENGTH = 210
ADDRESS_LINE_MAX_LENGTH = 35
STREET_MAX_LINES = 3
EMAIL_MAX_LENGTH = 254  # RFC 5321 path limit
EINVOICE_ROUTING_MAX_LENGTH = 35  # Finvoice's e-invoice address and intermediator fields
BUSINESS_ID_MAX_LENGTH = 35
AGREEMENT_ID_MAX_LENGTH = 35
INVOICE_NUMBER_MAX_LENGTH = 20
LINE_DESCRIPTION_MAX_LENGTH = 512
# 150 lines of 512 four-byte characters is about 330 KB of JSON: an invoice at every maximum
# still fits one DynamoDB item (tests/unit/test_limits.py measures it).
LINES_MAX = 150

# Every line net, VAT sum and total fits Finvoice's amount (15 digits before the decimal comma).
AMOUNT_MAX_INTEGER_DIGITS = 15

TENANTS_MAX = 10_000
INVOICES_MAX = 100_000
# The scenario format nests six levels deep (document, invoices, invoice, customer, address,
# street); anything much deeper is not a scenario and must not reach the recursive parser.
JSON_MAX_DEPTH = 20

DATE_MIN = date(1900, 1, 1)
DATE_MAX = date(2999, 12, 31)
