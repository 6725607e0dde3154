"""The option table: ``conformance run`` and the pytest plugin declare each option once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conformance.cli import build_parser
from conformance.options import RUN_OPTIONS, Option, forward

ROOT = Path(__file__).resolve().parent.parent
RUN_ONLY = tuple(option for option in RUN_OPTIONS if option.run)


def test_run_forwards_exactly_what_was_given() -> None:
    args = build_parser().parse_args([
        "run", "--target", "native,reference", "--shard", "2/3", "--repeat", "3",
        "--cdp", "http://a:1", "--cdp", "http://b:2", "--trace-snapshots", "--slowmo", "5",
        "--trace-mode", "off",
    ])
    assert forward(args, RUN_ONLY) == [
        "--target", "native,reference", "--slowmo", "5.0", "--cdp", "http://a:1",
        "--cdp", "http://b:2", "--shard", "2/3", "--repeat", "3", "--trace-mode", "off",
        "--trace-snapshots",
    ]
    # Nothing given, nothing forwarded: the plugin's defaults hold.
    assert forward(build_parser().parse_args(["run"]), RUN_ONLY) == []


@pytest.mark.parametrize("argv", [["--shard", "3/2"], ["--target", "nowhere"], ["--trace-mode", "x"]])
def test_run_refuses_what_the_plugin_would(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", *argv])


def test_one_entry_is_one_option_of_both(capsys: pytest.CaptureFixture[str]) -> None:
    flags = [option.flag for option in RUN_OPTIONS]
    assert len(flags) == len(set(flags))
    plugin_help = subprocess.run([sys.executable, "-m", "pytest", "--help"], cwd=ROOT,
                                 capture_output=True, text=True, timeout=120, check=True).stdout
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "--help"])
    run_help = capsys.readouterr().out
    for option in RUN_OPTIONS:
        assert option.flag in plugin_help, option.flag
        assert (option.flag in run_help) == option.run, option.flag


def test_an_option_renders_as_argparse_and_pytest_take_it() -> None:
    option = Option("--level", default=2, type=int, metavar="N", help="how much")
    assert option.dest == "level"
    assert option.arguments() == {"help": "how much", "default": 2, "type": int, "metavar": "N"}
    assert option.arguments(with_default=False)["default"] is None
    assert option.to_args(3) == ["--level", "3"] and option.to_args(None) == []
