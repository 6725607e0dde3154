"""Certification hears what the user hears, whatever way the app plays the call (issue 21).

A softphone of the tests' own (``tests/data/apps/render-modes``, against its own echoing
backend) plays the far end in the way ``?render=`` names: a detached ``Audio``, an
``<audio>`` in the document, Web Audio to ``destination`` with ``AudioContext.setSinkId``
(beside the muted element Chromium needs), a ``<video>``, an element made 1 s after
``ontrack``, ``srcObject``/``setSinkId``/``play()`` in one task; and the whole app inside an
iframe. Each is CERTIFIED on both targets, natively on the sound card (real PulseAudio, real
Chromium), and the certificate names the speaker that played the far end and how the page
played it. Its flawed variants fail their check for the right reason on both targets.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from echo_backend import echo_backend

from conformance.certify import certify, load_profile
from conformance.certify.model import Certification
from conformance.soundcard import soundcard_problem
from conformance.targets import BrowserOptions, TargetOptions

needs_soundcard = pytest.mark.skipif(soundcard_problem() is not None,
                                     reason=f"no sound card here: {soundcard_problem()}")

APP = Path(__file__).resolve().parent / "data" / "apps" / "render-modes"
TARGETS = ("native", "reference")


@pytest.fixture(scope="module")
def backend() -> Iterator[str]:
    """One echoing backend for the module (each call it answers is its own)."""
    with echo_backend() as url:
        yield url


def _profile(tmp_path: Path, backend: str, render: str, *, flaw: str = "", framed: str = "") -> Path:
    """The app's profile: its own backend (``far_end: app``, echo), every step in the
    iframe when the app runs inside one (``framed``: ``same`` or ``cross`` origin)."""
    query = (f"signal={backend}&render={render}" + (f"&flaw={flaw}" if flaw else "")
             + ("&cross=1" if framed == "cross" else ""))
    in_frame = "frame: 'iframe#app'" if framed else ""
    condition_frame = f"\n  {in_frame}" if framed else ""
    # Natively device ids are per origin: a cross-origin frame's devices are chosen by label.
    chosen = "label: '{%s_label}'" if framed == "cross" else "value: '{%s_id}'"

    def step(kind: str, selector: str, device: str = "") -> str:
        lines = [f"    - {kind}: '{selector}'", *([f"      {chosen % device}"] if device else []),
                 *([f"      {in_frame}"] if framed else [])]
        return "\n".join(lines)

    name = ", ".join([render, *([flaw] if flaw else []),
                      *([f"in a {framed}-origin iframe"] if framed else [])])
    text = f"""profile: 1
app:
  name: Render-modes softphone ({name})
  serve: [{APP}]
  path: {'outer' if framed else 'index'}.html?{query}
far_end:
  app:
    audio: echo
timeout: 15s
ready:
  selector: body[data-state="idle"]{condition_frame}
actions:
  pick_microphone:
{step('select_option', '#mic', 'mic')}
  pick_speaker:
{step('select_option', '#speaker', 'speaker')}
  start_call:
{step('click', '#call')}
  mute:
{step('click', '#mute')}
  hang_up:
{step('click', '#hangup')}
call_up:
  selector: body[data-state="in-call"]{condition_frame}
"""
    path = tmp_path / f"render-{render}{framed}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _certify(tmp_path: Path, backend: str, render: str, *, flaw: str = "", framed: str = "",
             soundcard: bool = True, targets: tuple[str, ...] = TARGETS) -> Certification:
    profile = load_profile(_profile(tmp_path, backend, render, flaw=flaw, framed=framed))
    options = TargetOptions(browser=BrowserOptions(soundcard=soundcard))
    return asyncio.run(certify(profile, targets, run_id=f"test-render-{render}", options=options))


#: render mode, the iframe the app runs in (same or cross origin), how the certificate says
#: the page played the call.
MODES = [
    ("detached", "", "a detached <audio> element"),
    ("document", "", "an <audio> element in the document"),
    ("webaudio", "", "a Web Audio graph to its AudioContext's destination"),
    ("video", "", "a <video> element in the document"),
    ("late", "", "an <audio> element in the document"),
    ("one-task", "", "a detached <audio> element"),
    ("document", "same", "an <audio> element in the document in the iframe <iframe#app>"),
    ("document", "cross", "an <audio> element in the document in the iframe of another origin (index.html)"),
]


@needs_soundcard
@pytest.mark.parametrize(("render", "framed", "how"), MODES,
                         ids=[m[0] + (f"-in-{m[1]}-origin-iframe" if m[1] else "") for m in MODES])
def test_each_render_mode_is_certified_on_both_targets(
        tmp_path: Path, backend: str, render: str, framed: str, how: str) -> None:
    cert = _certify(tmp_path, backend, render, framed=framed)
    assert cert.certified, cert.failing_summaries()
    for target, speaker in (("native", "Sound Card Speaker 2"), ("reference", "Reference Speaker 2")):
        played = cert.told("devices-honoured", target)
        # The chosen speaker's own record proves it, and the audit says how the page played it.
        assert re.search(rf"speaker 2 \({re.escape(speaker)}[^)]*\) renders \d+ Hz", played), played
        assert f"the page plays the call through {how} (on '{speaker}" in played, played
        assert "(a round trip)" in cert.told("audio-both-ways", target)


@needs_soundcard
def test_the_call_on_the_wrong_speaker_fails_devices_honoured_naming_both(
        tmp_path: Path, backend: str) -> None:
    cert = _certify(tmp_path, backend, "detached", flaw="wrong-speaker")
    failed_checks = cert.failing_summaries()
    assert set(failed_checks) == {("devices-honoured", t) for t in TARGETS}, failed_checks
    for target, prefix in (("native", "Sound Card Speaker"), ("reference", "Reference Speaker")):
        failed = cert.told("devices-honoured", target)
        assert re.search(rf"plays on '{prefix} 1.*not on the chosen '{prefix} 2", failed), failed


@needs_soundcard
def test_a_mute_button_that_only_changes_the_ui_fails_mute(tmp_path: Path, backend: str) -> None:
    cert = _certify(tmp_path, backend, "detached", flaw="ui-mute")
    assert set(cert.failing_summaries()) == {("mute", t) for t in TARGETS}, cert.failing_summaries()
    for target in TARGETS:
        assert "mute did not silence what is sent" in cert.told("mute", target)


@pytest.mark.parametrize(("render", "how"), [("detached", "a detached <audio> plays"),
                                             ("webaudio", "AudioContext plays")])
def test_without_the_sound_card_the_page_side_evidence_hears_detached_and_web_audio(
        tmp_path: Path, backend: str, render: str, how: str) -> None:
    """Chromium's fake devices: the audit's analyser measures what the page plays, a detached
    element and a graph to ``destination`` included (never the muted element beside it)."""
    cert = _certify(tmp_path, backend, render, soundcard=False, targets=("native",))
    assert cert.certified, cert.failing_summaries()
    played = cert.told("devices-honoured", "native")
    assert re.search(rf"{how} 52\d Hz .* on 'Fake Audio Output 2'", played), played
