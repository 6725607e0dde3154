"""Deprecated: the supported interfaces are :mod:`conformance.interfaces` ("registry" also
named the limitations and the targets, so the module was renamed); this alias goes in the
next release."""

from __future__ import annotations

import warnings

from conformance.interfaces import SUPPORTED_INTERFACES, is_known_member, known_names

__all__ = ["SUPPORTED_INTERFACES", "is_known_member", "known_names"]

warnings.warn("conformance.registry is deprecated: use conformance.interfaces",
              DeprecationWarning, stacklevel=2)
