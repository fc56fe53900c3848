"""The Docker-free layer build: keyed by its inputs, so an unchanged layer is never rebuilt."""

import re
import sys
from pathlib import Path

from cdk.constants import FUNCTIONS_DIR, LIBRARY_DIR
from cdk.layer_build import (
    BABEL_LANGUAGES,
    BOTOCORE_SERVICES,
    build_layer,
    compile_bytecode,
    dependencies_hash,
    layer_hash,
    runtime_interpreter,
    runtime_python_version,
)


def test_pip_targets_the_runtime_python_version() -> None:
    assert runtime_python_version("python3.14") == "3.14"


def test_dependencies_hash_changes_with_pins_runtime_and_platform(tmp_path: Path) -> None:
    requirements = tmp_path / "lambda.txt"
    requirements.write_text("pydantic==2.14.3\n")
    base = dependencies_hash(requirements, "3.14", ("manylinux2014_aarch64",))
    assert dependencies_hash(requirements, "3.14", ("manylinux2014_aarch64",)) == base
    assert dependencies_hash(requirements, "3.13", ("manylinux2014_aarch64",)) != base
    assert dependencies_hash(requirements, "3.14", ("manylinux2014_x86_64",)) != base
    requirements.write_text("pydantic==2.14.4\n")
    assert dependencies_hash(requirements, "3.14", ("manylinux2014_aarch64",)) != base


def test_layer_hash_follows_library_content_not_bytecode(tmp_path: Path) -> None:
    library = tmp_path / "autodispatch"
    library.mkdir()
    (library / "config.py").write_text("A = 1\n")
    base = layer_hash("deps", library)
    (library / "__pycache__").mkdir()
    (library / "__pycache__" / "config.cpython-311.pyc").write_bytes(b"\0")
    assert layer_hash("deps", library) == base
    (library / "config.py").write_text("A = 2\n")
    assert layer_hash("deps", library) != base
    assert layer_hash("other-deps", library) != layer_hash("deps", library)


def test_bytecode_is_compiled_only_by_an_interpreter_of_the_runtimes_version(tmp_path: Path) -> None:
    """Bytecode of another Python version would be ignored by the runtime (its magic differs)."""
    assert runtime_interpreter("3.99") is None
    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    interpreter = runtime_interpreter(here) or sys.executable
    package = tmp_path / "python" / "autodispatch"
    package.mkdir(parents=True)
    (package / "config.py").write_text("A = 1\n")
    compile_bytecode(tmp_path / "python", interpreter)
    tag = sys.implementation.cache_tag
    compiled = (package / "__pycache__" / f"config.{tag}.pyc").read_bytes()
    # PEP 552 flags: hash-based (bit 0), not checked against the source (bit 1 clear).
    assert int.from_bytes(compiled[4:8], "little") == 0b01


def test_the_layer_keeps_the_model_of_every_aws_service_the_code_calls_and_no_other() -> None:
    """botocore's models are pruned to BOTOCORE_SERVICES: a client of a service left out would fail
    in Lambda only, so the services named in the shipped code are exactly those kept."""
    called = {
        match
        for directory in (LIBRARY_DIR, FUNCTIONS_DIR)
        for path in directory.rglob("*.py")
        for match in re.findall(
            r"""boto3\.client\(\s*["']([a-z0-9-]+)["']""", path.read_text(encoding="utf-8")
        )
    }
    assert called == BOTOCORE_SERVICES
    layer = build_layer() / "python"
    assert {model.name for model in (layer / "botocore" / "data").iterdir() if model.is_dir()} == called
    assert not (layer / "phonenumbers" / "geodata").exists()
    locales = {path.stem for path in (layer / "babel" / "locale-data").glob("*.dat")}
    assert {"root", "fi", "fi_FI", "sv", "sv_FI", "en", "en_FI", "en_001"} <= locales
    assert {locale.split("_")[0] for locale in locales} == set(BABEL_LANGUAGES)
