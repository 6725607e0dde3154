"""Command-line options, declared once: the pytest plugin, ``conformance run`` and the other
commands that open targets all read these tables.

An :class:`Option` says what argparse and pytest's ``addoption`` both take (they take the
same arguments); :func:`add_options` puts a table on either, and :func:`forward` turns
what ``conformance run`` parsed back into pytest arguments for the plugin. Adding an option
to scenario runs is one entry in :data:`RUN_OPTIONS` (or, for an option of every command
that opens targets, in :data:`TARGET_OPTIONS`), then reading it where it is used.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from conformance.model import EXPECTATION_KINDS
from conformance.network.impair import PRESETS
from conformance.network.topology import DEFAULT_TOPOLOGY, TOPOLOGIES
from conformance.targets import (
    ALIASES,
    TARGETS,
    canonical_target,
    default_targets,
    parse_targets,
    target_choices,
)
from conformance.targets.reference import ICE_MODES

__all__ = [
    "RUN_OPTIONS",
    "TARGETS_OPTION",
    "TARGET_OPTIONS",
    "Option",
    "add_options",
    "add_target_arguments",
    "forward",
    "parse_shard",
]


@dataclass(frozen=True)
class Option:
    """One ``--flag``: what it is called, takes, defaults to and says in ``--help``."""

    flag: str
    #: The text, or a function giving it when a parser is built (text that reads the
    #: target registry, which a target may join after this module is imported).
    help: str | Callable[[], str]
    default: Any = None
    #: Parses the text given (argparse and pytest apply it to a text default too).
    type: Callable[[str], Any] | None = None
    choices: tuple[str, ...] | None = None
    metavar: str | Callable[[], str] | None = None
    action: Literal["store", "store_true", "append"] = "store"
    #: The parsed value as command-line text again (for :func:`forward`).
    render: Callable[[Any], str] = str
    #: Offered by ``conformance run`` too (``False``: the plugin's own, such as ``--run-id``).
    run: bool = True

    @property
    def dest(self) -> str:
        """The attribute the parsed value lands in (``--report-dir``: ``report_dir``)."""
        return self.flag.lstrip("-").replace("-", "_")

    def arguments(self, *, with_default: bool = True) -> dict[str, Any]:
        """Keyword arguments for ``add_argument`` / ``addoption``; without the default, a
        value is only there when given (a flag: ``False``)."""
        kwargs: dict[str, Any] = {"help": self.help() if callable(self.help) else self.help}
        if self.action == "store_true":
            kwargs.update(action="store_true", default=self.default if with_default else False)
            return kwargs
        if self.action == "append":
            kwargs["action"] = "append"
        kwargs["default"] = self.default if with_default else None
        for name in ("type", "choices"):
            if getattr(self, name) is not None:
                kwargs[name] = getattr(self, name)
        if self.metavar is not None:
            kwargs["metavar"] = self.metavar() if callable(self.metavar) else self.metavar
        return kwargs

    def to_args(self, value: Any) -> list[str]:
        """``value`` as command-line arguments (none for an unset value or flag)."""
        if value is None or value is False or value == []:
            return []
        if self.action == "store_true":
            return [self.flag]
        values = value if self.action == "append" else [value]
        return [part for item in values for part in (self.flag, self.render(item))]


def add_options(add: Callable[..., Any], options: Iterable[Option], *,
                with_defaults: bool = True) -> None:
    """Declare ``options`` with ``add``: an argparse parser's ``add_argument`` or a pytest
    group's ``addoption``."""
    for option in options:
        add(option.flag, **option.arguments(with_default=with_defaults))


def forward(values: Any, options: Iterable[Option]) -> list[str]:
    """What ``values`` (parsed without defaults) sets of ``options``, as arguments again."""
    return [arg for option in options for arg in option.to_args(getattr(values, option.dest, None))]


