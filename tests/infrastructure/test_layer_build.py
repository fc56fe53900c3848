"""The Docker-free layer build: keyed by its inputs, so an unchanged layer is never rebuilt."""

from pathlib import Path

from cdk.layer_build import dependencies_hash, layer_hash, runtime_python_version


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
