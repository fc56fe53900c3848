"""The library's dependency direction: models <- rules <- logic; the store adapter depends on the
models and its own ports only, so it can decide no rule."""

import ast
from pathlib import Path

import pytest

LIBRARY = Path(__file__).resolve().parents[2] / "layers" / "common" / "python" / "autodispatch"
BASE = ("autodispatch.errors", "autodispatch.models", "autodispatch.observability")
ALLOWED = {
    "models": BASE,
    "rules": (*BASE, "autodispatch.rules"),
    "store": (*BASE, "autodispatch.store"),
}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return {name for name in names if name.split(".")[0] == "autodispatch"}


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_what_its_layer_may(package: str) -> None:
    modules = sorted((LIBRARY / package).rglob("*.py"))
    assert modules
    wrong = {
        f"{module.relative_to(LIBRARY)} imports {name}"
        for module in modules
        for name in _imports(module)
        if not any(name == allowed or name.startswith(f"{allowed}.") for allowed in ALLOWED[package])
    }
    assert wrong == set()
