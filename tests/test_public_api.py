"""The public Python API is explicit: ``__all__`` lists exactly what is exported."""

from __future__ import annotations

import importlib

import pytest


@pytest.mark.parametrize("module_name", ["conformance", "reference_impl"])
def test_all_names_exist_and_are_public(module_name: str) -> None:
    module = importlib.import_module(module_name)
    exported = module.__all__
    for name in exported:
        assert hasattr(module, name), f"{module_name}.{name} is in __all__ but missing"
        assert not name.startswith("_")


def test_conformance_api_is_exactly_this() -> None:
    import conformance

    assert set(conformance.__all__) == {
        "CHROMIUM_ARGS", "EXPECTATION_KINDS", "TARGETS", "BrowserNotFoundError", "Expectation",
        "Harness", "RunInfo", "Scenario", "ScenarioError", "ScenarioFileError", "ScenarioResult", "Step",
        "find_chromium", "launch_chromium", "load_results_json", "load_scenario",
        "load_scenarios", "write_reports",
    }


def test_the_former_name_of_expectation_kinds_still_works_and_warns() -> None:
    import conformance

    with pytest.warns(DeprecationWarning, match="EXPECTATION_KINDS"):
        former = conformance.TARGETS
    assert former == conformance.EXPECTATION_KINDS == ("native", "redirected")


@pytest.mark.parametrize(("former", "today", "name"), [
    ("conformance.spec", "conformance.yamlcore", "DEFAULT_STEP_TIMEOUT"),
    ("conformance.registry", "conformance.interfaces", "SUPPORTED_INTERFACES"),
])
def test_renamed_modules_still_import_and_warn(former: str, today: str, name: str) -> None:
    import sys

    sys.modules.pop(former, None)
    with pytest.warns(DeprecationWarning, match=today):
        old = importlib.import_module(former)
    assert getattr(old, name) is getattr(importlib.import_module(today), name)


def test_every_public_object_has_a_docstring() -> None:
    import conformance

    for name in conformance.__all__:
        obj = getattr(conformance, name)
        if callable(obj):
            assert obj.__doc__, f"conformance.{name} has no docstring"
