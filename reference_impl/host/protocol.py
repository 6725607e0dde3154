"""The wire format between shim/harness and host: parsing, validation and replies.

Every message is one JSON object in one WebSocket text frame (see ``PROTOCOL.md``).
Requests are ``{"id": int, "op": str, ...}``; replies ``{"id", "ok", "result"|"error"}``;
events ``{"event": str, "target": str|None, ...}``. Nothing here does I/O, so the rules
are easy to unit-test.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

__all__ = [
    "MAX_MESSAGE_BYTES",
    "TRANSPORT_MAX_BYTES",
    "HostError",
    "Request",
    "encode",
    "error_reply",
    "event",
    "ok_reply",
    "parse_request",
    "request_id_of",
]

#: Largest message the protocol accepts. Anything bigger gets a ``MessageTooLarge`` error
#: reply and is dropped; the connection survives.
MAX_MESSAGE_BYTES = 1 << 20

#: Hard cap enforced by the WebSocket library itself: a frame beyond it closes the
#: connection (close code 1009) without a reply, so a hostile peer cannot make the host
#: buffer unbounded data just to answer "too large".
TRANSPORT_MAX_BYTES = 8 << 20


class HostError(Exception):
    """An operation failed; ``name`` is what the page sees as the exception's name.

    Names follow the DOM: ``InvalidStateError``, ``OperationError``, ``NotFoundError``,
    ``OverconstrainedError`` (with ``constraint``), ``NotSupportedError``, ``TypeError``...
    Protocol-level failures use ``ProtocolError``, ``NotAuthenticated``,
    ``MessageTooLarge`` and ``UnknownOperation``.
    """

    def __init__(self, name: str, message: str, *, constraint: str | None = None) -> None:
        super().__init__(message)
        self.name = name
        self.message = message
        self.constraint = constraint

    def to_json(self) -> dict[str, Any]:
        """The ``error`` member of a reply."""
        error: dict[str, Any] = {"name": self.name, "message": self.message}
        if self.constraint is not None:
            error["constraint"] = self.constraint
        return error


@dataclass(frozen=True)
class Request:
    """A parsed request: its correlation id, operation name and arguments."""

    id: int
    op: str
    args: dict[str, Any]

    def string(self, key: str, *, optional: bool = False) -> str:
        """A string argument, or ``TypeError`` naming the argument."""
        value = self.args.get(key)
        if value is None and optional:
            return ""
        if not isinstance(value, str):
            raise HostError("TypeError", f"{self.op}: argument {key!r} must be a string")
        return value

    def opt_str(self, key: str) -> str | None:
        """A string argument that may be absent or null."""
        value = self.args.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise HostError("TypeError", f"{self.op}: argument {key!r} must be a string")
        return value

    def boolean(self, key: str, default: bool = False) -> bool:
        """A boolean argument with a default."""
        value = self.args.get(key, default)
        if not isinstance(value, bool):
            raise HostError("TypeError", f"{self.op}: argument {key!r} must be a boolean")
        return value

    def number(self, key: str, default: float | None = None) -> float:
        """A numeric argument (bools are refused: JSON ``true`` is not a number)."""
        value = self.args.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise HostError("TypeError", f"{self.op}: argument {key!r} must be a number")
        return float(value)

    def opt_int(self, key: str) -> int | None:
        """An integer argument that may be absent or null."""
        value = self.args.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise HostError("TypeError", f"{self.op}: argument {key!r} must be an integer")
        return value

    def obj(self, key: str, *, optional: bool = False) -> dict[str, Any]:
        """An object argument (``{}`` when optional and absent)."""
        value = self.args.get(key)
        if value is None and optional:
            return {}
        if not isinstance(value, dict):
            raise HostError("TypeError", f"{self.op}: argument {key!r} must be an object")
        return value

    def str_list(self, key: str) -> list[str]:
        """A list of strings (``[]`` when absent)."""
        value = self.args.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise HostError("TypeError", f"{self.op}: argument {key!r} must be a list of strings")
        return value


def parse_request(raw: str | bytes) -> Request:
    """Parse one incoming frame, or raise :class:`HostError` saying what is wrong."""
    if isinstance(raw, bytes):
        raise HostError("ProtocolError", "binary frames are not part of the protocol; send JSON text")
    if len(raw) > MAX_MESSAGE_BYTES:  # characters >= bytes/4, so check bytes only when close
        raise HostError("MessageTooLarge", f"message exceeds {MAX_MESSAGE_BYTES} bytes")
    if len(raw) * 4 > MAX_MESSAGE_BYTES and len(raw.encode("utf-8")) > MAX_MESSAGE_BYTES:
        raise HostError("MessageTooLarge", f"message exceeds {MAX_MESSAGE_BYTES} bytes")
    try:
        message = json.loads(raw)
    except (ValueError, RecursionError) as error:
        raise HostError("ProtocolError", f"malformed JSON: {error}") from None
    if not isinstance(message, dict):
        raise HostError("ProtocolError", "a message must be a JSON object")
    request_id = message.get("id")
    if isinstance(request_id, bool) or not isinstance(request_id, int):
        raise HostError("ProtocolError", "a request needs an integer 'id'")
    op = message.get("op")
    if not isinstance(op, str) or not op:
        raise HostError("ProtocolError", "a request needs a string 'op'")
    args = {k: v for k, v in message.items() if k not in ("id", "op")}
    return Request(request_id, op, args)


def request_id_of(raw: str | bytes) -> int | None:
    """Best-effort id of a frame that failed to parse, so the error reply can be matched."""
    if isinstance(raw, bytes) or len(raw) > MAX_MESSAGE_BYTES:
        return None
    try:
        message = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if isinstance(message, dict):
        value = message.get("id")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def ok_reply(request_id: int, result: Any) -> dict[str, Any]:
    """A success reply."""
    return {"id": request_id, "ok": True, "result": result}


def error_reply(request_id: int | None, error: HostError) -> dict[str, Any]:
    """A failure reply (``id`` is null when the request could not be read)."""
    return {"id": request_id, "ok": False, "error": error.to_json()}


def event(name: str, target: str | None = None, **fields: Any) -> dict[str, Any]:
    """A host-to-page event."""
    return {"event": name, "target": target, **fields}


def encode(message: dict[str, Any]) -> str:
    """Serialise a message (compact; NaN is not valid JSON, so refuse it)."""
    return json.dumps(message, separators=(",", ":"), allow_nan=False)
