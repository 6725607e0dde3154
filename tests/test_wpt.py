"""``conformance wpt``: discovery, the read-only loopback server, and a real run on both
targets (real Chromium, the real reference host) over the small WPT-layout tree in
``tests/data/wpt`` (the project's own testharness-style files; no W3C files)."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
from pathlib import Path

import pytest

from conformance.cli import main
from conformance.limitations import load_limitations
from conformance.wpt import run_wpt
from conformance.wpt.report import differences, differences_markdown
from conformance.wpt.runner import DEFAULT_TIMEOUT_S, LONG_TIMEOUT_S, discover
from conformance.wpt.server import WptServer
from conformance.wpt.testharness import HarnessUnavailable, fetch_testharness

TREE = Path(__file__).parent / "data" / "wpt"
REGISTRY = Path(__file__).parent.parent / "scenarios" / "limitations.yaml"


@pytest.fixture(scope="module")
def testharness() -> Path:
    """The testharness.js set-up fetched (CI requires it: a failure there is not a skip)."""
    try:
        return fetch_testharness()
    except HarnessUnavailable as error:
        if os.environ.get("CONFORMANCE_REQUIRE_TESTHARNESS"):
            raise
        pytest.skip(f"testharness.js cannot be fetched: {error}")


def _get(server: WptServer, path: str, *, host: str | None = None, method: str = "GET") -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        connection.request(method, path, headers={"Host": host or server.url("").split("/")[2]})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_discovery_finds_testharness_files_only(tmp_path: Path) -> None:
    tests = discover(TREE, [])
    assert [t.url for t in tests] == ["/webrtc/basics.https.html", "/webrtc/datachannel.window.html",
                                      "/webrtc/never-finishes.html"]
    assert {t.timeout for t in tests} == {DEFAULT_TIMEOUT_S}
    assert [t.url for t in discover(TREE, ["webrtc/never-finishes.html"])] == ["/webrtc/never-finishes.html"]
    (tmp_path / "slow.any.js").write_text("// META: timeout=long\ntest(() => {});\n")
    assert [(t.url, t.timeout) for t in discover(tmp_path, [])] == [("/slow.any.html", LONG_TIMEOUT_S)]
    with pytest.raises(FileNotFoundError):
        discover(TREE, ["../test_wpt.py"])


def test_server_is_read_only_behind_its_host_name(testharness: Path) -> None:
    server = WptServer(TREE, testharness)
    try:
        status, body = _get(server, "/webrtc/support/helper.js")
        assert status == 200 and b"helperExpectedTracks" in body
        assert _get(server, "/resources/testharness.js")[1] == testharness.read_bytes()
        assert b"__conformanceWptReport" in _get(server, "/resources/testharnessreport.js")[1]
        status, wrapper = _get(server, "/webrtc/datachannel.window.html")
        assert status == 200
        assert b'<script src="support/helper.js"></script>' in wrapper
        assert b'<script src="/webrtc/datachannel.window.js"></script>' in wrapper
        assert _get(server, "/webrtc/support/helper.js", host=f"localhost:{server.port}")[0] == 404
        assert _get(server, "/../test_wpt.py")[0] == 404
        assert _get(server, "/webrtc/missing.html")[0] == 404
        assert _get(server, "/webrtc/support/helper.js", method="POST")[0] == 501
    finally:
        server.close()


def test_differences_group_by_message_and_name_limitations() -> None:
    def report(*subtests: tuple[str, str, str | None]) -> dict[str, object]:
        return {"results": [{"test": "/a.html", "status": "OK", "message": None,
                             "subtests": [{"name": n, "status": s, "message": m} for n, s, m in subtests]}]}

    native = report(("one", "PASS", None), ("two", "PASS", None), ("three", "PASS", None),
                    ("four", "FAIL", "x"))
    other = report(("one", "PASS", None),
                   ("two", "FAIL", "NotSupportedError: video capture (limitation ref-video-capture)\nstack"),
                   ("four", "FAIL", "x"))
    diff = differences({"native": native, "reference": other}, load_limitations(REGISTRY))
    data = diff["targets"]["reference"]
    assert (data["native_passing"], data["also_passing"], data["percent"]) == (3, 1, 33.3)
    groups = {g["message"]: g for g in data["groups"]}
    video = groups["NotSupportedError: video capture (limitation ref-video-capture)"]
    assert (video["count"], video["limitation"], video["limitation_certain"]) == (
        1, "ref-video-capture", True)
    assert groups["(no message)"]["subtests"] == [
        {"test": "/a.html", "subtest": "three", "status": "MISSING (OK)"}]


def test_the_share_leaves_out_differences_of_not_applicable_limitations() -> None:
    def report(*subtests: tuple[str, str, str | None]) -> dict[str, object]:
        return {"results": [{"test": "/b.html", "status": "OK", "message": None,
                             "subtests": [{"name": n, "status": s, "message": m} for n, s, m in subtests]}]}

    native = report(("audio one", "PASS", None), ("audio two", "PASS", None),
                    ("[video] frames", "PASS", None), ("Video track getCapabilities() width", "PASS", None),
                    ("graph", "PASS", None))
    long = "NotSupportedError: " + "x" * 400 + " (limitation webaudio-node-limit)"
    other = report(("audio one", "PASS", None), ("audio two", "FAIL", "assert_equals: 1 vs 2"),
                   ("[video] frames", "FAIL", "timed out"), ("graph", "FAIL", long))
    registry = load_limitations(REGISTRY)
    diff = differences({"native": native, "reference": other}, registry,
                       not_applicable=("ref-video-capture", "webaudio-node-limit"))
    data = diff["targets"]["reference"]
    # 5 pass natively; 3 differ for a not-applicable limitation: the [video] subtest and the
    # one its failed setup never created (named by the registry's wpt_subtests patterns), and
    # the Web Audio one (its id is past the first line's 300 characters).
    assert (data["native_passing"], data["not_applicable"], data["applicable"], data["also_passing"],
            data["percent"]) == (5, 3, 2, 1, 50.0)
    named = {g["subtests"][0]["subtest"]: (g["limitation"], g["limitation_certain"], g["applicable"])
             for g in data["groups"]}
    assert named == {"audio two": (None, False, True),
                     "[video] frames": ("ref-video-capture", True, False),
                     "Video track getCapabilities() width": ("ref-video-capture", True, False),
                     "graph": ("webaudio-node-limit", True, False)}
    assert "1 of 2 applicable subtests also pass on reference (50.0 %)" in differences_markdown(diff)
    assert "ref-video-capture (not applicable)" in differences_markdown(diff)


def test_run_on_both_targets_writes_reports_and_differences(testharness: Path, tmp_path: Path) -> None:
    # Generous deadlines (30 s): a loaded machine's first fake-device capture can take seconds.
    summary = asyncio.run(_run(tmp_path, ["webrtc/basics.https.html", "webrtc/datachannel.window.js"],
                               ("native", "reference"), 3.0))
    native = json.loads((tmp_path / "wptreport-native.json").read_text())
    reference = json.loads((tmp_path / "wptreport-reference.json").read_text())
    assert summary["tests"] == 2
    by_test = {r["test"]: r for r in native["results"]}
    assert by_test["/webrtc/basics.https.html"]["status"] == "OK"
    assert all(s["status"] == "PASS" for s in by_test["/webrtc/basics.https.html"]["subtests"])
    assert by_test["/webrtc/datachannel.window.html"]["subtests"] == [
        {"name": "a message sent on a data channel arrives", "status": "PASS", "message": None}]
    assert native["run_info"]["target"] == "native" and reference["run_info"]["target"] == "reference"
    data = json.loads((tmp_path / "differences.json").read_text())["targets"]["reference"]
    assert data["native_passing"] == 5
    # Video capture is the one documented difference, mapped to its limitation by the message.
    assert [(g["count"], g["limitation"], g["limitation_certain"]) for g in data["groups"]] == [
        (1, "ref-video-capture", True)]
    assert data["groups"][0]["subtests"][0]["subtest"] == "getUserMedia gives one video track"
    assert "ref-video-capture" in (tmp_path / "differences.md").read_text()


def test_a_file_past_its_deadline_is_timeout_with_what_it_finished(testharness: Path, tmp_path: Path) -> None:
    # Half the normal deadline: 5 s for a file that can never complete.
    asyncio.run(_run(tmp_path, ["webrtc/never-finishes.html"], ("native",), 0.5))
    [slow] = json.loads((tmp_path / "wptreport-native.json").read_text())["results"]
    assert slow["status"] == "TIMEOUT" and slow["message"] == "no result within 5 s"
    assert slow["subtests"] == [{"name": "finishes at once", "status": "PASS", "message": None}]


async def _run(report_dir: Path, paths: list[str], targets: tuple[str, ...],
               multiplier: float) -> dict[str, object]:
    from conformance.targets import TargetOptions

    return await run_wpt(TREE, paths, targets, TargetOptions(), report_dir=report_dir,
                         multiplier=multiplier, limitations_file=REGISTRY)


def test_cli_rejects_a_missing_tree(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["wpt", "--wpt-root", str(tmp_path / "nowhere")]) == 2
    assert "not a folder" in capsys.readouterr().err


def test_a_registry_pattern_that_is_not_a_regular_expression_is_located(tmp_path: Path) -> None:
    from conformance.errors import SpecFileError

    registry = tmp_path / "limitations.yaml"
    registry.write_text("limitations:\n  - id: ref-x\n    kind: reference\n    title: x\n"
                        "    behaviour: y\n    wpt_subtests: ['^ok', '(unclosed']\n")
    with pytest.raises(SpecFileError) as raised:
        load_limitations(registry)
    assert f"{registry}:6:" in str(raised.value) and "is not a regular expression" in str(raised.value)
