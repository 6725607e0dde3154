"""What the flows record about one target besides their verdicts: typed evidence records.

The flows write these on the :class:`~conformance.certify.flows.context.TargetContext`; later flows, the
audit's verdicts (:mod:`conformance.certify.audit.judge`) and the runner read their fields. The
sentences a report shows are made from the records (``describe``), never parsed back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["AppVersion", "CarriedRecord", "Telemetry"]


@dataclass(frozen=True)
class CarriedRecord:
    """Whether one call ran on the local device (the redirection carried it): the DTLS
    fingerprint the far end negotiated is, or is not, one of the host's peer connections'."""

    call_id: int
    carried: bool
    #: The host's peer connection that holds the call's fingerprint (when carried).
    peer_connection: str = ""

    def describe(self) -> str:
        """The record as a sentence of evidence."""
        if self.carried:
            return (
                f"call {self.call_id}: its DTLS fingerprint is the local device's, one of its "
                "peer connections' (carried by the redirection)"
            )
        return (
            f"call {self.call_id}: NOT carried by the local device "
            "(no host peer connection has its fingerprint)"
        )


@dataclass(frozen=True)
class Telemetry:
    """What the profile's ``diagnostics`` expression returned, beside the redirection
    diagnostics the page exposed at the time (so the two can be compared)."""

    #: The app's telemetry (any JSON value); ``None`` when the expression failed.
    value: Any = None
    #: Why the expression failed (its first line), or ``None``.
    error: str | None = None
    #: The page's redirection diagnostics as the audit read them (name -> value).
    diagnostics: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AppVersion:
    """What the profile's ``version_js`` expression said about the app's version."""

    #: The version, or ``None`` when the expression failed or returned nothing.
    value: str | None = None
    #: Why the expression failed (its first line), or ``None``.
    error: str | None = None

    def describe(self) -> str | None:
        """The version for people: the value, ``unknown (why)`` after a failure, else ``None``."""
        if self.value:
            return self.value
        return f"unknown ({self.error})" if self.error is not None else None