def _checked_targets(text: str) -> str:
    """``--target`` text, refused when it names an unknown target (kept as text: the plugin
    and :func:`conformance.targets.parse_targets` read it)."""
    try:
        if not parse_targets(text):
            raise ValueError(f"{text!r} names no target")
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def parse_shard(text: str) -> tuple[int, int]:
    """``--shard K/N`` (1 <= K <= N)."""
    try:
        k, n = (int(part) for part in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--shard wants K/N such as 1/2, not {text!r}") from None
    if not 1 <= k <= n:
        raise argparse.ArgumentTypeError(f"--shard {text}: K must be between 1 and N")
    return k, n


def _positive(text: str) -> float:
    """A number greater than zero (``--timeout-multiplier 2``)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, not {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a number greater than zero, not {text!r}")
    return value


def _shard_text(shard: tuple[int, int]) -> str:
    return f"{shard[0]}/{shard[1]}"


def _targets_help() -> str:
    """``--target``'s help, from the target registry."""
    former = "; ".join(f"{alias!r} is the former name of {name!r}" for alias, name in ALIASES.items())
    return (f"targets, comma-separated (default: all = {','.join(default_targets())}"
            f"{'; ' + former if former else ''})")


#: ``--target`` where several targets may be named (``single``: see :func:`add_target_arguments`).
TARGETS_OPTION = Option(
    "--target", default="all", type=_checked_targets, metavar=lambda: "|".join(target_choices()),
    help=_targets_help)

#: What configures the targets: every command that opens them takes these.
TARGET_OPTIONS: tuple[Option, ...] = (
    Option("--browser", choices=("chromium", "chrome", "msedge"),
           help="browser to launch for native and reference: Chromium (default), or the "
                "Chrome / Edge channel where installed"),
    Option("--browser-path",
           help="Chromium executable (default: $CONFORMANCE_CHROMIUM, Playwright's, "
                "/usr/bin/chromium, Chrome, Edge)"),
    Option("--headed", action="store_true", default=False, help="show the browser"),
    Option("--slowmo", type=float, metavar="MS",
           help="slow every Playwright operation down by MS milliseconds"),
    Option("--cdp", action="append", metavar="URL",
           help="attach target: a browser's DevTools endpoint (http://host:port); "
                "repeat or comma-separate for a pool that workers share out"),
    Option("--ws", action="append", metavar="URL",
           help="attach target: a Playwright server (`playwright run-server`) endpoint; "
                "repeat or comma-separate for a pool"),
    Option("--ice", choices=ICE_MODES,
           help="reference target: where the host gathers ICE candidates; loopback (default, "
                "hermetic) or all (every interface and the page's STUN/TURN servers, for a "
                "backend on another host)"),
    Option("--network", choices=tuple(TOPOLOGIES),
           help=f"reference target: where the local device sits; {DEFAULT_TOPOLOGY} (default: "
                "the page's machine), home (behind a NAT router), symmetric-nat, or firewalled "
                "(only TCP to 443 leaves); native runs stay in the data centre"),
    Option("--impair", choices=tuple(PRESETS),
           help="reference target under a home --network: an impairment preset on the local "
                "device's access link (rate, delay, jitter, loss; docs/network.md)"),
    Option("--attach-expects", choices=EXPECTATION_KINDS,
           help="attach target: which expectations apply (default: detected from the page's "
                "isCallRedirectionEnabled)"),
)

#: The options of a scenario run: the pytest plugin's, and (``run=True``) ``conformance run``'s.
RUN_OPTIONS: tuple[Option, ...] = (
    TARGETS_OPTION,
    Option("--report-dir", help="where runs write their reports (default: ./reports)"),
    Option("--no-reports", action="store_true", default=False, run=False,
           help="do not write report files"),
    Option("--limitations", metavar="FILE",
           help="a registry of your own limitations, besides the bundled one and any "
                "limitations.yaml beside the scenarios"),
    *TARGET_OPTIONS,
    Option("--run-id", run=False, help="name of the run's report folder"),
    Option("--shard", metavar="K/N", type=parse_shard, render=_shard_text,
           help="run the K-th of N deterministic slices of the scenarios (1-based)"),
    Option("--timeout-multiplier", default=1.0, type=_positive, metavar="X",
           help="multiply every step's timeout and wait by X (a slow or loaded CI machine; "
                "messages state the scaled bounds)"),
    Option("--repeat", default=1, type=int, metavar="N",
           help="run each item N times and report items with differing outcomes as flaky"),
    Option("--update-baseline", metavar="PATH",
           help="also write this run's outcomes as a baseline file for `conformance compare`"),
    Option("--trace-mode", choices=("off", "on", "retain-on-failure"), default="retain-on-failure",
           help="record Playwright traces: keep them for failing items (default), for all, "
                "or not at all (fastest)"),
    Option("--trace-snapshots", action="store_true", default=False,
           help="also record DOM snapshots in traces (slower; useful for pages with UI)"),
)


def add_target_arguments(parser: argparse.ArgumentParser, *, default: str | None = "all",
                         single: bool = False) -> None:
    """``--target`` and :data:`TARGET_OPTIONS` on a command's parser (``single``: exactly
    one target, as ``conformance open`` wants; ``default=None``: no ``--target``)."""
    if default is not None and single:
        parser.add_argument("--target", default=default, type=canonical_target,
                            metavar="|".join([*TARGETS, *ALIASES]),  # read when built
                            help=f"the target (default: {default})")
    elif default is not None:
        parser.add_argument(TARGETS_OPTION.flag, **{**TARGETS_OPTION.arguments(), "default": default})
    add_options(parser.add_argument, TARGET_OPTIONS)
