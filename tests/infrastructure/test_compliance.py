"""cdk-nag (AwsSolutions, run as a validation plugin at synth) and cfn-lint on the template."""

from aws_cdk import Validations
from cfnlint.api import lint_file

from .conftest import Synthesized


def _acknowledgments(synth: Synthesized) -> dict[tuple[str, str], str]:
    found: dict[tuple[str, str], str] = {}
    for construct in synth.stack.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
                found |= {(construct.node.path, rule): reason for rule, reason in entry.data.items()}
    return found


def test_cdk_nag_aws_solutions_reports_no_unacknowledged_finding(every_synth: Synthesized) -> None:
    (report,) = every_synth.report["pluginReports"]
    assert report["pluginName"] == "AwsSolutions"
    assert [
        (v["ruleName"], [c["constructPath"] for c in v["violatingConstructs"]]) for v in report["violations"]
    ] == []
    assert report["conclusion"] == "success"
    assert every_synth.error is None


def test_every_nag_acknowledgment_is_on_one_resource_with_a_reason_and_is_used(
    every_synth: Synthesized,
) -> None:
    acknowledgments = _acknowledgments(every_synth)
    assert acknowledgments
    resource_paths = {
        resource["Metadata"]["aws:cdk:path"]
        for resource in every_synth.resources.values()
        if "Metadata" in resource
    }
    for (path, rule), reason in acknowledgments.items():
        assert path in resource_paths, f"{rule} acknowledged on {path}, not on one CloudFormation resource"
        assert rule.startswith("AwsSolutions::AwsSolutions-"), rule
        assert len(reason) >= 60, f"{rule} on {path}: {reason!r}"
    (report,) = every_synth.report["pluginReports"]
    used = {(s["acknowledgedAt"], s["acknowledgedId"]) for s in report["suppressedViolations"]}
    assert set(acknowledgments) == used, "stale acknowledgments: a finding they named no longer exists"


def test_cfn_lint_finds_no_errors_in_the_template(every_synth: Synthesized) -> None:
    matches = lint_file(every_synth.template_file)
    errors = [f"{m.rule.id} {m.message} ({m.path})" for m in matches if m.rule.id.startswith("E")]
    assert errors == []
