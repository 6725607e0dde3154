"""Merging runs: the shards of one suite run become one run folder."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest
from report_samples import page_data
from run_samples import SHARD_1, SHARD_2, info, res, write_run

from conformance.reports import load_results_json, read_results_log, write_results_json
from conformance.reports.merge import MergeError, merge_runs, write_merged_run
from conformance.results import RunInfo

ROOT = Path(__file__).resolve().parent.parent
RESULTS_SCHEMA = ROOT / "conformance" / "schema" / "results.schema.json"


def test_merge_unions_results_and_run_info(tmp_path: Path) -> None:
    one = write_run(tmp_path / "m1", info("shard-1", workers=2, targets=["native", "reference"],
                                          start_time="2024-06-01T12:00:00+00:00",
                                          end_time="2024-06-01T12:04:00+00:00"), SHARD_1)
    two = write_run(tmp_path / "m2", info("shard-2", workers=3, targets=["reference", "native"],
                                          browser_version="157.0", interrupted=True,
                                          start_time="2024-06-01T11:59:00+00:00",
                                          end_time="2024-06-01T12:06:00+00:00"), SHARD_2)
    run_info, results = merge_runs([one, two / "results.json"], run_id="merged")
    assert sorted(r.test for r in results) == sorted(r.test for r in [*SHARD_1, *SHARD_2])
    assert [r.test for r in results][:2] == ["pc.a[native]", "pc.a[reference]"]  # report order
    assert run_info.run_id == "merged"
    assert run_info.targets == ["native", "reference"]
    assert run_info.start_time == "2024-06-01T11:59:00+00:00"
    assert run_info.end_time == "2024-06-01T12:06:00+00:00"
    assert run_info.interrupted
    assert run_info.workers == 5
    assert run_info.suite_version == "0.1.0"
    assert run_info.browser_version == "156.0, 157.0"
    assert [(m["run_id"], m["results"]) for m in run_info.merged_from] == [
        ("shard-1", 3), ("shard-2", 2),
    ]


def test_merge_refuses_mixed_versions_unless_allowed(tmp_path: Path) -> None:
    one = write_run(tmp_path / "m1", info("shard-1"), SHARD_1)
    two = write_run(tmp_path / "m2", info("shard-2", suite_version="0.2.0"), SHARD_2)
    with pytest.raises(MergeError) as caught:
        merge_runs([one, two])
    message = str(caught.value)
    assert "different suite versions" in message
    assert "0.1.0 (shard-1)" in message and "0.2.0 (shard-2)" in message
    assert "--allow-mixed-versions" in message
    run_info, results = merge_runs([one, two], allow_mixed_versions=True)
    assert run_info.suite_version == "0.1.0 + 0.2.0"
    assert len(results) == 5


def test_merge_duplicates(tmp_path: Path) -> None:
    early = info("early", start_time="2024-06-01T10:00:00+00:00")
    late = info("late", start_time="2024-06-01T11:00:00+00:00")
    first = write_run(tmp_path / "a", early, [res("pc.a", duration=1.0), res("pc.b")])
    same = write_run(tmp_path / "b", late, [res("pc.a", duration=2.0)])
    # Agreeing duplicates: the later run's copy is kept, whatever the argument order.
    _, results = merge_runs([same, first])
    assert next(r for r in results if r.test == "pc.a[native]").duration == 2.0
    conflicting = write_run(tmp_path / "c", late, [res("pc.a", status="FAIL", expected=False)])
    with pytest.raises(MergeError, match=r"pc\.a\[native\]: PASS in early .* FAIL in late"):
        merge_runs([first, conflicting])
    _, results = merge_runs([conflicting, first], duplicates="later")
    assert next(r for r in results if r.test == "pc.a[native]").status == "FAIL"


def test_merge_needs_a_run(tmp_path: Path) -> None:
    with pytest.raises(MergeError, match="nothing to merge"):
        merge_runs([])
    with pytest.raises(ValueError, match="not a run folder"):
        merge_runs([tmp_path])


def test_write_merged_run_is_a_normal_run_folder(tmp_path: Path) -> None:
    shard = tmp_path / "s1"
    artifact = "artifacts/pc.c/native/screenshot.png"
    with_artifact = replace(SHARD_1[2], artifacts={"screenshot": artifact, "gone": "artifacts/x.png"})
    one = write_run(shard, info("shard-1"), [*SHARD_1[:2], with_artifact])
    (one / artifact).parent.mkdir(parents=True)
    (one / artifact).write_bytes(b"\x89PNG one")
    two = write_run(tmp_path / "s2", info("shard-2"), SHARD_2)
    reports = tmp_path / "reports"
    run_dir, written = write_merged_run([one, two], reports, run_id="merged-1")
    assert run_dir == reports / "merged-1"
    assert set(written) == {"json", "run_info", "junit", "matrix", "html", "compat",
                            "compat_html", "wptreport"}
    assert (reports / "latest").resolve() == run_dir.resolve()
    schema = json.loads(RESULTS_SCHEMA.read_text(encoding="utf-8"))
    document = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(document)
    assert document["run_info"]["merged_from"][0]["run_id"] == "shard-1"
    _, results = load_results_json(run_dir / "results.json")
    assert len(results) == 5
    assert len(read_results_log(run_dir / "results.jsonl")) == 5
    assert (run_dir / artifact).read_bytes() == b"\x89PNG one"
    copied = next(r for r in results if r.test == "pc.c[native]")
    assert copied.artifacts == {"screenshot": artifact, "gone": "artifacts/x.png"}
    data, records = page_data(written["html"].read_text("utf-8"))
    (number,) = [n for n, entry in enumerate(data["results"]) if entry[0] == "pc.c[native]"]
    assert ["screenshot", artifact, artifact, None] in records[number]["a"]
    with pytest.raises(MergeError, match="already exists"):
        write_merged_run([one, two], reports, run_id="merged-1")


def test_merged_artifacts_that_collide_are_renamed(tmp_path: Path) -> None:
    path = "artifacts/shared.png"
    one = write_run(tmp_path / "a", info("one"), [res("pc.a", artifacts={"shot": path})])
    two = write_run(tmp_path / "b", info("two"), [res("pc.b", artifacts={"shot": path})])
    for run_dir, data in ((one, b"one"), (two, b"two")):
        (run_dir / "artifacts").mkdir()
        (run_dir / path).write_bytes(data)
    run_dir, _ = write_merged_run([one, two], tmp_path / "out", run_id="m")
    _, results = load_results_json(run_dir / "results.json")
    paths = {r.test: r.artifacts["shot"] for r in results}
    assert paths["pc.a[native]"] == path
    assert paths["pc.b[native]"] == "artifacts/merged/two/artifacts/shared.png"
    assert (run_dir / paths["pc.b[native]"]).read_bytes() == b"two"


def test_run_info_without_merged_from_is_unchanged_on_disk(tmp_path: Path) -> None:
    # Files of normal runs keep the exact shape readers of the first v1 files expect.
    plain = info().to_json()
    assert "merged_from" not in plain
    assert RunInfo.from_json(plain) == info()
    merged = info(merged_from=[{"run_id": "x"}])
    assert RunInfo.from_json(merged.to_json()) == merged
    path = write_results_json(tmp_path / "results.json", merged, [])
    assert load_results_json(path)[0].merged_from == [{"run_id": "x"}]
