"""conformance.setup: what counts as installed, and no install attempt when not allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance import setup


def test_missing_backends_are_listed_without_installing(monkeypatch: pytest.MonkeyPatch,
                                                        tmp_path: Path) -> None:
    present = tmp_path / "janus"
    present.touch()
    monkeypatch.setattr(setup, "TEST_BACKEND_PACKAGES",
                        {"janus": present, "coturn": tmp_path / "turnserver"})

    def no_apt(packages: list[str]) -> None:
        raise AssertionError(f"tried to install {packages}")

    monkeypatch.setattr(setup, "_apt_install", no_apt)
    assert setup.ensure_test_backends(install=False) == ["coturn"]


def test_backends_are_installed_when_allowed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    marker = tmp_path / "turnserver"
    monkeypatch.setattr(setup, "TEST_BACKEND_PACKAGES", {"coturn": marker})
    monkeypatch.setattr(setup, "_can_apt_install", lambda: True)
    installed: list[list[str]] = []

    def fake_apt(packages: list[str]) -> None:
        installed.append(packages)
        marker.touch()

    monkeypatch.setattr(setup, "_apt_install", fake_apt)
    assert setup.ensure_test_backends() == []
    assert installed == [["coturn"]]
