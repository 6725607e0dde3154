"""Bounded polling of a virtual speaker's record, shared by the reference tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from reference_impl import ReferenceHost

#: How often a bounded wait polls (a wait on a condition, not a fixed sleep).
POLL_INTERVAL_S = 0.05


async def wait_record(host: ReferenceHost, speaker: int, check: Callable[[dict[str, Any]], bool],
                      timeout: float = 8.0) -> dict[str, Any]:
    """Poll a speaker record until ``check`` accepts it (bounded)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    record = await host.speaker_record(speaker)
    while not check(record):
        if loop.time() > deadline:
            raise AssertionError(f"speaker {speaker} never matched; last record {record}")
        await asyncio.sleep(POLL_INTERVAL_S)
        record = await host.speaker_record(speaker)
    return record
