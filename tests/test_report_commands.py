"""The report commands (compare, baseline, merge, report): exit codes and messages."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
from run_samples import AFTER, BEFORE, SHARD_1, SHARD_2, cli, info, res, write_run

from conformance.cli_reports import add_report_commands
from conformance.reports import load_results_json
from conformance.reports.baseline import load_snapshot
from conformance.reports.rundir import load_run


def test_cli_compare_exit_codes_and_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    reports = tmp_path / "reports"
    before = write_run(reports, info("run-1"), BEFORE)
    after = write_run(reports, info("run-2"), AFTER)
    baseline = tmp_path / "ci" / "baseline.json"
    assert cli("baseline", str(before), "-o", str(baseline)) == 0
    assert cli("compare", str(baseline), str(before)) == 0
    assert "No regressions" in capsys.readouterr().out
    assert cli("compare", str(baseline), str(reports)) == 1
    out = capsys.readouterr().out
    assert "`pc.a[native]`" in out and "`pc.p[native]`" in out
    assert cli("compare", str(baseline), str(after), "--format", "json") == 1
    data = json.loads(capsys.readouterr().out)
    assert "pc.o[native]" in data["regressed"]
    report = tmp_path / "out" / "comparison.md"
    assert cli("compare", str(baseline), str(after), "-o", str(report)) == 1
    out = capsys.readouterr().out
    assert "8 regression(s):" in out and "pc.g[reference]: unexpected-pass" in out
    assert report.read_text(encoding="utf-8").startswith("# Conformance comparison")
    assert cli("compare", str(baseline), str(tmp_path / "nowhere")) == 2
    assert "no such file" in capsys.readouterr().err


def test_cli_baseline_defaults_to_reports_latest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli("baseline") == 1
    assert "reports" in capsys.readouterr().err
    write_run(tmp_path / "reports", info("run-1", interrupted=True), BEFORE)
    assert cli("baseline") == 0
    captured = capsys.readouterr()
    assert "interrupted" in captured.err
    assert load_snapshot(tmp_path / "baseline.json").run_id == "run-1"


def test_cli_merge_and_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    one = write_run(tmp_path / "s1", info("shard-1"), SHARD_1)
    two = write_run(tmp_path / "s2", info("shard-2", suite_version="9"), SHARD_2)
    reports = tmp_path / "reports"
    assert cli("merge", str(one), str(two), "--report-dir", str(reports)) == 1
    assert "0.1.0 (shard-1); 9 (shard-2)" in capsys.readouterr().err
    assert cli("merge", str(one), str(two), "--report-dir", str(reports),
               "--allow-mixed-versions", "--run-id", "all") == 0
    assert (reports / "all" / "matrix.html").is_file()
    # A killed run: only its log. `report` turns it into reports marked interrupted.
    killed = tmp_path / "killed"
    killed.mkdir()
    (killed / "results.jsonl").write_bytes((one / "results.jsonl").read_bytes() + b'{"scen')
    assert cli("report", str(killed)) == 0
    assert "rebuilt from results.jsonl" in capsys.readouterr().out
    run_info, results = load_results_json(killed / "results.json")
    assert run_info.interrupted and len(results) == 3
    assert {p.name for p in killed.iterdir()} >= {"junit.xml", "matrix.md", "matrix.html"}
    assert load_run(killed).source == "results.json"
    # Several runs: one side-by-side page.
    assert cli("report", str(one), str(two)) == 1
    page = tmp_path / "side" / "both.html"
    assert cli("report", str(one), str(two), "-o", str(page)) == 0
    text = page.read_text(encoding="utf-8")
    assert "shard-1 \u00b7 native" in text and "shard-2 \u00b7 reference" in text


def test_an_interrupted_run_fails_the_gate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ids = ["pc.a", "pc.b"]
    write_run(tmp_path / "base", info("base"), [res(i) for i in ids])
    write_run(tmp_path / "cut", info("cut", interrupted=True), [res(i) for i in ids])
    parser = argparse.ArgumentParser()
    add_report_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["compare", str(tmp_path / "base" / "base"), str(tmp_path / "cut" / "cut")])
    assert args.func(args, []) == 1
    assert "interrupted" in capsys.readouterr().err
    args = parser.parse_args(["compare", "--allow-missing", str(tmp_path / "base" / "base"),
                              str(tmp_path / "cut" / "cut")])
    assert args.func(args, []) == 0


@pytest.mark.parametrize("content", [
    "[" * 100_000 + "]" * 100_000,            # deeper than the JSON decoder's recursion
    '{"a": ' * 200 + "1" + "}" * 200,          # decodes, but deeper than any report
    "\xff\xfe not utf-8",
    "{not json",
], ids=["recursion", "deep", "not-utf8", "not-json"])
def test_unreadable_json_inputs_exit_2_with_the_file_named(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str) -> None:
    bad = tmp_path / "results.json"
    bad.write_bytes(content.encode("latin-1"))
    good = write_run(tmp_path / "good", info("good"), [res("pc.a")])
    for command in (["compare", str(bad), str(good)], ["compare", str(good), str(bad)],
                    ["merge", str(bad), str(good), "--report-dir", str(tmp_path / "m")],
                    ["report", str(bad)]):
        assert cli(*command) == 2, command
        err = capsys.readouterr().err
        assert str(bad) in err and "Traceback" not in err, (command, err)
