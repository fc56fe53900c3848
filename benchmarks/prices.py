"""The one price list the cost table uses: AWS list prices, us-east-1, on demand, in USD.

Checked against the public price pages in December 2026; update here only. SES sending is shown
apart from the infrastructure total; SNS and the
e-invoice operator's or print service's fees are not infrastructure and are left out.
"""

# DynamoDB on demand: per write request unit (1 KB of item, rounded up per write) and per read
# request unit (4 KB, strongly consistent; an eventually consistent read is half).
DYNAMODB_WRITE_UNIT = 0.625 / 1_000_000
DYNAMODB_READ_UNIT = 0.125 / 1_000_000
# S3 Standard: PUT/COPY/POST/LIST and GET requests.
S3_PUT = 0.005 / 1_000
S3_GET = 0.0004 / 1_000
# Lambda on Graviton (arm64): per request and per GB-second.
LAMBDA_REQUEST = 0.20 / 1_000_000
LAMBDA_GB_SECOND = 0.0000133334
# Step Functions: Standard state transitions; Express (the Distributed Map's children) per request
# and per GB-second, billed in 64 MB steps.
STANDARD_TRANSITION = 0.025 / 1_000
EXPRESS_REQUEST = 1.00 / 1_000_000
EXPRESS_GB_SECOND = 0.00001667
EXPRESS_MEMORY_GB = 64 / 1024
# SQS standard queue, per request (the delivery-feedback queue, R26).
SQS_REQUEST = 0.40 / 1_000_000
# SES outbound email (not infrastructure: shown apart from the total).
SES_EMAIL = 0.10 / 1_000
# DynamoDB provisioned capacity, per unit-hour (write and read capacity units).
DYNAMODB_WCU_HOUR = 0.00065
DYNAMODB_RCU_HOUR = 0.00013
