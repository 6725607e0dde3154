"""App profiles: the shipped ones load; mistakes are reported at file:line:col with a hint."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from conformance.certify.cli import DEFAULT_PROFILE
from conformance.certify.profile.loader import Profile, load_profile, profile_schema, substitute
from conformance.errors import ScenarioFileError
from conformance.yamlcore import DEFAULT_STEP_TIMEOUT

ROOT = Path(__file__).resolve().parent.parent
GOOD = """\
profile: 1
app:
  name: Demo
  url: http://127.0.0.1:8080/index.html?signal={signal}
actions:
  start_call:
    - click: '#call'
  hang_up:
    - click: '#hangup'
call_up:
  js: window.inCall === true
"""


def write(tmp_path: Path, text: str, name: str = "app.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def errors_of(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ScenarioFileError) as caught:
        load_profile(path, display_path="app.yaml")
    return caught.value.render()


def shape(profile: Profile) -> tuple[object, ...]:
    """What a profile does, without where its lines are."""
    actions = {name: [step.describe() for step in steps] for name, steps in profile.actions.items()}
    return (
        profile.app,
        profile.timeout,
        actions,
        profile.call_up.describe(),
        profile.ready.describe() if profile.ready else None,
        profile.diagnostics,
        [step.describe() for step in profile.setup],
    )


def test_schema_is_a_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(profile_schema())


def test_example_profile_and_bundled_profile_are_the_same_profile() -> None:
    example = load_profile(ROOT / "profiles" / "sample.yaml")
    bundled = load_profile(DEFAULT_PROFILE)
    assert example.app.bundled == "sample"
    assert shape(example) == shape(bundled)
    assert set(example.actions) == {
        "start_call",
        "answer",
        "hang_up",
        "mute",
        "unmute",
        "pick_microphone",
        "pick_speaker",
        "send_dtmf",
    }
    assert example.actions["pick_microphone"][0].value == "{mic_id}"


def test_minimal_profile_loads_with_defaults(tmp_path: Path) -> None:
    profile = load_profile(write(tmp_path, GOOD))
    assert profile.timeout == DEFAULT_STEP_TIMEOUT  # the same default as a scenario step's
    assert profile.ready is None and not profile.has("mute") and profile.has("start_call")
    assert profile.call_up.js == "window.inCall === true"
    step = profile.actions["start_call"][0]
    assert (step.kind, step.selector, step.timeout, step.mark.line) == (
        "click", "#call", DEFAULT_STEP_TIMEOUT, 7)


@pytest.mark.parametrize(
    ("edit", "where", "message", "hint"),
    [
        (
            ("  hang_up:", "  hangup:"),
            "app.yaml:8:3",
            "unknown key 'hangup' in 'actions'",
            "did you mean 'hang_up'?",
        ),
        (
            ("- click: '#call'", "- clik: '#call'"),
            "app.yaml:7:7",
            "unknown step kind 'clik'",
            "did you mean 'click'?",
        ),
        (
            ("?signal={signal}", "?signal={signl}"),
            "app.yaml:4:8",
            "unknown placeholder {signl}",
            "did you mean {signal}?",
        ),
        (
            ("  url: http://127.0.0.1:8080/index.html?signal={signal}", "  bundled: sampel"),
            "app.yaml:4:12",
            "no bundled app called 'sampel'",
            "did you mean 'sample'?",
        ),
        (
            ("http://127.0.0.1:8080/index.html?signal={signal}", "ftp://host/?signal={signal}"),
            "app.yaml:4:8",
            "the app URL must be http or https",
            None,
        ),
        (
            ("?signal={signal}", ""),
            "app.yaml:4:8",
            "the app URL does not pass {signal}, and the profile has no `far_end: app`",
            "choose: add `?signal={signal}`",
        ),
        (
            ("profile: 1", "profile: 1\nfar_end: {app: {audio: loud}}"),
            "app.yaml:2:10",
            "far_end is `harness` or `app:`",
            "far_end: {app: {audio: echo}}",
        ),
        (
            ("  js: window.inCall === true", "  jss: x"),
            "app.yaml:11:3",
            "unknown key 'jss' in 'call_up'",
            "did you mean 'js'?",
        ),
        (("profile: 1", "profile: 2"), "app.yaml:1:10", "unsupported profile format 2", "profile: 1"),
        (
            ("    - click: '#hangup'", "    - click: '#hangup'\n      timeout: soon"),
            "app.yaml:10:16",
            "invalid duration 'soon'",
            "use `500ms`",
        ),
    ],
)
def test_errors_point_at_the_place_with_a_hint(
    tmp_path: Path, edit: tuple[str, str], where: str, message: str, hint: str | None
) -> None:
    assert edit[0] in GOOD
    rendered = errors_of(tmp_path, GOOD.replace(edit[0], edit[1], 1))
    assert f"{where}: error: {message}" in rendered
    assert " > " in rendered  # the offending line is shown
    if hint:
        assert "hint:" in rendered and hint in rendered


def test_missing_required_keys_and_every_error_reported(tmp_path: Path) -> None:
    text = GOOD.replace("call_up:\n  js: window.inCall === true\n", "").replace("  hang_up:", "  hangup:")
    rendered = errors_of(tmp_path, text)
    assert "'call_up' is a required key" in rendered
    assert "unknown key 'hangup'" in rendered


def test_device_actions_must_use_the_device_placeholder(tmp_path: Path) -> None:
    picking = "  pick_microphone:\n    - select_option: '#mic'\n      value: mic-1\n"
    text = GOOD.replace("  hang_up:", picking + "  hang_up:")
    rendered = errors_of(tmp_path, text)
    assert "app.yaml:8:3: error: pick_microphone never uses {mic_id} or {mic_label}" in rendered


def test_the_keypad_action_must_use_the_digit(tmp_path: Path) -> None:
    keypad = "  send_dtmf:\n    - click: '#key-5'\n"
    rendered = errors_of(tmp_path, GOOD.replace("  hang_up:", keypad + "  hang_up:"))
    assert "app.yaml:8:3: error: send_dtmf never uses {digit}" in rendered
    assert "runs it once per digit" in rendered
    keypad = "  send_dtmf:\n    - click: '#keypad [data-digit=\"{digit}\"]'\n"
    profile = load_profile(write(tmp_path, GOOD.replace("  hang_up:", keypad + "  hang_up:")))
    assert profile.has("send_dtmf")


def test_select_option_needs_value_or_label(tmp_path: Path) -> None:
    text = GOOD.replace("  hang_up:", "  pick_speaker:\n    - select_option: '#spk'\n  hang_up:")
    rendered = errors_of(tmp_path, text)
    assert "select_option needs exactly one of `value` and `label`" in rendered


def test_url_and_bundled_are_exclusive(tmp_path: Path) -> None:
    text = GOOD.replace("  name: Demo", "  name: Demo\n  bundled: sample")
    assert "exactly one of `url`, `bundled` and `serve`" in errors_of(tmp_path, text)


def test_an_app_with_its_own_backend_needs_no_signal(tmp_path: Path) -> None:
    text = GOOD.replace("?signal={signal}", "").replace(
        "profile: 1\n", "profile: 1\nfar_end:\n  app:\n    audio: echo\n"
        "    incoming: {http: {url: 'http://127.0.0.1:9/ring', body: '{}'}}\n")
    profile = load_profile(write(tmp_path, text))
    assert (profile.far_end.kind, profile.far_end.audio) == ("app", "echo")
    assert profile.far_end.incoming is not None
    assert profile.far_end.incoming.describe() == "POST http://127.0.0.1:9/ring"
    assert load_profile(write(tmp_path, GOOD, "harness.yaml")).far_end.kind == "harness"


def test_the_far_end_network_is_the_suites_far_ends_only(tmp_path: Path) -> None:
    peer = GOOD.replace("profile: 1\n", "profile: 1\nfar_end_network: symmetric-nat\n")
    assert load_profile(write(tmp_path, peer)).far_end_network == "symmetric-nat"
    own = GOOD.replace("?signal={signal}", "").replace(
        "profile: 1\n", "profile: 1\nfar_end_network: home\nfar_end:\n  app:\n    audio: echo\n")
    error = errors_of(tmp_path, own)
    assert "app.yaml:2:18" in error and "this profile's far end is the app's own backend" in error
    unknown = GOOD.replace("profile: 1\n", "profile: 1\nfar_end_network: cafe\n")
    assert "not one of" in errors_of(tmp_path, unknown)


def test_served_folders_are_relative_to_the_profile(tmp_path: Path) -> None:
    (tmp_path / "overrides").mkdir()
    text = GOOD.replace("  url: http://127.0.0.1:8080/index.html?signal={signal}",
                        "  serve: [overrides, missing]\n  path: page.html").replace(
        "profile: 1\n", "profile: 1\nfar_end: {app: {audio: none}}\n")
    rendered = errors_of(tmp_path, text)
    assert "app.yaml:5:22: error: no folder 'missing'" in rendered
    (tmp_path / "missing").mkdir()
    profile = load_profile(write(tmp_path, text))
    assert profile.app.serve == (tmp_path / "overrides", tmp_path / "missing")
    assert profile.app.path == "page.html"


def test_malformed_yaml_points_at_the_line(tmp_path: Path) -> None:
    rendered = errors_of(tmp_path, GOOD.replace("  name: Demo", "  name: [Demo"))
    assert rendered.startswith("app.yaml:")
    assert "malformed YAML" in rendered


def test_wait_for_condition_and_placeholders_in_steps(tmp_path: Path) -> None:
    text = GOOD.replace(
        "  start_call:\n    - click: '#call'",
        "  start_call:\n    - fill: '#number'\n      value: '{{42}}'\n"
        "    - click: '#call'\n    - wait_for: {text: Calling, timeout: 2s}",
    )
    profile = load_profile(write(tmp_path, text))
    fill, _click, wait = profile.actions["start_call"]
    assert substitute(fill.value or "", {}) == "{42}"
    assert wait.condition is not None and wait.condition.text == "Calling" and wait.timeout == 2.0


def test_substitute_replaces_known_placeholders_only() -> None:
    assert substitute("a={signal}&b={{x}}", {"signal": "http://s"}) == "a=http://s&b={x}"
    with pytest.raises(KeyError):
        substitute("{mic_id}", {})


def test_schema_file_is_json(tmp_path: Path) -> None:
    text = (ROOT / "conformance" / "schema" / "profile.schema.json").read_text()
    version = json.loads(text)["properties"]["profile"]
    assert version["$ref"] == "common.schema.json#/$defs/format_version"
    common = json.loads((ROOT / "conformance" / "schema" / "common.schema.json").read_text())
    assert common["$defs"]["format_version"]["const"] == 1


REAL_APP = GOOD.replace("  url: http://127.0.0.1:8080/index.html?signal={signal}",
                        "  url: http://127.0.0.1:8080/index.html?signal={signal}\n"
                        "  storage_state: login.json").replace(
    "actions:", "setup:\n  - goto: login.html?next={signal}\n"
    "  - evaluate: \"await window.app.login({user: 'demo'})\"\n    frame: '#phone'\n"
    "  - fill: '#pw'\n    value: '{env:APP_PASSWORD}'\n    frame: 'iframe[name=softphone]'\n"
    "  - wait_for: {selector: '#dialpad'}\n    frame: '#phone'\n"
    "ready: {frame: '#phone', text: Ready}\nactions:")


def test_steps_for_real_apps_load(tmp_path: Path) -> None:
    write(tmp_path, '{"cookies": [], "origins": []}', "login.json")
    profile = load_profile(write(tmp_path, REAL_APP))
    assert profile.app.storage_state == tmp_path / "login.json"
    goto, evaluate, fill, wait = profile.setup
    assert (goto.kind, goto.url, goto.selector) == ("goto", "login.html?next={signal}", None)
    assert evaluate.script == "await window.app.login({user: 'demo'})"  # braces: JavaScript's
    assert (evaluate.frame, fill.frame) == ("#phone", "iframe[name=softphone]")
    assert wait.condition is not None and wait.condition.frame == "#phone"  # the step's frame
    assert profile.ready is not None and profile.ready.frame == "#phone"
    assert fill.describe() == "fill '#pw' value='{env:APP_PASSWORD}' in frame 'iframe[name=softphone]'"
    assert profile.secret_texts() == ["{env:APP_PASSWORD}"]


@pytest.mark.parametrize(
    ("edit", "where", "message", "hint"),
    [
        (("  - goto: login.html?next={signal}", "  - goto: 'javascript:go()'"), "app.yaml:7:11",
         "goto takes an http(s) URL or a path relative to the app's URL, not 'javascript'",
         "`evaluate` step"),
        (("  - goto: login.html?next={signal}", "  - goto: 'login?t={env:TOKEN}'"), "app.yaml:7:11",
         "{env:TOKEN} is only allowed in a step's `value`", "value: '{env:TOKEN}'"),
        (("    frame: '#phone'\n  - fill", "    frme: '#phone'\n  - fill"), "app.yaml:9:5",
         "unknown key 'frme' in step kind 'evaluate'", "did you mean 'frame'?"),
        (("ready: {frame: '#phone', text: Ready}", "ready: {frame: '#phone'}"), "app.yaml:15:8",
         "a condition needs `selector`, `text` or `js` (besides `frame`)", "selector: '#dialpad'"),
        (("  storage_state: login.json", "  storage_state: missing.json"), "app.yaml:5:18",
         "no storage-state file 'missing.json'", "playwright codegen --save-storage"),
    ],
)
def test_real_app_mistakes_point_at_the_place(
    tmp_path: Path, edit: tuple[str, str], where: str, message: str, hint: str
) -> None:
    write(tmp_path, '{"cookies": [], "origins": []}', "login.json")
    assert edit[0] in REAL_APP
    rendered = errors_of(tmp_path, REAL_APP.replace(edit[0], edit[1], 1))
    assert f"{where}: error: {message}" in rendered, rendered
    assert "hint:" in rendered and hint in rendered


def test_a_storage_state_must_be_one(tmp_path: Path) -> None:
    write(tmp_path, "not json", "login.json")
    rendered = errors_of(tmp_path, REAL_APP)
    assert "app.yaml:5:18: error:" in rendered and "is not JSON (line 1)" in rendered


def test_every_javascript_syntax_error_of_a_profile_is_located(tmp_path: Path) -> None:
    """A condition's `js`, `version_js`, `diagnostics` and an `evaluate` step are parsed at
    load time, each error at its YAML line and column."""
    text = GOOD.replace("  js: window.inCall === true", "  js: window.inCall ===")
    text = text.replace("  name: Demo\n", "  name: Demo\n  version_js: app.version(\n")
    evaluate = "    - evaluate: |\n        if (x {\n          go()\n        }\n"
    text = text.replace("    - click: '#call'\n", evaluate + "    - click: '#call'\n")
    rendered = errors_of(tmp_path, text + "diagnostics: '[1, 2'\n")
    assert "app.yaml:4:27: error: JavaScript syntax error: missing `)`" in rendered  # version_js
    assert "app.yaml:9:14: error: JavaScript syntax error: missing `)`" in rendered  # evaluate
    assert "hint: `evaluate` is compiled as the body of an async function" in rendered
    assert "app.yaml:16:24: error: JavaScript syntax error: missing identifier" in rendered  # js
    assert "app.yaml:17:20: error: JavaScript syntax error: missing `]`" in rendered  # diagnostics
    assert "hint: `diagnostics` is compiled as one expression" in rendered


def test_the_example_profile_is_the_bundled_apps_own() -> None:
    """``profiles/sample.yaml`` (the example users copy, with the editor's schema line) and
    ``conformance/apps/sample/profile.yaml`` (shipped in the package, what ``conformance
    certify`` runs with no argument) are one profile: only their comments may differ."""
    import yaml

    example = ROOT / "profiles" / "sample.yaml"
    assert DEFAULT_PROFILE.name == "profile.yaml" and DEFAULT_PROFILE.parent.name == "sample"
    assert yaml.safe_load(example.read_text(encoding="utf-8")) == yaml.safe_load(
        DEFAULT_PROFILE.read_text(encoding="utf-8"))
