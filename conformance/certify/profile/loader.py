"""App profiles: the YAML file that tells ``conformance certify`` how to drive a calling app.

Validation is the shared YAML core's (:mod:`conformance.yamlcore`), as for scenarios: the JSON
Schema shipped in ``conformance/schema/profile.schema.json`` checks the shape (editors use it
for completion), then the loader checks what a schema says badly: which kind a step is (its
one deciding key, with a "did you mean"), placeholders, URLs, bundled app names, durations.
Every error points at ``file:line:col`` with the offending lines
(:class:`~conformance.errors.SpecFileError`). A step waits with ``wait_for``, bounded by its
``timeout`` (default :data:`~conformance.yamlcore.DEFAULT_STEP_TIMEOUT`), as in scenarios.

Placeholders (``{signal}``, ``{mic_id}``, ``{mic_label}``, ``{speaker_id}``,
``{speaker_label}``) are substituted in the URL, the bundled path and step selectors,
values, labels, keys and texts; ``{env:NAME}`` (a secret from the environment) in a step's
``value`` only; never in JavaScript (:mod:`conformance.certify.profile.placeholders`). ``{{`` and
``}}`` are literal braces.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

import jsonschema

from conformance.certify.profile.apps import bundled_apps
from conformance.certify.profile.model import (
    ACTIONS,
    DEFAULT_BUNDLED_PATH,
    DEFAULT_TIMEOUT,
    FAR_END_AUDIO,
    STEP_ACTIONS,
    STEP_KINDS,
    AppInfo,
    Condition,
    FarEnd,
    Incoming,
    Profile,
    ProfileStep,
)
from conformance.certify.profile.placeholders import ENV_NAME, ENV_PREFIX, PLACEHOLDERS, names_in, substitute
from conformance.certify.profile.value_checks import check_goto, check_storage_state
from conformance.errors import did_you_mean
from conformance.jscheck import JsForm
from conformance.yamlcore import (
    DocumentChecker,
    load_schema,
    read_document,
    step_validators,
    validator,
)
from conformance.yamlmarks import MarkedDocument
from conformance.yamlmarks import Path as KeyPath

__all__ = [
    "ACTIONS",
    "DEFAULT_TIMEOUT",
    "FAR_END_AUDIO",
    "PLACEHOLDERS",
    "STEP_ACTIONS",
    "STEP_KINDS",
    "AppInfo",
    "Condition",
    "FarEnd",
    "Incoming",
    "Profile",
    "ProfileStep",
    "load_profile",
    "profile_schema",
    "substitute",
]

_COMMON_STEP_KEYS = ("timeout", "note", "frame")
#: Steps whose deciding key's value is not a selector (and so is checked otherwise).
_NOT_SELECTORS = ("wait_for", "goto", "evaluate")
#: Actions that must use one of the suite's placeholders, and how to use it.
_NEEDS = {
    "pick_microphone": (("mic_id", "mic_label"), "the suite chooses the device: select it with e.g. "
                        "`select_option: '#device'` and `value: '{mic_id}'`"),
    "pick_speaker": (("speaker_id", "speaker_label"), "the suite chooses the device: select it with e.g. "
                     "`select_option: '#device'` and `value: '{speaker_id}'`"),
    "send_dtmf": (("digit",), "the suite runs it once per digit: press that key with e.g. "
                  "`click: '#keypad [data-digit=\"{digit}\"]'`"),
}


def profile_schema() -> dict[str, Any]:
    """The profile JSON Schema shipped with the package."""
    return load_schema("profile")


class _Checker(DocumentChecker):
    """Collects the errors of one profile while converting it into a :class:`Profile`."""

    WHAT: ClassVar[str] = "a profile"
    QUOTE_HINT: ClassVar[str] = "a selector or JavaScript starting with `[` or `{` must be quoted"
    FORMAT_KEY: ClassVar[str | None] = "profile"

    def __init__(self, doc: MarkedDocument, base: Path) -> None:
        super().__init__(doc)
        #: The profile file's folder: relative paths in it start there.
        self.base = base

    def special_schema_error(self, err: jsonschema.ValidationError, path: KeyPath) -> bool:
        if err.validator == "oneOf" and path == ("far_end",):
            self.error(
                self.doc.mark(path),
                "far_end is `harness` or `app:` with `audio: echo|plays|none` (and optionally `incoming:`)",
                "e.g. `far_end: {app: {audio: echo}}` for an app that calls its own echo test",
            )
            return True
        if err.validator == "minProperties" and "selector" in str(err.schema):
            self.error(self.doc.mark(path), "a condition needs `selector`, `text` or `js`")
            return True
        return False

    def placeholders(self, text: Any, path: tuple[str | int, ...], *, secrets: bool = False) -> set[str]:
        """The placeholders ``text`` uses; unknown ones are errors. ``secrets``: whether
        ``{env:NAME}`` may be used here (a step's value: never a URL or a selector, which
        reports show)."""
        if not isinstance(text, str):
            return set()
        used = set()
        for name in names_in(text):
            if name.startswith(ENV_PREFIX):
                self._secret(name[len(ENV_PREFIX):], path, secrets)
            elif name not in PLACEHOLDERS:
                hint = did_you_mean(name, PLACEHOLDERS)
                self.error(
                    self.doc.mark(path),
                    f"unknown placeholder {{{name}}}",
                    f"did you mean {{{hint}}}?"
                    if hint
                    else f"placeholders: {', '.join('{' + p + '}' for p in PLACEHOLDERS)} and "
                    "{env:NAME} (a step's value); write {{ and }} for literal braces",
                )
            else:
                used.add(name)
        return used

    def _secret(self, variable: str, path: tuple[str | int, ...], allowed: bool) -> None:
        if not allowed:
            self.error(self.doc.mark(path), f"{{env:{variable}}} is only allowed in a step's `value`",
                       "secrets go where reports never show them: e.g. `- fill: '#password'` "
                       f"with `value: '{{env:{variable}}}'`")
        elif not ENV_NAME.match(variable):
            self.error(self.doc.mark(path), f"invalid environment variable name {variable!r}",
                       "use letters, digits and `_`, e.g. {env:ACME_PASSWORD}")


def _inside_steps(path: tuple[str | int, ...]) -> bool:
    """Whether ``path`` is inside one step of a step list (``setup[i]``, ``actions.x[i]``)."""
    if len(path) >= 2 and path[0] == "setup" and isinstance(path[1], int):
        return True
    return len(path) >= 3 and path[0] == "actions" and isinstance(path[2], int)


def load_profile(path: Path, display_path: str | None = None) -> Profile:
    """Load and check one profile; raise :class:`~conformance.errors.SpecFileError` listing
    every problem."""
    checker = _Checker(read_document(path, display_path), path.resolve().parent)
    profile = _check(checker)
    if checker.errors or profile is None:
        raise checker.fail()
    return profile


def _check(c: _Checker) -> Profile | None:
    data = c.doc.data
    if not isinstance(data, dict):
        c.error(c.doc.mark(()), "a profile is a mapping with profile, app, actions and call_up")
        return None
    c.schema_errors(validator("profile"), data, skip=_inside_steps)
    per_action = step_validators("profile", STEP_KINDS)
    timeout = c.duration(data.get("timeout"), ("timeout",)) or DEFAULT_TIMEOUT
    far_end = _check_far_end(data.get("far_end"))
    app = _check_app(c, data.get("app"), far_end)
    setup = _check_steps(c, per_action, data.get("setup"), ("setup",), timeout)
    actions: dict[str, tuple[ProfileStep, ...]] = {}
    raw_actions = data.get("actions")
    if isinstance(raw_actions, dict):
        for name in ACTIONS:
            if name in raw_actions:
                actions[name] = _check_steps(c, per_action, raw_actions[name], ("actions", name), timeout)
                _check_needs(c, name, raw_actions[name])
    call_up = _check_condition(c, data.get("call_up"), ("call_up",))
    ready = _check_condition(c, data.get("ready"), ("ready",)) if "ready" in data else None
    _check_javascript(c, data.get("diagnostics"), ("diagnostics",), "expression")
    if isinstance(data.get("app"), dict):
        _check_javascript(c, data["app"].get("version_js"), ("app", "version_js"), "expression")
    if data.get("far_end_network") not in (None, "same-host") and far_end.own_backend:
        c.error(c.doc.mark(("far_end_network",)),
                "far_end_network places the suite's far end, and this profile's far end is the "
                "app's own backend (far_end: app)",
                "remove far_end_network: the suite cannot move the app's own backend")
    if c.errors or app is None or call_up is None:
        return None
    return Profile(
        file=c.doc.file,
        app=app,
        actions=actions,
        call_up=call_up,
        timeout=timeout,
        setup=setup,
        ready=ready,
        diagnostics=data.get("diagnostics"),
        far_end=far_end,
        marks={"app": c.doc.mark(("app",)), "call_up": c.doc.mark(("call_up",))},
        network=data.get("network"),
        far_end_network=data.get("far_end_network"),
    )


def _check_far_end(raw: Any) -> FarEnd:
    """The far end (its shape was checked by the schema)."""
    if not isinstance(raw, dict) or not isinstance(raw.get("app"), dict):
        return FarEnd()
    app = raw["app"]
    incoming = None
    spec = app.get("incoming")
    if isinstance(spec, dict) and isinstance(spec.get("http"), dict):
        http = spec["http"]
        incoming = Incoming(url=http.get("url"), method=http.get("method", "POST"), body=http.get("body"))
    elif isinstance(spec, dict) and isinstance(spec.get("command"), list):
        incoming = Incoming(command=tuple(str(part) for part in spec["command"]))
    audio = app.get("audio") if app.get("audio") in FAR_END_AUDIO else "none"
    return FarEnd("app", audio, incoming)


def _no_signal(c: _Checker, path: tuple[str | int, ...], what: str) -> None:
    c.error(
        c.doc.mark(path),
        f"the {what} does not pass {{signal}}, and the profile has no `far_end: app`",
        "choose: add `?signal={signal}` if the app calls the suite's far end, or declare "
        "`far_end: {app: {audio: echo|plays|none}}` if it calls its own backend",
    )


def _check_app(c: _Checker, raw: Any, far_end: FarEnd) -> AppInfo | None:
    if not isinstance(raw, dict):
        return None
    url, bundled, serve = raw.get("url"), raw.get("bundled"), raw.get("serve")
    if sum(value is not None for value in (url, bundled, serve)) != 1:
        c.error(
            c.doc.mark(("app",)),
            "an app needs exactly one of `url`, `bundled` and `serve`",
            "use `url: http://127.0.0.1:8080/?signal={signal}`, `bundled: sample` or "
            "`serve: [overrides, /usr/share/my-app]`",
        )
        return None
    if isinstance(url, str):
        c.placeholders(url, ("app", "url"))
        scheme = urlsplit(url.replace("{signal}", "x")).scheme
        if scheme not in ("http", "https"):
            c.error(
                c.doc.mark(("app", "url")),
                f"the app URL must be http or https, not {scheme or 'relative'!r}",
                "e.g. `http://127.0.0.1:8080/index.html?signal={signal}`",
            )
        elif "{signal}" not in url and not far_end.own_backend:
            _no_signal(c, ("app", "url"), "app URL")
    if "path" in raw and bundled is None and serve is None:
        c.error(
            c.doc.key_mark(("app", "path")),
            "`path` only goes with `bundled` or `serve`",
            "put the page and query in `url`",
        )
    if isinstance(bundled, str):
        apps = bundled_apps()
        if bundled not in apps:
            hint = did_you_mean(bundled, apps)
            c.error(
                c.doc.mark(("app", "bundled")),
                f"no bundled app called {bundled!r}",
                f"did you mean {hint!r}?" if hint else f"bundled apps: {', '.join(sorted(apps)) or 'none'}",
            )
    folders = _check_serve(c, serve)
    if bundled is not None or serve is not None:
        path = raw.get("path", DEFAULT_BUNDLED_PATH)
        c.placeholders(path, ("app", "path"))
        if isinstance(path, str) and "{signal}" not in path and not far_end.own_backend:
            _no_signal(c, ("app", "path") if "path" in raw else ("app",), "app path")
    storage = check_storage_state(c, raw.get("storage_state"), c.base)
    if not isinstance(raw.get("name"), str):
        return None
    return AppInfo(
        name=raw["name"],
        version=raw.get("version"),
        version_js=raw.get("version_js"),
        url=url,
        bundled=bundled,
        path=raw.get("path", DEFAULT_BUNDLED_PATH),
        serve=folders,
        storage_state=storage,
    )


def _check_serve(c: _Checker, serve: Any) -> tuple[Path, ...]:
    """The folders of ``serve``, relative to the profile file; a missing one is an error."""
    if not isinstance(serve, list):
        return ()
    folders = []
    for index, entry in enumerate(serve):
        if not isinstance(entry, str):
            continue
        folder = Path(entry) if Path(entry).is_absolute() else c.base / entry
        if not folder.is_dir():
            c.error(c.doc.mark(("app", "serve", index)), f"no folder {entry!r} (from {folder})",
                    "paths are relative to the profile file")
        folders.append(folder)
    return tuple(folders)


def _check_needs(c: _Checker, action: str, raw: Any) -> None:
    """A device-picking action must use the device's placeholder, or it cannot pick ours
    (and the keypad action its digit's)."""
    if action not in _NEEDS or not isinstance(raw, list):
        return
    needs, hint = _NEEDS[action]
    used: set[str] = set()
    for step in raw:
        if isinstance(step, dict):
            for key, value in step.items():
                if isinstance(value, str) and key in (*STEP_KINDS, "value", "label", "key") \
                        and key != "evaluate":  # JavaScript: never substituted
                    used.update(names_in(value))
                elif isinstance(value, dict):
                    for inner in ("selector", "text"):
                        if isinstance(value.get(inner), str):
                            used.update(names_in(value[inner]))
    if not used & set(needs):
        c.error(
            c.doc.key_mark(("actions", action)),
            f"{action} never uses {' or '.join('{' + name + '}' for name in needs)}",
            hint,
        )


def _check_steps(
    c: _Checker,
    per_action: dict[str, jsonschema.Draft202012Validator],
    raw: Any,
    path: tuple[str | int, ...],
    default_timeout: float,
) -> tuple[ProfileStep, ...]:
    steps: list[ProfileStep] = []
    for index, item in enumerate(raw if isinstance(raw, list) else []):
        step = _check_step(c, per_action, item, (*path, index), default_timeout)
        if step is not None:
            steps.append(step)
    return tuple(steps)


def _check_step(
    c: _Checker,
    per_action: dict[str, jsonschema.Draft202012Validator],
    raw: Any,
    path: tuple[str | int, ...],
    default_timeout: float,
) -> ProfileStep | None:
    doc = c.doc
    checked = c.step(raw, path, per_action, (*_COMMON_STEP_KEYS, "value", "label", "key"),
                     "- click: '#call'", default_timeout)
    if checked is None:
        return None
    action, timeout = checked
    # evaluate is JavaScript: braces are its own, never placeholders.
    for key in (action, "value", "label", "key") if action != "evaluate" else ("value",):
        if isinstance(raw.get(key), str):
            c.placeholders(raw[key], (*path, key), secrets=key == "value")
    if action == "goto":
        check_goto(c, raw["goto"], (*path, "goto"))
    if action == "evaluate":
        _check_javascript(c, raw["evaluate"], (*path, "evaluate"), "body")
    if action == "select_option" and ("value" in raw) == ("label" in raw):
        c.error(doc.key_mark((*path, action)), "select_option needs exactly one of `value` and `label`")
        return None
    condition = None
    frame = raw.get("frame")
    if action == "wait_for":
        condition = _check_condition(c, raw["wait_for"], (*path, "wait_for"), frame)
        if condition is None:
            return None
        if condition.timeout is not None:
            timeout = condition.timeout
    return ProfileStep(
        kind=action,
        selector=raw[action] if action not in _NOT_SELECTORS else None,
        timeout=timeout,
        mark=doc.mark(path),
        value=raw.get("value"),
        label=raw.get("label"),
        key=raw.get("key"),
        condition=condition,
        note=raw.get("note"),
        url=raw["goto"] if action == "goto" else None,
        script=raw["evaluate"] if action == "evaluate" else None,
        frame=frame,
    )


def _check_javascript(c: _Checker, source: Any, path: tuple[str | int, ...], form: JsForm) -> None:
    """A syntax error in a profile's JavaScript is an error of the profile, located."""
    how = "one expression" if form == "expression" else "the body of an async function"
    for mark, message in c.javascript(source, path, form):
        c.error(mark, f"JavaScript syntax error: {message}", f"`{path[-1]}` is compiled as {how}")


def _check_condition(
    c: _Checker, raw: Any, path: tuple[str | int, ...], frame: str | None = None
) -> Condition | None:
    """A condition; ``frame``: the frame of the step it belongs to (its own wins)."""
    if not isinstance(raw, dict):
        return None  # the schema reported it
    if not any(k in raw for k in ("selector", "text", "js")):
        if raw and not c.has_error_at(path):  # an empty one: the schema reported it
            c.error(c.doc.mark(path), "a condition needs `selector`, `text` or `js` (besides "
                    f"{', '.join(f'`{k}`' for k in raw)})", "e.g. `{frame: '#phone', selector: '#dialpad'}`")
        return None
    for key in ("selector", "text"):
        c.placeholders(raw.get(key), (*path, key))
    _check_javascript(c, raw.get("js"), (*path, "js"), "expression")
    own = raw.get("frame")
    return Condition(
        selector=raw.get("selector"),
        text=raw.get("text"),
        js=raw.get("js"),
        timeout=c.duration(raw.get("timeout"), (*path, "timeout")),
        mark=c.doc.mark(path),
        frame=own if isinstance(own, str) else frame,
    )
