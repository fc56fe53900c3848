"""`make bench`: rendering cost per invoice, then a night in both transport configurations with its
requests, write units and cost per 1,000,000 invoices billed as AWS bills.

`python -m benchmarks selector --pending N` measures the selection alone (benchmarks/selector.py);
`python -m benchmarks notify --tenants T --failed F` a notification night (benchmarks/notify.py).

Arguments: [tenants] [invoices per tenant], default 10 and 100 (1,000 invoices per configuration).
Exits non-zero when a night did not succeed (its figures would be wrong) or a cost crosses its target.
"""

import json
import sys
from typing import Any


def main() -> None:
    # Each part imports only what it measures.
    if sys.argv[1:2] == ["selector"]:
        from benchmarks import selector  # noqa: PLC0415

        selector.main(sys.argv)
        return
    if sys.argv[1:2] == ["notify"]:
        from benchmarks import notify  # noqa: PLC0415

        notify.main(sys.argv)
        return
    from benchmarks import cost, render, requests  # noqa: PLC0415

    tenants = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    per_tenant = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    nights = requests.run(tenants, per_tenant)
    report = {
        "render_ms_per_invoice": render.run(),
        "nights": {
            name: {
                **{key: value for key, value in night.items() if key != "lambda_durations"},
                "write_units_per_invoice": cost.write_units_per_invoice(night),
                "lambda_seconds": _seconds_by_function(night),
            }
            for name, night in nights.items()
        },
    }
    sys.stdout.write(json.dumps(report, indent=2) + "\n")
    for name, night in nights.items():
        if night["status"] != ["SUCCEEDED"] or night["sent"] != night["invoices"]:
            sys.exit(
                f"bench: the {name} night ended {night['status']} with {night['sent']} of "
                f"{night['invoices']} invoices sent; its figures are not valid"
            )
    costs = {name: cost.cost_per_million(night) for name, night in nights.items()}
    capacity = cost.default_capacity()
    # Last: the table ends with the line infra_usd_per_million_invoices=X.
    estimates = {
        name: sum(cost.cost_per_million(night, estimate=True).values()) for name, night in nights.items()
    }
    sys.stdout.write(render.maximal_pdf_verdict(report["render_ms_per_invoice"]) + "\n")
    sys.stdout.write(
        cost.table(
            costs,
            cost.ses_per_million(nights["http"]),
            estimates,
            {name: cost.writes_at_floor_per_million(night) for name, night in nights.items()},
            {
                capacity: {name: cost.dynamodb_per_million(night, capacity) for name, night in nights.items()}
                for capacity in cost.CAPACITY_MODES
            },
            capacity,
        )
        + "\n"
    )
    over = [
        name for name, night in nights.items() if cost.total_per_million(night, capacity) > cost.TARGETS[name]
    ]
    failures = render.over_target(report["render_ms_per_invoice"])
    if over:
        failures.append(f"cost over target in {', '.join(over)}")
    if failures:
        sys.exit("bench: " + "; ".join(failures))


def _seconds_by_function(night: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Per function, in total and the median invocation's: the wall-clock here, its waits for a
    core of this machine, moto answering its requests, its CPU, the duration Lambda bills, and the
    CPU-only estimate beside it."""
    from benchmarks import cost  # noqa: PLC0415

    by_function: dict[str, dict[str, list[float]]] = {}
    billed = cost.billed_durations(night)
    estimated = cost.billed_durations(night, estimate=True)
    for raw, (_, seconds), (_, estimate) in zip(night["lambda_durations"], billed, estimated, strict=True):
        invocation = cost.Invocation(*raw)
        figures = by_function.setdefault(invocation.function, {})
        for kind, value in (
            ("wall_here", invocation.wall),
            ("run_queue", invocation.run_queue),
            ("emulated", invocation.emulated),
            ("cpu", invocation.cpu),
            ("billed", seconds),
            ("estimate", estimate),
        ):
            figures.setdefault(kind, []).append(value)
    return {
        name: {
            f"{kind}_{measure}": round(value, 3)
            for kind, values in figures.items()
            for measure, value in (("total", sum(values)), ("median", sorted(values)[len(values) // 2]))
        }
        for name, figures in by_function.items()
    }


if __name__ == "__main__":
    main()
