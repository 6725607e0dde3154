"""The sound card is the launched browser's default and can be turned off (no browser)."""

from __future__ import annotations

import pytest

from conformance.browser import FAKE_DEVICES_ARG, launch_args
from conformance.soundcard import ENV_VAR, soundcard_problem, soundcard_wanted
from conformance.targets import BrowserOptions, Browsers


def test_on_by_default_and_off_with_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert soundcard_wanted() and BrowserOptions().soundcard
    for off in ("0", "off", "No", "false"):
        monkeypatch.setenv(ENV_VAR, off)
        assert not soundcard_wanted() and not BrowserOptions().soundcard
        assert soundcard_problem() == f"{ENV_VAR}={off} turns the sound card off"
        # A native target without the card says why in run_info.
        assert Browsers(BrowserOptions()).soundcard_problem == soundcard_problem()
        assert not Browsers(BrowserOptions()).soundcard_expected()


def test_without_a_card_chromium_keeps_its_fake_devices() -> None:
    args = launch_args(("--x",))
    assert FAKE_DEVICES_ARG in args and args[-1] == "--x"
    assert not any(arg.startswith("--utility-cmd-prefix") for arg in args)
    assert Browsers(BrowserOptions(soundcard=False)).soundcard_problem is not None
