"""Remote parties: someone for the page under test to call.

A scenario creates a far end from the page (``await farEnd('aiortc')`` or
``farEnd('native')``); the page reaches the harness through a Playwright binding
(``__conformanceParty``), which works even when the browser runs on another machine. The
broker owns the parties of one item and closes them when the item ends.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from conformance.parties.aiortc_party import AiortcParty
from conformance.parties.native_party import NativePageParty

__all__ = ["AiortcParty", "NativePageParty", "Party", "PartyBroker"]

BINDING_NAME = "__conformanceParty"
_MAX_PARTIES = 8


class Party(Protocol):
    """What every far end offers."""

    kind: str

    async def answer(self, offer_sdp: str) -> str: ...
    async def offer(self) -> str: ...
    async def accept(self, answer_sdp: str) -> None: ...
    async def stats(self) -> dict[str, Any]: ...
    async def close(self) -> None: ...


class PartyBroker:
    """Creates and drives the far ends of one item on behalf of its page."""

    def __init__(self, open_native: Callable[[float | None], Awaitable[NativePageParty]]) -> None:
        self._open_native = open_native
        self._parties: dict[int, Party] = {}
        self._ids = itertools.count(1)

    async def handle(self, _source: Any, op: str, args: dict[str, Any] | None = None) -> Any:
        """The binding's entry point: ``op`` with JSON ``args``; returns JSON."""
        args = args or {}
        if op == "create":
            return await self._create(str(args.get("kind", "aiortc")), args.get("tone"))
        party = self._parties.get(int(args.get("id", 0)))
        if party is None:
            raise ValueError(f"no far end with id {args.get('id')!r}")
        if op == "answer":
            return await party.answer(str(args["sdp"]))
        if op == "offer":
            return await party.offer()
        if op == "accept":
            return await party.accept(str(args["sdp"]))
        if op == "stats":
            return await party.stats()
        if op == "close":
            await party.close()
            self._parties.pop(int(args["id"]), None)
            return None
        raise ValueError(f"unknown far-end operation {op!r}")

    async def _create(self, kind: str, tone: Any) -> int:
        if len(self._parties) >= _MAX_PARTIES:
            raise ValueError(f"at most {_MAX_PARTIES} far ends per item")
        tone_hz = float(tone) if tone is not None else None
        party: Party
        if kind == "aiortc":
            party = AiortcParty(tone_hz) if tone_hz else AiortcParty()
        elif kind == "native":
            party = await self._open_native(tone_hz)
        else:
            raise ValueError(f"unknown far end {kind!r} (aiortc or native)")
        ident = next(self._ids)
        self._parties[ident] = party
        return ident

    async def close(self) -> None:
        """Close every far end still open."""
        parties, self._parties = list(self._parties.values()), {}
        await asyncio.gather(*(p.close() for p in parties), return_exceptions=True)
