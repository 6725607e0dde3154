"""Unit tests of conformance.reports: no browser, only files under tmp_path."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from report_samples import (
    COVER,
    XSS,
    passed,
    run_info,
    sample_results,
    unexpected,
)

from conformance.reports import (
    ResultsLog,
    atomic_write_text,
    build_results_document,
    load_results_json,
    read_results_log,
    update_latest_pointer,
    write_junit,
    write_reports,
    write_results_json,
)
from conformance.results import SCHEMA_VERSION, ScenarioResult, StepRecord

SCHEMA_PATH = Path(__file__).parent.parent / "conformance" / "schema" / "results.schema.json"


# --- results.json --------------------------------------------------------------------


def test_document_validates_against_shipped_schema() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$id"]
    document = build_results_document(run_info(), sample_results())
    jsonschema.Draft202012Validator(schema).validate(document)
    assert document["schema_version"] == SCHEMA_VERSION


def test_schema_rejects_unknown_status() -> None:
    # Guards against a schema so loose that the validation test above proves nothing.
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    document = build_results_document(run_info(), sample_results())
    document["results"][0]["status"] = "FLAKY"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(document)


def test_results_sorted_by_scenario_then_native_redirected_others() -> None:
    document = build_results_document(run_info(), sample_results())
    tests = [entry["test"] for entry in document["results"]]
    assert tests == [
        "audio.gain-node[native]",
        "audio.gain-node[reference]",
        "dc.send[reference]",
        "md.gum[native]",
        "md.gum[reference]",
        "pc.offer[native]",
        "pc.offer[reference]",
        "pc.offer[chrome-beta]",
    ]


def test_summary_counts_per_target_and_overall() -> None:
    summary = build_results_document(run_info(), sample_results())["summary"]
    assert list(summary["by_target"]) == ["native", "reference", "chrome-beta"]
    redirected = summary["by_target"]["reference"]
    assert redirected == {
        "total": 4, "PASS": 1, "FAIL": 2, "ERROR": 0, "TIMEOUT": 1, "SKIP": 0,
        "expected": 1, "unexpected": 3,
    }
    assert summary["overall"]["total"] == 8
    assert summary["overall"]["SKIP"] == 1
    assert summary["overall"]["unexpected"] == 3
    assert summary["overall"]["expected"] == 4


def test_summary_counts_skip_neither_expected_nor_unexpected() -> None:
    # The engine marks a SKIP not-expected; a gate must still not see it as a regression.
    skip = ScenarioResult("a.b", "reference", "SKIP", False, {"outcome": "pass"})
    counts = build_results_document(run_info(), [skip])["summary"]["by_target"]["reference"]
    assert (counts["SKIP"], counts["expected"], counts["unexpected"]) == (1, 0, 0)


def test_declared_target_without_results_still_summarised() -> None:
    info = run_info(targets=["native", "reference"])
    summary = build_results_document(info, [passed("a.b", "native", ["MediaStream"])])["summary"]
    assert summary["by_target"]["reference"]["total"] == 0


def test_round_trip_through_load_results_json(tmp_path: Path) -> None:
    info = run_info(git_revision="abc123", interrupted=True)
    results = sample_results()
    path = write_results_json(tmp_path / "results.json", info, results)
    loaded_info, loaded = load_results_json(path)
    assert loaded_info == info
    assert sorted(loaded, key=lambda r: r.test) == sorted(results, key=lambda r: r.test)
    assert isinstance(loaded[0].steps, list)
    step_owner = next(r for r in loaded if r.test == "pc.offer[native]")
    assert step_owner.steps == [StepRecord(0, "run", 7, 0.25, "ok")]


def test_load_rejects_other_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    document = build_results_document(run_info(), [])
    document["schema_version"] = SCHEMA_VERSION + 1
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(ValueError, match="schema_version"):
        load_results_json(path)


def test_load_rejects_document_breaking_schema(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    document = build_results_document(run_info(), sample_results())
    del document["results"][1]["expected"]
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(ValueError, match="invalid at results/1"):
        load_results_json(path)


def test_load_rejects_truncated_json(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    path.write_text('{"schema_version": 1, "run_info": {', encoding="utf-8")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_results_json(path)


# --- junit.xml -----------------------------------------------------------------------


def parse_junit(tmp_path: Path, results: list[ScenarioResult]) -> ET.Element:
    path = write_junit(tmp_path / "junit.xml", run_info(), results)
    return ET.parse(path).getroot()


def case(root: ET.Element, name: str) -> ET.Element:
    found = root.find(f".//testcase[@name='{name}']")
    assert found is not None, name
    return found


def test_junit_one_suite_per_target_with_counts(tmp_path: Path) -> None:
    root = parse_junit(tmp_path, sample_results())
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert list(suites) == ["native", "reference", "chrome-beta"]
    redirected = suites["reference"]
    # FAIL (unexpected) + unexpected PASS are failures; TIMEOUT is an error;
    # the known limitation is skipped, not failed.
    assert {k: redirected.get(k) for k in ("tests", "failures", "errors", "skipped")} == {
        "tests": "4", "failures": "2", "errors": "1", "skipped": "1",
    }
    assert len(redirected.findall("testcase")) == 4
    assert suites["native"].get("skipped") == "1"
    assert suites["native"].get("failures") == "0"
    assert root.get("tests") == "8"
    assert root.get("failures") == "2"
    assert root.get("time") == "3.500"


def test_junit_known_limitation_is_skipped_not_failed(tmp_path: Path) -> None:
    root = parse_junit(tmp_path, sample_results())
    element = case(root, "audio.gain-node[reference]")
    assert element.find("failure") is None
    assert element.find("error") is None
    skip = element.find("skipped")
    assert skip is not None
    assert skip.get("type") == "known-limitation"
    assert skip.get("message") == (
        "known limitation webaudio-node-limit: webaudio-node-limit applies"
    )
    assert element.get("classname") == "scenarios.AudioContext"


def test_junit_unexpected_pass_is_failure(tmp_path: Path) -> None:
    root = parse_junit(tmp_path, sample_results())
    failure = case(root, "md.gum[reference]").find("failure")
    assert failure is not None
    assert (failure.get("message") or "").startswith("unexpected pass: ")
    assert "async-proxy-state" in (failure.get("message") or "")


def test_junit_failure_and_error_carry_message_and_step_log(tmp_path: Path) -> None:
    root = parse_junit(tmp_path, sample_results())
    failing = case(root, "pc.offer[reference]")
    failure = failing.find("failure")
    assert failure is not None
    # ElementTree escaped the markup: parsing gives back the exact original text.
    assert failure.get("message") == f"expected a | b\nbut got {XSS}"
    assert "step 1 expect (line 9) failed" in (failure.text or "")
    assert "value mismatch" in (failure.text or "")
    assert "[error] boom" in (failing.findtext("system-out") or "")
    assert failing.get("time") == "2.000"
    error = case(root, "dc.send[reference]").find("error")
    assert error is not None
    assert error.get("type") == "TIMEOUT"


def test_junit_system_out_has_console_and_mmr_log(tmp_path: Path) -> None:
    root = parse_junit(tmp_path, sample_results())
    out = case(root, "pc.offer[native]").findtext("system-out") or ""
    assert "[log] hello" in out
    assert "mmrExtensionLog:\n[info] redirection on" in out
    assert "artifacts/pc.offer-native.png" in out
    assert case(root, "audio.gain-node[native]").find("system-out") is None


def test_junit_stays_parseable_with_control_characters(tmp_path: Path) -> None:
    # ANSI colour codes are common in console output and are not legal XML 1.0.
    result = unexpected(
        "pc.ansi", "native", ["RTCPeerConnection"], message="red \x1b[31mtext\x00",
        console=[{"type": "log", "text": "\x1b[0m reset"}],
    )
    root = parse_junit(tmp_path, [result])
    failure = case(root, "pc.ansi[native]").find("failure")
    assert failure is not None
    assert failure.get("message") == "red \\x1b[31mtext\\x00"


def test_junit_plain_skip(tmp_path: Path) -> None:
    root = parse_junit(tmp_path, sample_results())
    skip = case(root, "md.gum[native]").find("skipped")
    assert skip is not None
    assert skip.get("type") is None
    assert skip.get("message") == "filtered"


# --- results.jsonl -------------------------------------------------------------------


def test_results_log_survives_truncated_last_line(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    first, second, third = sample_results()[:3]
    with ResultsLog(path) as log:
        log.append(first)
        log.append(second)
    # Simulate a process killed halfway through writing the third line.
    line = json.dumps(third.to_json())
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(line[: len(line) // 2])
    assert read_results_log(path) == [first, second]


def test_results_log_appends_after_a_damaged_line(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    first, second, third = sample_results()[:3]
    with ResultsLog(path) as log:
        log.append(first)
    with open(path, "ab") as handle:
        handle.write(b'{"scenario": "half')
    # A resumed run must not glue its first record to the damaged fragment.
    with ResultsLog(path) as log:
        log.append(second)
        log.append(third)
    assert read_results_log(path) == [first, second, third]


def test_results_log_skips_records_of_the_wrong_shape(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    good = sample_results()[0]
    path.write_text(
        '[1, 2]\n{"scenario": "x"}\n' + json.dumps(good.to_json()) + "\n\xff", encoding="latin-1"
    )
    assert read_results_log(path) == [good]


def test_results_log_one_line_per_result_even_with_newlines(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    result = unexpected("a.b", "native", COVER, message="line1\nline2\u2028line3")
    with ResultsLog(path) as log:
        log.append(result)
    assert path.read_bytes().count(b"\n") == 1
    assert read_results_log(path) == [result]
    assert read_results_log(tmp_path / "missing.jsonl") == []


def test_results_log_refuses_append_after_close(tmp_path: Path) -> None:
    log = ResultsLog(tmp_path / "results.jsonl")
    log.close()
    with pytest.raises(ValueError, match="closed"):
        log.append(sample_results()[0])


# --- atomic writes and the latest pointer ---------------------------------------------


def test_atomic_write_replaces_and_leaves_no_temp_files(tmp_path: Path) -> None:
    target = tmp_path / "matrix.md"
    target.write_text("old", encoding="utf-8")
    atomic_write_text(target, "new ✅\n")
    assert target.read_text(encoding="utf-8") == "new ✅\n"
    assert [p.name for p in tmp_path.iterdir()] == ["matrix.md"]


def test_atomic_write_failure_keeps_old_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "results.json"
    target.write_text("old", encoding="utf-8")

    def broken_fsync(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_text(target, "new")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]


def test_latest_pointer_points_at_newest_run(tmp_path: Path) -> None:
    first = tmp_path / "run-1"
    second = tmp_path / "run-2"
    first.mkdir()
    second.mkdir()
    update_latest_pointer(tmp_path, first)
    pointer = update_latest_pointer(tmp_path, second)
    assert pointer == tmp_path / "latest"
    assert pointer.is_symlink()
    assert pointer.resolve() == second.resolve()
    # Relative, so the reports tree can be moved or archived.
    assert os.readlink(pointer) == "run-2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest", "run-1", "run-2"]


def test_latest_pointer_falls_back_to_text_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = tmp_path / "run-1"
    run.mkdir()

    def no_symlinks(*args: object, **kwargs: object) -> None:
        raise OSError("symbolic links are not supported")

    monkeypatch.setattr(os, "symlink", no_symlinks)
    pointer = update_latest_pointer(tmp_path, run)
    assert pointer == tmp_path / "LATEST"
    assert pointer.read_text(encoding="utf-8").strip() == "run-1"
    assert not (tmp_path / "latest").exists()


def test_write_reports_writes_every_report(tmp_path: Path) -> None:
    run_dir = tmp_path / "reports" / "run-1"
    paths = write_reports(run_dir, run_info(), sample_results())
    assert set(paths) == {"json", "run_info", "junit", "matrix", "html", "compat",
                          "compat_html", "wptreport"}
    assert {p.name for p in run_dir.iterdir()} == {
        "results.json", "run_info.json", "junit.xml", "matrix.md", "matrix.html", "compat.md",
        "compat.html", "wptreport.json",
    }
    _, loaded = load_results_json(paths["json"])
    assert len(loaded) == 8
    ET.parse(paths["junit"])
    # The extra target of a result gets its own matrix column.
    assert "| Interface / member | native | reference | chrome-beta |" in (
        paths["matrix"].read_text(encoding="utf-8")
    )
