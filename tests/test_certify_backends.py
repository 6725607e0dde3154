"""The shipped Janus profiles: the catalog certifies them against Janus on another host
(``tests/test_catalog_stacks.py``, through ``catalog/janus-*``); here, that they load."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.backends.janus import DEMOS
from conformance.certify import load_profile

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name", ["janus-audiobridge.yaml", "janus-echotest.yaml"])
def test_the_shipped_janus_profiles_are_valid(name: str) -> None:
    if not DEMOS.is_dir():
        pytest.skip("Debian's janus-demos is not installed (the profiles serve its folder)")
    profile = load_profile(ROOT / "profiles" / name)
    assert profile.far_end.own_backend and profile.app.serve[-1] == DEMOS
