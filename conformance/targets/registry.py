"""The target registry: found, not listed.

Every module of this package that names a :class:`~conformance.targets.base.Target`
subclass in a module-level ``TARGET`` is a target; the registry imports them all once and
orders them by their ``report_order``. Nothing else lists target names: the CLI's choices,
``--target all``, the plugin's items, certification, ``conformance open``, results'
former names and the reports' column order all read :data:`TARGETS` and :data:`ALIASES`.
Adding a target is one module here, as adding a product to wptrunner's ``browsers/`` is.
"""

from __future__ import annotations

import importlib
import pkgutil

import conformance.targets as _package
from conformance.model import EXPECTATION_KINDS
from conformance.targets.base import Target, TargetOptions
from conformance.targets.browsers import Browsers

__all__ = [
    "ALIASES",
    "TARGETS",
    "canonical_target",
    "default_targets",
    "make_target",
    "parse_targets",
    "register",
    "target_choices",
    "target_order",
    "unalias",
    "unregister",
]

#: Every target by name, in report order (kept in that order by :func:`register`).
TARGETS: dict[str, type[Target]] = {}
#: Former names that still work everywhere a target name is read (CLI, baselines, results).
ALIASES: dict[str, str] = {}


def register(cls: type[Target]) -> type[Target]:
    """Add ``cls`` to the registry (its ``name`` and ``aliases``); returns ``cls``.

    Target modules of this package are registered on import; a target defined elsewhere (a
    plugin, a test) registers itself with this. A name or alias already taken by another
    target is a :class:`ValueError`.
    """
    if not cls.name:
        raise ValueError(f"{cls.__qualname__} has no name")
    if cls.fixed_kind is not None and cls.fixed_kind not in EXPECTATION_KINDS:
        raise ValueError(f"target {cls.name!r}: fixed_kind must be one of {EXPECTATION_KINDS}")
    for name in (cls.name, *cls.aliases):
        owner = TARGETS[name] if name in TARGETS else TARGETS.get(ALIASES.get(name, ""))
        if owner is not None and owner is not cls:
            raise ValueError(f"target name {name!r} is taken by {owner.__qualname__}")
    ordered = sorted({**TARGETS, cls.name: cls}.values(), key=lambda c: (c.report_order, c.name))
    TARGETS.clear()
    TARGETS.update((c.name, c) for c in ordered)
    ALIASES.update(dict.fromkeys(cls.aliases, cls.name))
    return cls


def unregister(name: str) -> None:
    """Remove the target called ``name`` and its aliases (a test's own target, after it)."""
    cls = TARGETS.pop(name)
    for alias in cls.aliases:
        ALIASES.pop(alias, None)


def _discover() -> None:
    for module_info in pkgutil.iter_modules(_package.__path__):
        module = importlib.import_module(f"{_package.__name__}.{module_info.name}")
        declared = getattr(module, "TARGET", None)
        if isinstance(declared, type) and issubclass(declared, Target):
            register(declared)


def unalias(name: str) -> str:
    """``name`` with a former name replaced by today's; any other name passes unchanged
    (lenient: for names read back from files, such as results and baselines)."""
    return ALIASES.get(name, name)


def canonical_target(name: str) -> str:
    """``name`` with aliases resolved; :class:`ValueError` for an unknown target (strict:
    for names a user typed)."""
    name = unalias(name)
    if name not in TARGETS:
        raise ValueError(f"unknown target {name!r} (known: {', '.join([*TARGETS, *ALIASES])})")
    return name


def target_order(name: str) -> int:
    """Where target ``name`` (aliases allowed) stands in reports; unknown names go last."""
    names = list(TARGETS)
    name = unalias(name)
    return names.index(name) if name in names else len(names)


def default_targets() -> tuple[str, ...]:
    """What ``--target all`` runs: the targets that need nothing but this machine."""
    return tuple(name for name, cls in TARGETS.items() if cls.runs_by_default)


def target_choices() -> list[str]:
    """What ``--target`` accepts: every target, its aliases, and ``all``."""
    return [*TARGETS, *ALIASES, "all"]


def parse_targets(text: str) -> tuple[str, ...]:
    """``all``, a target, or a comma-separated list of them, in report order."""
    parts = {part.strip() for part in text.split(",") if part.strip()}
    names = {canonical_target(part) for part in parts if part != "all"}
    if "all" in parts:
        names |= set(default_targets())
    return tuple(name for name in TARGETS if name in names)


def make_target(name: str, browsers: Browsers, options: TargetOptions | None = None) -> Target:
    """A new target called ``name`` (aliases allowed) on ``browsers``: the target's own
    :meth:`~conformance.targets.base.Target.create` reads what it needs of ``options``."""
    return TARGETS[canonical_target(name)].create(browsers, options or TargetOptions())


_discover()
