"""One Logger, Tracer and Metrics for the whole library. Service name and namespace come from the
Powertools environment variables, with defaults for code that imports this before they are set
(the local runtime sets them when it starts)."""

import logging
import os
import sys

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "autodispatch")
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "Autodispatch")

# Lambda sends stdout and stderr alike to CloudWatch; stderr keeps a local run's stdout clean for
# its JSON report.
logger = Logger(service=SERVICE, logger_handler=logging.StreamHandler(sys.stderr))
tracer = Tracer(service=SERVICE)
metrics = Metrics(service=SERVICE, namespace=NAMESPACE)
