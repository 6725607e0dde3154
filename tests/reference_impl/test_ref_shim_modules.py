"""The shim's ES modules: joined into one classic script by ``reference_impl/shim.py``
(checked joins, ``file:line:col`` errors) and linted by ESLint (``eslint.config.js``)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from reference_impl.shim import ENTRY_MODULE, ShimBuildError, build_init_script, join_modules, module_order

ROOT = Path(__file__).resolve().parents[2]
SHIM = ROOT / "reference_impl" / "shim"
ESLINT = ROOT / "node_modules" / ".bin" / "eslint"
#: Files the project writes by hand stay readable: none over this many lines.
MAX_LINES = 500


def _eslint() -> Path:
    if ESLINT.exists() and shutil.which("node"):
        return ESLINT
    if os.environ.get("CI"):
        pytest.fail("ESLint is not installed: scripts/bootstrap.sh installs it (npm ci)")
    pytest.skip("ESLint is not installed (run scripts/bootstrap.sh)")


def _lint(text: str | None = None, name: str = "core.js") -> subprocess.CompletedProcess[str]:
    command = [str(_eslint()), "--max-warnings", "0"]
    if text is None:
        command.append("reference_impl/shim")
    else:
        command += ["--stdin", "--stdin-filename", f"reference_impl/shim/{name}"]
    return subprocess.run(command, cwd=ROOT, input=text, capture_output=True, text=True, timeout=120,
                          check=False)


def test_the_shim_passes_eslint() -> None:
    done = _lint()
    assert done.returncode == 0, done.stdout + done.stderr


def test_eslint_refuses_a_name_used_without_its_import() -> None:
    """A module using another module's export (or a native interface the shim replaces)
    without importing it is an error, so every dependency shows as an import line."""
    done = _lint('export function f() {\n  return log("x") || new RTCPeerConnection();\n}\n', name="extra.js")
    assert done.returncode == 1
    assert "'log' is not defined" in done.stdout
    assert "'RTCPeerConnection' is not defined" in done.stdout


def test_modules_join_in_evaluation_order() -> None:
    order = module_order()
    assert order[-1] == ENTRY_MODULE and order[0] == "config.js"
    assert sorted(order) == sorted(p.name for p in SHIM.glob("*.js"))
    # Imports go before their importers (core.js has no imports; peerconnection needs rtp).
    assert order.index("core.js") < order.index("channel.js") < order.index("peerconnection.js")
    assert order.index("rtp.js") < order.index("peerconnection.js")
    script = build_init_script({"url": "ws://127.0.0.1:1"})
    assert "\nimport " not in script and "\nexport " not in script
    assert script.startswith("(function (mmrShimConfig) {")
    node = shutil.which("node")
    if node:
        done = subprocess.run([node, "--check", "-"], input=script, capture_output=True, text=True,
                              timeout=60, check=False)
        assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(("sources", "error"), [
    ({"install.js": 'import { a } from "./b.js";\n', "b.js": "export const c = 1;\n"},
     "reference_impl/shim/install.js:1:19: b.js exports no a"),
    ({"install.js": 'import { a } from "./b.js";\n'}, "reference_impl/shim/install.js:1:19: no module b.js"),
    ({"install.js": 'import { a } from "./b.js";\nconst c = a;\n',
      "b.js": "export const a = 1;\nconst c = 2;\n"},
     "reference_impl/shim/install.js:2:1: c is also declared in b.js"),
    ({"install.js": "const x = 1;\n", "lost.js": "const y = 2;\n"},
     "reference_impl/shim/lost.js:1:1: not imported by any module reached from install.js"),
    ({"install.js": "\n  \nexport default 3;\n"},
     "reference_impl/shim/install.js:3:1: unsupported module syntax"),
    ({"install.js": 'import * as b from "./b.js";\n', "b.js": ""},
     "reference_impl/shim/install.js:1:1: unsupported"),
])
def test_a_module_that_cannot_be_joined_is_located(sources: dict[str, str], error: str) -> None:
    with pytest.raises(ShimBuildError) as caught:
        join_modules(sources)
    assert str(caught.value).startswith(error)


def test_cycles_join_like_es_modules() -> None:
    """A cycle evaluates depth-first from the entry, as a browser evaluates a module graph."""
    order, text = join_modules({
        "install.js": 'import { a } from "./a.js";\na();\n',
        "a.js": 'import { b } from "./b.js";\nexport function a() { return b(); }\n',
        "b.js": 'import { a } from "./a.js";\nexport function b() { return typeof a; }\n',
    })
    assert order == ("b.js", "a.js", "install.js")
    assert "export" not in text and "import" not in text


def test_no_shim_or_python_file_is_too_long() -> None:
    for path in [*SHIM.glob("*.js"), *(ROOT / "reference_impl").rglob("*.py")]:
        lines = path.read_text(encoding="utf-8").count("\n")
        assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines"
