"""The layer rule of ``docs/architecture.md``, checked on the code.

The test reads the doc's layer table (so the doc cannot drift from the code): every Python
module of ``conformance/``, ``reference_impl/`` and ``benchmarks/`` must be in exactly one
layer, and no module may import a module of a higher layer (imports inside functions and
under ``TYPE_CHECKING`` count too). The reference implementation never imports the suite.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"
PACKAGES = ("conformance", "reference_impl", "benchmarks")


@dataclass(frozen=True)
class Layer:
    """One row of the doc's table: its position (0 = bottom), name and module prefixes."""

    index: int
    name: str
    #: Dotted names: a package entry (``conformance.targets``) covers its submodules.
    packages: tuple[str, ...]
    modules: tuple[str, ...]


def doc_layers(text: str) -> list[Layer]:
    """The layer table under "Layers, from the bottom up", bottom first."""
    section = text.split("## Layers, from the bottom up", 1)[1].split("\n## ", 1)[0]
    layers: list[Layer] = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 3 or cells[0] in ("layer", "") or set(cells[0]) <= {"-"}:
            continue
        packages, modules = [], []
        for path in re.findall(r"`([^`]+)`", cells[1]):
            dotted = path.rstrip("/").removesuffix(".py").replace("/", ".")
            if path.endswith("/"):
                packages.append(dotted)
            else:
                modules.append(dotted.removesuffix(".__init__"))
        layers.append(Layer(len(layers), cells[0], tuple(packages), tuple(modules)))
    return layers


def layer_of(module: str, layers: list[Layer]) -> Layer | None:
    """The layer ``module`` belongs to: an exact module entry, else the longest package."""
    for layer in layers:
        if module in layer.modules:
            return layer
    best: tuple[int, Layer] | None = None
    for layer in layers:
        for package in layer.packages:
            if (module == package or module.startswith(package + ".")) and (
                    best is None or len(package) > best[0]):
                best = (len(package), layer)
    return best[1] if best else None


def module_name(path: Path) -> str:
    """``conformance/targets/base.py`` -> ``conformance.targets.base``."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(source: str, module: str, is_package: bool) -> list[tuple[int, str]]:
    """(line, imported module) for every import of the suite's packages in ``source``."""
    found: list[tuple[int, str]] = []
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # ``from conformance import targets`` imports the module ``conformance.targets``.
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return [(line, name) for line, name in found if name.split(".")[0] in PACKAGES]


def resolve(name: str, known: set[str]) -> str | None:
    """The suite's module ``name`` refers to (``pkg.mod.attr`` -> ``pkg.mod``)."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def violations(files: dict[str, tuple[str, bool]], layers: list[Layer]) -> list[str]:
    """Every import of a higher layer in ``files`` (module -> (source, is package))."""
    known = set(files)
    problems = []
    for module, (source, is_package) in sorted(files.items()):
        own = layer_of(module, layers)
        assert own is not None, f"{module} is in no layer"
        for line, name in imports_of(source, module, is_package):
            target = resolve(name, known)
            other = layer_of(target, layers) if target else None
            if other is not None and other.index > own.index:
                problems.append(f"{module}:{line} ({own.name}) imports {target} ({other.name}, "
                                "a layer above)")
            if module.startswith("reference_impl") and target and target.startswith("conformance"):
                problems.append(f"{module}:{line}: the reference implementation imports {target}")
    return problems


def suite_files() -> dict[str, tuple[str, bool]]:
    """Every Python module of the suite: name -> (source, is a package's ``__init__``)."""
    return {module_name(path): (path.read_text(encoding="utf-8"), path.name == "__init__.py")
            for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))}


def test_every_module_is_in_exactly_one_layer_of_the_doc() -> None:
    layers = doc_layers(DOC.read_text(encoding="utf-8"))
    assert [layer.name for layer in layers][:2] == ["facts", "reference implementation"]
    entries = [e for layer in layers for e in (*layer.packages, *layer.modules)]
    assert len(entries) == len(set(entries)), "an entry is in two layers"
    missing = [module for module in suite_files() if layer_of(module, layers) is None]
    assert missing == [], f"docs/architecture.md's layer table omits {missing}"
    known = set(suite_files())
    stale = [e for e in entries if e not in known and not any(m.startswith(e + ".") for m in known)]
    assert stale == [], f"docs/architecture.md's layer table names modules that do not exist: {stale}"


def test_no_module_imports_a_higher_layer() -> None:
    problems = violations(suite_files(), doc_layers(DOC.read_text(encoding="utf-8")))
    assert problems == [], "\n".join(problems)


def test_the_check_sees_an_upward_import_anywhere_in_a_module() -> None:
    layers = doc_layers(DOC.read_text(encoding="utf-8"))
    files = suite_files()
    bad = {
        # Inside a function, as lazy imports are written.
        "conformance.results": ("def f():\n    from conformance.harness import Harness\n", False),
        # Relative, from a package inside certify, which is one layer: allowed.
        "conformance.certify.cli": ("from . import runner\n", False),
        "reference_impl.tones": ("import conformance.model\n", False),
    }
    problems = violations({**files, **bad}, layers)
    assert problems == [
        "conformance.results:2 (parsing and results) imports conformance.harness "
        "(orchestration, a layer above)",
        "reference_impl.tones:1: the reference implementation imports conformance.model",
    ]
