"""`make bench`: rendering cost per invoice and AWS requests per invoice of a nightly run."""

import json
import sys

from benchmarks import requests


def main() -> None:
    sections: dict[str, object] = {}
    try:
        from benchmarks import render  # noqa: PLC0415 - present once the channels benchmark exists
    except ImportError:
        render = None  # type: ignore[assignment]
    if render is not None:
        sections["render_ms_per_invoice"] = render.run()
    tenants = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    per_tenant = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    sections["nightly_run"] = requests.run(tenants, per_tenant)
    sys.stdout.write(json.dumps(sections, indent=2) + "\n")


if __name__ == "__main__":
    main()
