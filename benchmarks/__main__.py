"""`make bench`: rendering cost per invoice and AWS requests per invoice of a nightly run.

Arguments: [tenants] [invoices per tenant], default 50 and 100 (5,000 invoices).
"""

import json
import sys

from benchmarks import render, requests


def main() -> None:
    tenants = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    per_tenant = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    report = {"render_ms_per_invoice": render.run(), "nightly_run": requests.run(tenants, per_tenant)}
    sys.stdout.write(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
