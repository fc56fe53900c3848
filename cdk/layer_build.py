"""Builds the common Lambda layer without Docker.

pip installs the pinned runtime dependencies (requirements/lambda.txt) as binary wheels for
Lambda's platform (Linux, aarch64, the runtime's CPython) and the shared library is copied beside
them, in the `python/` folder a Python layer must have:

    build/layer/<hash>/python/{pydantic,...,autodispatch}

The result is cached by a hash of every input (requirements, platform, runtime, library files), so a
synth after the first one copies nothing and reaches no network. The third-party part is cached on
its own (build/layer-deps/<hash>) because the library changes far more often than the pins. The
wheels are kept in build/wheels/<hash>, so a rebuild of the same pins needs no network either.

Bytecode: the layer ships `__pycache__` compiled by an interpreter of the runtime's own version
(`python3.14` on PATH) when one is there, in unchecked-hash mode (file times in a Lambda layer are
not the build's). Bytecode of another version would be ignored by the runtime, so without that
interpreter the layer ships sources only and each cold start compiles what it imports.

Run directly (`python -m cdk.layer_build`) to build and print the layer directory.
"""

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cdk.constants import BUILD_DIR, LAMBDA_REQUIREMENTS, LAYER_PLATFORMS, LIBRARY_DIR, RUNTIME

# Bump when the recipe below changes in a way the inputs do not show.
RECIPE_VERSION = "3"
_COMPLETE = ".complete"
# Files of the layer directory that are build bookkeeping, not layer content.
LAYER_ASSET_EXCLUDE = (_COMPLETE,)
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo", ".mypy_cache")
# The AWS services the functions call (boto3.client(...) in the library; a test keeps the two
# equal). botocore's models of the other ~440 services (25 MB) are never read.
BOTOCORE_SERVICES = frozenset({"dynamodb", "s3", "secretsmanager", "sesv2", "sns", "stepfunctions"})
# Babel's CLDR data of the languages every text is rendered in (R30: fi, sv, en, with their regional
# variants) and the root they inherit from; the other ~900 locales (30 MB) are never read.
BABEL_LANGUAGES = ("root", "fi", "sv", "en")


def runtime_python_version(runtime_name: str = RUNTIME.name) -> str:
    """ "python3.14" -> "3.14"."""
    prefix = "python"
    if not runtime_name.startswith(prefix):
        raise ValueError(f"not a Python runtime: {runtime_name}")
    return runtime_name.removeprefix(prefix)


def runtime_interpreter(python_version: str) -> str | None:
    """An interpreter of the runtime's version on this machine, which alone can compile its bytecode."""
    return shutil.which(f"python{python_version}")


