"""Reading a scenario file, with one clear line for every way it can be wrong."""

import json
from collections.abc import Iterable
from pathlib import Path

from autodispatch.errors import FieldIssue, InputError
from autodispatch.logic.importing import parse_import
from autodispatch.models.scenario import Scenario


def load_scenario(path: Path, existing_tenants: Iterable[str] = ()) -> Scenario:
    """The scenario in a file, checked for import (R2, R25); its invoices may also belong to
    `existing_tenants`."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InputError([FieldIssue("(file)", f"cannot read {path}: {error.strerror}")]) from None
    except UnicodeDecodeError:
        raise InputError([FieldIssue("(file)", f"{path} is not UTF-8 text")]) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(
            [FieldIssue("(document)", f"{path} is not valid JSON: {error.msg} at line {error.lineno}")]
        ) from None
    return parse_import(data, existing_tenants)
