"""Deprecated: the shared YAML core is :mod:`conformance.yamlcore` (``SpecChecker`` is
:class:`~conformance.yamlcore.DocumentChecker`). "Spec" means the W3C specification in this
field, so the module was renamed; this alias goes in the next release."""

from __future__ import annotations

import warnings

from conformance.yamlcore import (
    DEFAULT_STEP_TIMEOUT,
    MAX_TIMEOUT,
    WAIT_HEADROOM,
    DocumentChecker,
    load_schema,
    parse_duration,
    read_document,
    step_validators,
    validator,
)

__all__ = [
    "DEFAULT_STEP_TIMEOUT",
    "MAX_TIMEOUT",
    "WAIT_HEADROOM",
    "SpecChecker",
    "load_schema",
    "parse_duration",
    "read_document",
    "step_validators",
    "validator",
]

#: The former name of :class:`~conformance.yamlcore.DocumentChecker`.
SpecChecker = DocumentChecker

warnings.warn("conformance.spec is deprecated: use conformance.yamlcore (SpecChecker is "
              "DocumentChecker)", DeprecationWarning, stacklevel=2)
