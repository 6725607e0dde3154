"""Making a certification fit to send to a customer: no secret, no run-local address.

:func:`scrub` rewrites every string of a :class:`~conformance.certify.model.Certification`
(summaries, evidence, findings and their call sites, logs, diagnostics, details) before
anything is written or printed:

- the values of the profile's ``{env:NAME}`` secrets and the harness's per-run secrets
  become ``<secret>``;
- the suite's loopback addresses become what the profile states: the signalling endpoint
  ``{signal}``, a bundled or served app's files their path inside the app (``/app.js``);
- a device id (Chromium's 64-hex-digit hashes) becomes the device's label when the page
  listed it, ``a device`` otherwise.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any, TypeVar

__all__ = ["SECRET", "Scrubber", "scrub"]

SECRET = "<secret>"
_DEVICE_ID = re.compile(r"\b[0-9a-f]{64}\b")
T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class Scrubber:
    """What to replace: ``secrets`` (values), ``addresses`` (text -> what to show instead),
    ``devices`` (device id -> label)."""

    secrets: frozenset[str] = frozenset()
    addresses: Mapping[str, str] = dataclasses.field(default_factory=dict)
    devices: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def text(self, value: str) -> str:
        """One string, scrubbed."""
        # Addresses first (the signalling URL holds a per-run secret); longest first, so
        # a text that contains another is replaced whole.
        for address in sorted(self.addresses, key=len, reverse=True):
            value = value.replace(address, self.addresses[address])
        for secret in sorted(self.secrets, key=len, reverse=True):
            if secret:
                value = value.replace(secret, SECRET)
        return _DEVICE_ID.sub(self._device, value)

    def _device(self, match: re.Match[str]) -> str:
        label = self.devices.get(match.group(0))
        return repr(label) if label else "a device"

    def value(self, value: T) -> T:
        """Any value (strings, lists, tuples, dicts, dataclasses), scrubbed (a copy)."""
        result: Any
        if isinstance(value, str):
            result = self.text(value)
        elif isinstance(value, list):
            result = [self.value(item) for item in value]
        elif isinstance(value, tuple):
            result = tuple(self.value(item) for item in value)
        elif isinstance(value, dict):
            result = {self.value(k): self.value(v) for k, v in value.items()}
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            changes = {f.name: self.value(getattr(value, f.name))
                       for f in dataclasses.fields(value) if f.init}
            result = dataclasses.replace(value, **changes)
        else:
            result = value
        return result  # type: ignore[no-any-return]


def scrub(value: T, scrubber: Scrubber) -> T:
    """``value`` (a certification) with every string scrubbed by ``scrubber``."""
    return scrubber.value(value)
