"""The certification package follows its pipeline: a stage imports only earlier stages and the
shared catalogue and model (what docs/architecture.md says, held true here)."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

CERTIFY = Path(__file__).resolve().parent.parent / "conformance" / "certify"
#: The stages in the order the runner runs them.
STAGES = ("profile", "session", "evidence", "flows", "audit", "report")
#: Beside the stages: every stage may use them; they import no stage.
SHARED = ("checks", "model")
#: The one import against the order: the session injects the audit's page scripts.
ALLOWED = {("session", "conformance.certify.audit.layer")}


def runtime_imports(path: Path) -> set[str]:
    """The ``conformance.certify`` modules ``path`` imports when it runs (not the ones it
    names for type checking only)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("conformance.certify"):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("conformance.certify"))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def stage_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[2] if len(parts) > 2 else None


def violations(root: Path) -> list[str]:
    """Every import of ``root``'s stage and shared modules that goes against the order."""
    out = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        own = rel.parts[0] if len(rel.parts) > 1 else rel.stem
        if own not in STAGES and own not in SHARED:
            continue  # the entry points (runner, cli, the package) use every stage
        for module in sorted(runtime_imports(path)):
            other = stage_of(module)
            if other is None or other == own or (own, module) in ALLOWED:
                continue
            if own in SHARED and (other in STAGES or other in SHARED):
                out.append(f"{rel}: {module} (shared modules import no stage)")
            elif other in STAGES and STAGES.index(other) > STAGES.index(own):
                out.append(f"{rel}: {module} (the {other} stage comes after {own})")
    return out


def test_each_stage_imports_only_earlier_stages() -> None:
    assert violations(CERTIFY) == []


def test_a_later_stage_imported_early_is_named(tmp_path: Path) -> None:
    (tmp_path / "profile").mkdir()
    (tmp_path / "profile" / "loader.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "from conformance.certify.report.folder import write_certification\n"
        "if TYPE_CHECKING:\n    from conformance.certify.flows.context import TargetContext\n")
    assert violations(tmp_path) == [
        "profile/loader.py: conformance.certify.report.folder (the report stage comes after profile)"]


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_says_its_job(stage: str) -> None:
    package = importlib.import_module(f"conformance.certify.{stage}")
    assert package.__doc__ and len(package.__doc__.split()) > 10
    documented = package.__doc__
    for module in sorted((CERTIFY / stage).glob("*.py")):
        if module.stem != "__init__":
            assert f":mod:`.{module.stem}`" in documented, (stage, module.stem)
