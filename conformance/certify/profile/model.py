"""The app profile as the certification runs it: what :func:`conformance.certify.profile.load_profile`
returns, already checked (the YAML format is ``conformance/schema/profile.schema.json``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from conformance.model import Mark
from conformance.reports.markdown import md_truncate
from conformance.yamlcore import DEFAULT_STEP_TIMEOUT

__all__ = [
    "ACTIONS",
    "DEFAULT_BUNDLED_PATH",
    "DEFAULT_TIMEOUT",
    "FAR_END_AUDIO",
    "STEP_ACTIONS",
    "STEP_KINDS",
    "AppInfo",
    "Condition",
    "FarEnd",
    "Incoming",
    "Profile",
    "ProfileStep",
]

#: The default bound of a step: the same as a scenario step's.
DEFAULT_TIMEOUT = DEFAULT_STEP_TIMEOUT
DEFAULT_BUNDLED_PATH = "index.html?signal={signal}"
#: The step kinds (a step's one deciding key), as scenarios call theirs.
STEP_KINDS: tuple[str, ...] = ("click", "fill", "select_option", "press", "wait_for", "goto", "evaluate")
#: The older name of :data:`STEP_KINDS`.
STEP_ACTIONS = STEP_KINDS
ACTIONS: tuple[str, ...] = (
    "start_call",
    "answer",
    "hang_up",
    "mute",
    "unmute",
    "pick_microphone",
    "pick_speaker",
    "send_dtmf",
)


@dataclass(frozen=True)
class Condition:
    """How to tell something is true in the page: a visible selector, a text, or JavaScript."""

    selector: str | None = None
    text: str | None = None
    js: str | None = None
    timeout: float | None = None
    mark: Mark | None = None
    #: The CSS selector of the iframe element whose document the condition looks at.
    frame: str | None = None

    def describe(self) -> str:
        """One line for reports: ``selector "#x"`` etc."""
        parts = [
            f"{kind} {value!r}"
            for kind, value in (("selector", self.selector), ("text", self.text), ("js", self.js))
            if value
        ]
        return " and ".join(parts) + _in_frame(self.frame)


def _in_frame(frame: str | None) -> str:
    return f" in frame {frame!r}" if frame else ""


@dataclass(frozen=True)
class ProfileStep:
    """One Playwright step."""

    kind: str  # one of STEP_KINDS
    selector: str | None
    timeout: float
    mark: Mark
    value: str | None = None
    label: str | None = None
    key: str | None = None
    condition: Condition | None = None
    note: str | None = None
    #: ``goto``: the URL or the path relative to the app's URL (placeholders not substituted).
    url: str | None = None
    #: ``evaluate``: the JavaScript to run.
    script: str | None = None
    #: The CSS selector of the iframe element whose document the step acts in.
    frame: str | None = None

    @property
    def action(self) -> str:
        """The older name of :attr:`kind`."""
        return self.kind

    def describe(self) -> str:
        """The step as the report shows it: ``click "#call"`` (placeholders not substituted)."""
        if self.kind == "wait_for" and self.condition is not None:
            return f"wait_for {self.condition.describe()}"
        if self.kind == "goto":
            return f"goto {self.url!r}{_in_frame(self.frame)}"
        if self.kind == "evaluate":
            return f"evaluate {md_truncate(self.script or '', 80)!r}{_in_frame(self.frame)}"
        extra = "".join(
            f" {name}={value!r}"
            for name, value in (("value", self.value), ("label", self.label), ("key", self.key))
            if value is not None
        )
        return f"{self.kind} {self.selector!r}{extra}{_in_frame(self.frame)}"


@dataclass(frozen=True)
class AppInfo:
    """Which app, and where: a URL, a bundled app, or folders the suite serves (``serve``,
    earlier folders overlaying later ones)."""

    name: str
    version: str | None = None
    version_js: str | None = None
    url: str | None = None
    bundled: str | None = None
    path: str = DEFAULT_BUNDLED_PATH
    serve: tuple[Path, ...] = ()
    #: A Playwright storage-state file (a saved login) applied to the app's context.
    storage_state: Path | None = None

    def shown_url(self) -> str:
        """Where the app is, as the profile states it (placeholders as written): its URL, or
        its path inside a bundled or served app (never the suite's loopback server)."""
        if self.url is not None:
            return self.url
        where = f"the bundled app {self.bundled!r}" if self.bundled else "the profile's `serve` folders"
        return f"{self.path} in {where}"


#: What an app's own backend does with audio (``far_end: {app: {audio: ...}}``).
FAR_END_AUDIO: tuple[str, ...] = ("echo", "plays", "none")


@dataclass(frozen=True)
class Incoming:
    """How to make the app's backend call the app: an HTTP request, or a command."""

    url: str | None = None
    method: str = "POST"
    body: str | None = None
    command: tuple[str, ...] = ()

    def describe(self) -> str:
        """One line for reports."""
        return f"{self.method} {self.url}" if self.url else f"the command {' '.join(self.command)!r}"


@dataclass(frozen=True)
class FarEnd:
    """Who the app calls: the suite's far end through ``{signal}`` (``harness``), or its own
    backend (``app``), which ``audio`` describes."""

    kind: Literal["harness", "app"] = "harness"
    audio: str = "none"  # with ``app``: one of FAR_END_AUDIO
    incoming: Incoming | None = None

    @property
    def own_backend(self) -> bool:
        """Whether the app calls its own backend."""
        return self.kind == "app"


@dataclass(frozen=True)
class Profile:
    """A validated app profile."""

    file: str
    app: AppInfo
    actions: dict[str, tuple[ProfileStep, ...]]
    call_up: Condition
    timeout: float = DEFAULT_TIMEOUT
    setup: tuple[ProfileStep, ...] = ()
    ready: Condition | None = None
    diagnostics: str | None = None
    far_end: FarEnd = field(default_factory=FarEnd)
    marks: dict[str, Mark] = field(default_factory=dict)
    #: ``network:``: where the reference target's local device sits (``None``: not said).
    network: str | None = None
    #: ``far_end_network:``: where the suite's far end sits (``None``: not said).
    far_end_network: str | None = None

    def has(self, action: str) -> bool:
        """Whether the profile defines ``action``."""
        return bool(self.actions.get(action))

    def steps(self) -> tuple[ProfileStep, ...]:
        """Every step: set-up, then each action's."""
        return (*self.setup, *(step for steps in self.actions.values() for step in steps))

    def secret_texts(self) -> list[str]:
        """The texts that may use ``{env:NAME}`` (the steps' values)."""
        return [step.value for step in self.steps() if step.value is not None]