def compile_bytecode(python_dir: Path, interpreter: str) -> None:
    """`__pycache__` for every module, valid however the files' times change on the way to Lambda."""
    command = [interpreter, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash"]
    result = subprocess.run([*command, str(python_dir)], capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise RuntimeError(f"compiling the Lambda layer's bytecode failed\n{result.stdout[-4000:]}")


def _library_files(library: Path) -> list[Path]:
    return sorted(
        path
        for path in library.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in {".pyc", ".pyo"}
    )


def dependencies_hash(requirements: Path, python_version: str, platforms: tuple[str, ...]) -> str:
    digest = hashlib.sha256()
    for part in (RECIPE_VERSION, python_version, *platforms):
        digest.update(part.encode() + b"\0")
    digest.update(requirements.read_bytes())
    return digest.hexdigest()[:16]


def layer_hash(dependencies: str, library: Path) -> str:
    digest = hashlib.sha256(dependencies.encode() + b"\0")
    for path in _library_files(library):
        digest.update(path.relative_to(library).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


@contextmanager
def _locked(build_dir: Path) -> Iterator[None]:
    """Parallel synths (pytest -n) build the layer once; the others wait and reuse it."""
    build_dir.mkdir(parents=True, exist_ok=True)
    with (build_dir / ".layer.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _pip(*args: str) -> None:
    command = [sys.executable, "-m", "pip", *args]
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)  # noqa: S603
    if result.returncode != 0:
        raise RuntimeError(f"building the Lambda layer failed: {' '.join(command)}\n{result.stderr[-4000:]}")


def _platform_args(python_version: str, platforms: tuple[str, ...]) -> list[str]:
    args = ["--only-binary=:all:", "--implementation", "cp", "--python-version", python_version]
    for platform in platforms:
        args += ["--platform", platform]
    return args


def _build_dependencies(
    target: Path, wheels: Path, requirements: Path, python_version: str, platforms: tuple[str, ...]
) -> None:
    platform_args = _platform_args(python_version, platforms)
    if not (wheels / _COMPLETE).exists():
        shutil.rmtree(wheels, ignore_errors=True)
        _pip("download", "--quiet", "--dest", str(wheels), *platform_args, "-r", str(requirements))
        (wheels / _COMPLETE).touch()
    staging = Path(tempfile.mkdtemp(prefix=".deps-", dir=target.parent))
    try:
        # --no-compile: bytecode from this interpreter would not match the Lambda runtime's.
        _pip(
            "install", "--quiet", "--no-index", "--find-links", str(wheels), "--no-compile",
            "--target", str(staging / "python"), *platform_args, "-r", str(requirements),
        )  # fmt: skip
        for cache in (staging / "python").rglob("__pycache__"):
            shutil.rmtree(cache, ignore_errors=True)
        # pycountry's translations (22 MB) are never read: only its ISO code tables are used (R25).
        shutil.rmtree(staging / "python" / "pycountry" / "locales", ignore_errors=True)
        for model in (staging / "python" / "botocore" / "data").iterdir():
            if model.is_dir() and model.name not in BOTOCORE_SERVICES:
                shutil.rmtree(model)
        for locale in (staging / "python" / "babel" / "locale-data").glob("*.dat"):
            if locale.stem.split("_")[0] not in BABEL_LANGUAGES:
                locale.unlink()
        (staging / _COMPLETE).touch()
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _link_or_copy(source: str, destination: str) -> None:
    try:
        os.link(source, destination)
    except OSError:
        shutil.copy2(source, destination)


def _prune(directory: Path, keep: str) -> None:
    for entry in directory.iterdir() if directory.exists() else ():
        if entry.is_dir() and entry.name != keep and not entry.name.startswith("."):
            shutil.rmtree(entry, ignore_errors=True)


def build_layer(
    build_dir: Path = BUILD_DIR,
    requirements: Path = LAMBDA_REQUIREMENTS,
    library: Path = LIBRARY_DIR,
    python_version: str | None = None,
    platforms: tuple[str, ...] = LAYER_PLATFORMS,
) -> Path:
    """Return the layer's asset directory (it holds `python/`), building it if its inputs changed."""
    python_version = python_version or runtime_python_version()
    deps_key = dependencies_hash(requirements, python_version, platforms)
    interpreter = runtime_interpreter(python_version)
    # A layer built without bytecode is built again once the runtime's interpreter is there.
    key = layer_hash(f"{deps_key}:bytecode={interpreter is not None}", library)
    layer_dir = build_dir / "layer" / key
    with _locked(build_dir):
        if (layer_dir / _COMPLETE).exists():
            return layer_dir
        deps_dir = build_dir / "layer-deps" / deps_key
        if not (deps_dir / _COMPLETE).exists():
            deps_dir.parent.mkdir(parents=True, exist_ok=True)
            _build_dependencies(
                deps_dir, build_dir / "wheels" / deps_key, requirements, python_version, platforms
            )
        staging = Path(tempfile.mkdtemp(prefix=".layer-", dir=build_dir))
        try:
            # Hard links: the 100+ MB of wheels are not copied again when only the library changed.
            shutil.copytree(
                deps_dir / "python", staging / "python", symlinks=True, copy_function=_link_or_copy
            )
            shutil.copytree(library, staging / "python" / library.name, ignore=_IGNORED)
            if interpreter is not None:
                compile_bytecode(staging / "python", interpreter)
            # The marker sits beside python/; the layer asset excludes it (LAYER_ASSET_EXCLUDE).
            (staging / _COMPLETE).touch()
            _prune(build_dir / "layer", keep=key)
            shutil.rmtree(layer_dir, ignore_errors=True)
            layer_dir.parent.mkdir(parents=True, exist_ok=True)
            staging.rename(layer_dir)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        _prune(build_dir / "layer-deps", keep=deps_key)
        _prune(build_dir / "wheels", keep=deps_key)
    return layer_dir


if __name__ == "__main__":
    print(build_layer())
