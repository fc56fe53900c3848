"""`cdk synth` / `cdk deploy` entry point (cdk.json: "python3 cdk/app.py", run from the repo root).

AwsSolutions checks (cdk-nag) run as a validation plugin: an unacknowledged finding fails the synth.
"""

import sys
from pathlib import Path
from typing import Any

_ROOT = Path(__file__).resolve().parents[1]
# Run as a script, Python puts cdk/ first on sys.path, where cdk/constructs/ would shadow the
# `constructs` library: import from the repository root instead.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _ROOT / "cdk"]
for _entry in (_ROOT / "layers" / "common" / "python", _ROOT):
    if str(_entry) not in sys.path:
        sys.path.insert(0, str(_entry))

from aws_cdk import App, Validations  # noqa: E402
from cdk_nag import AwsSolutionsChecks  # noqa: E402

from cdk.settings import CONTEXT_KEYS, load_settings  # noqa: E402
from cdk.stack import AutodispatchStack  # noqa: E402


def build_app(
    context: dict[str, Any] | None = None, outdir: str | None = None
) -> tuple[App, AutodispatchStack]:
    """The app with the nag plugin; `context` is for tests (the CDK CLI passes cdk.json itself)."""
    app = App(context=context, outdir=outdir)
    context_values = {key: app.node.try_get_context(key) for key in CONTEXT_KEYS}
    settings = load_settings({key: value for key, value in context_values.items() if value is not None})
    stack = AutodispatchStack(app, settings.stack_name, settings=settings)
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app, stack


if __name__ == "__main__":
    build_app()[0].synth()
