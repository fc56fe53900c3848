"""`make bench`: rendering cost per invoice and AWS requests per invoice of a nightly run.

`python -m benchmarks selector --pending N` measures the selection alone (benchmarks/selector.py).

Arguments: [tenants] [invoices per tenant], default 10 and 100 (1,000 invoices: a few minutes on a
2-core machine). Exits non-zero when the night did not succeed: per-invoice figures of an
unfinished run would be wrong.
"""

import json
import sys

from benchmarks import cost, render, requests, selector


def main() -> None:
    if sys.argv[1:2] == ["selector"]:
        selector.main(sys.argv)
        return
    tenants = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    per_tenant = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    report = {"render_ms_per_invoice": render.run(), "nightly_run": requests.run(tenants, per_tenant)}
    sys.stdout.write(json.dumps(report, indent=2) + "\n")
    statuses = report["nightly_run"]["status"]
    if statuses != ["SUCCEEDED"]:
        sys.exit(f"bench: the night ended {statuses}, not SUCCEEDED; its figures are not valid")
    # Last: the table ends with the line infra_usd_per_million_invoices=X.
    sys.stdout.write(cost.table(cost.cost_per_million(report["nightly_run"])) + "\n")
    slow = render.over_target(report["render_ms_per_invoice"])
    if slow:
        sys.exit("bench: " + "; ".join(slow))


if __name__ == "__main__":
    main()
