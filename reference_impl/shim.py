"""Assembling the page-side shim: the ES modules in ``shim/`` joined into one classic script.

The shim is written as ES modules (``import { name } from "./module.js"``, ``export``
declarations) so each file says what it depends on, and ESLint checks it
(``eslint.config.js``). A page needs one classic script injected at document start
(Playwright ``add_init_script``, an extension's content script), so this module joins
them the way a browser would evaluate them: depth-first from the entry module, each
module after the modules it imports (ES module evaluation order, cycles included), in
one function scope. The join is checked, not trusted: every imported name must be
exported by its module, no two modules may declare the same top-level name (one scope),
every module must be reachable from the entry, and only the import/export forms below
are accepted. A broken module is reported as ``file:line:col``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["ENTRY_MODULE", "ShimBuildError", "build_init_script", "join_modules", "module_order"]

#: The module that installs the proxies; everything else is reached through its imports.
ENTRY_MODULE = "install.js"

_IMPORT = re.compile(r'^import\s*\{([^}]*)\}\s*from\s*"\./([\w-]+\.js)";[ \t]*$', re.M)
_EXPORT = re.compile(r"^export\s+(?=(?:async\s+)?(?:function\*?|class|const|let)\s)", re.M)
_DECLARATION = re.compile(
    r"^(?:export\s+)?(?:async\s+)?(?:function\*?|class|const|let|var)\s+([A-Za-z_$][\w$]*)", re.M
)
_MODULE_SYNTAX = re.compile(r"^(?:import|export)\b", re.M)
_NAME = re.compile(r"^[A-Za-z_$][\w$]*$")


class ShimBuildError(ValueError):
    """A shim module the joiner cannot join; the message starts with ``file:line:col``."""


@dataclass(frozen=True)
class _Module:
    name: str
    text: str
    imports: dict[str, tuple[str, ...]]  # module -> names, in source order
    exports: frozenset[str]
    declared: tuple[tuple[str, int], ...]  # top-level names with their offsets


def _where(module: str, text: str, offset: int) -> str:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f"reference_impl/shim/{module}:{line}:{column}"


def _parse(name: str, text: str) -> _Module:
    imports: dict[str, tuple[str, ...]] = {}
    accepted: set[int] = set()
    for match in _IMPORT.finditer(text):
        accepted.add(match.start())
        names = tuple(part.strip() for part in match.group(1).split(",") if part.strip())
        for imported in names:
            if not _NAME.match(imported):
                raise ShimBuildError(f"{_where(name, text, match.start())}: only `import {{ a, b }}` "
                                     f"of plain names is joined, not {imported!r}")
        imports[match.group(2)] = imports.get(match.group(2), ()) + names
    accepted.update(match.start() for match in _EXPORT.finditer(text))
    for match in _MODULE_SYNTAX.finditer(text):
        if match.start() not in accepted:
            raise ShimBuildError(f"{_where(name, text, match.start())}: unsupported module syntax "
                                 '(use `import { a } from "./file.js";` or `export` before a declaration)')
    declared = tuple((m.group(1), m.start()) for m in _DECLARATION.finditer(text))
    exports = frozenset(m.group(1) for m in _DECLARATION.finditer(text) if m.group(0).startswith("export"))
    return _Module(name, text, imports, exports, declared)


def _load() -> dict[str, str]:
    folder = resources.files("reference_impl").joinpath("shim")
    files = [entry for entry in folder.iterdir() if entry.name.endswith(".js")]
    return {entry.name: entry.read_text(encoding="utf-8") for entry in files}


def _order(modules: dict[str, _Module]) -> list[str]:
    order: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in order or name in visiting:
            return  # done, or a cycle: ES evaluates the rest of the cycle first, as here
        visiting.add(name)
        module = modules[name]
        for target, names in module.imports.items():
            if target not in modules:
                offset = module.text.find(f'"./{target}"')
                raise ShimBuildError(f"{_where(name, module.text, offset)}: no module {target}")
            for imported in names:
                if imported not in modules[target].exports:
                    where = _where(name, module.text, module.text.find(f'"./{target}"'))
                    raise ShimBuildError(f"{where}: {target} exports no {imported}")
            visit(target)
        order.append(name)

    if ENTRY_MODULE not in modules:
        raise ShimBuildError(f"reference_impl/shim/{ENTRY_MODULE}:1:1: the entry module is missing")
    visit(ENTRY_MODULE)
    unreached = sorted(set(modules) - set(order))
    if unreached:
        raise ShimBuildError(f"reference_impl/shim/{unreached[0]}:1:1: not imported by any module "
                             f"reached from {ENTRY_MODULE}")
    seen: dict[str, str] = {}
    for name in order:
        module = modules[name]
        for declared, offset in module.declared:
            if declared in seen:
                raise ShimBuildError(f"{_where(name, module.text, offset)}: {declared} is also declared in "
                                     f"{seen[declared]} (the joined modules share one scope)")
            seen[declared] = name
    return order


def join_modules(sources: dict[str, str]) -> tuple[tuple[str, ...], str]:
    """Join ES modules (file name -> text) from :data:`ENTRY_MODULE`: their evaluation
    order and the joined text (imports removed, ``export`` keywords dropped).

    :class:`ShimBuildError` (``file:line:col: why``) for a module that cannot be joined.
    """
    modules = {name: _parse(name, text) for name, text in sources.items()}
    order = _order(modules)
    parts = [f"// ---- {name} ----\n{_EXPORT.sub('', _IMPORT.sub('', modules[name].text))}" for name in order]
    return tuple(order), "\n".join(parts)


def module_order() -> tuple[str, ...]:
    """The shim's modules in evaluation order (the entry module last)."""
    return join_modules(_load())[0]


@cache
def _sources() -> str:
    return join_modules(_load())[1]


def build_init_script(config: dict[str, Any]) -> str:
    """The whole shim with ``config`` baked in, ready for ``add_init_script``.

    The guard makes a second injection into the same frame a no-op.
    """
    payload = json.dumps(config, ensure_ascii=True)
    return (
        "(function (mmrShimConfig) {\n"
        '"use strict";\n'
        "if (window.__mmrReferenceShim) return;\n"
        f"{_sources()}\n"
        f"}})({payload});\n"
    )
