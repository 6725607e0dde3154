"""Session descriptions as text: what aiortc does not do for the host.

aiortc parses and writes SDP but knows nothing of rejected m-sections, accepts almost any
text, and has no notion of the candidates a local description carries per transport; the
helpers here fill those gaps for the RTCPeerConnection operations.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from aiortc import RTCSessionDescription
from aiortc import sdp as aiortc_sdp

from .protocol import HostError, Request

__all__ = [
    "check_sdp",
    "description_json",
    "first_mid",
    "local_candidates",
    "parse_description",
    "reject_mids",
    "rejected_mids",
    "remote_media",
]


def description_json(desc: RTCSessionDescription | None) -> dict[str, str] | None:
    """An ``RTCSessionDescriptionInit`` as the page reads it (``None`` stays ``None``)."""
    return None if desc is None else {"type": desc.type, "sdp": desc.sdp}


def first_mid(lines: Iterable[str]) -> str | None:
    """The value of the first ``a=mid:`` line among ``lines``, if any."""
    return next((ln[len("a=mid:"):].strip() for ln in lines if ln.startswith("a=mid:")), None)


def rejected_mids(desc: dict[str, str] | None) -> set[str]:
    """The mids of a description's rejected m-sections (port 0, not bundle-only)."""
    if desc is None:
        return set()
    rejected: set[str] = set()
    mid: str | None = None
    port_zero = bundle_only = False
    for line in [*desc["sdp"].splitlines(), "m="]:
        if line.startswith("m="):
            if mid is not None and port_zero and not bundle_only:
                rejected.add(mid)
            parts = line[2:].split()
            port_zero = len(parts) > 1 and parts[1] == "0"
            bundle_only = False
            mid = None
        elif line.startswith("a=mid:"):
            mid = line[len("a=mid:"):].strip()
        elif line.strip() == "a=bundle-only":
            bundle_only = True
    return rejected


def reject_mids(text: str, mids: set[str]) -> str:
    """``text`` with the m-sections of ``mids`` rejected, as JSEP writes a stopped
    transceiver: port 0, ``a=inactive``, and out of the BUNDLE group. aiortc has no notion
    of a rejected m-section, so the host edits what it produces."""
    if not mids:
        return text
    newline = "\r\n" if "\r\n" in text else "\n"
    sections: list[list[str]] = [[]]
    for line in text.split(newline):
        if line.startswith("m="):
            sections.append([])
        sections[-1].append(line)
    out: list[str] = []
    for line in sections[0]:
        if line.startswith("a=group:BUNDLE"):
            kept = [m for m in line.split()[1:] if m not in mids]
            if not kept:
                continue
            line = "a=group:BUNDLE " + " ".join(kept)
        out.append(line)
    for section in sections[1:]:
        mid = first_mid(section)
        if mid not in mids:
            out.extend(section)
            continue
        head = section[0].split(" ")
        if len(head) > 1:
            head[1] = "0"
        out.append(" ".join(head))
        for line in section[1:]:
            if line in ("a=sendrecv", "a=sendonly", "a=recvonly", "a=inactive"):
                line = "a=inactive"
            elif line.startswith("a=candidate:") or line == "a=end-of-candidates":
                continue
            out.append(line)
    return newline.join(out)


def local_candidates(description: RTCSessionDescription) -> list[dict[str, Any]]:
    """The candidates of a local description, once per transport (BUNDLE-aware)."""
    parsed = aiortc_sdp.SessionDescription.parse(description.sdp)
    bundle = next((g for g in parsed.group if g.semantic == "BUNDLE"), None)
    skipped = set(bundle.items[1:]) if bundle and bundle.items else set()
    found = []
    for index, media in enumerate(parsed.media):
        mid = media.rtp.muxId
        if mid in skipped:
            continue
        for candidate in media.ice_candidates:
            found.append({
                "candidate": "candidate:" + aiortc_sdp.candidate_to_sdp(candidate),
                "sdpMid": mid,
                "sdpMLineIndex": index,
                "usernameFragment": media.ice.usernameFragment if media.ice else None,
            })
    return found


def parse_description(request: Request, key: str = "description") -> RTCSessionDescription:
    """The description the page passed as ``key``; the types the host cannot apply are
    refused as natively (``TypeError``) or as a documented limitation."""
    desc = request.obj(key)
    kind = desc.get("type")
    text = desc.get("sdp", "")
    if kind not in ("offer", "answer", "pranswer", "rollback"):
        raise HostError("TypeError", f"invalid description type {kind!r}")
    if kind in ("rollback", "pranswer"):
        raise HostError("NotSupportedError", f"{kind} descriptions are not supported by the "
                        "reference host (limitation ref-no-rollback-pranswer)")
    if not isinstance(text, str):
        raise HostError("TypeError", "sdp must be a string")
    return RTCSessionDescription(sdp=text, type=kind)


def check_sdp(text: str) -> None:
    """Refuse SDP that native parsers refuse (aiortc accepts almost anything): OperationError."""
    if not text.lstrip().startswith("v="):
        raise HostError("OperationError", "failed to parse the session description: expect line v=")
    try:
        aiortc_sdp.SessionDescription.parse(text)
    except Exception as error:
        raise HostError("OperationError", f"failed to parse the session description: {error}"
                        ) from None


def remote_media(description: RTCSessionDescription) -> dict[str, dict[str, Any]]:
    """``mid -> {receiving, streams, trackId}`` of a remote description, as Chromium reads
    it: this end receives on an m-section the far end sends on; its ``a=msid`` names the
    streams (``-`` for none) and the track id; a sending m-section without ``a=msid``
    belongs to Chromium's ``default`` stream."""
    parsed = aiortc_sdp.SessionDescription.parse(description.sdp)
    found: dict[str, dict[str, Any]] = {}
    for media in parsed.media:
        mid = media.rtp.muxId
        if not mid:
            continue
        receiving = media.port != 0 and media.direction in ("sendrecv", "sendonly")
        streams, track_id = ["default"], None
        if media.msid:
            stream, _, track_id = media.msid.partition(" ")
            streams = [] if stream == "-" else [stream]
        found[mid] = {"receiving": receiving, "streams": streams if receiving else [],
                      "trackId": track_id or None}
    return found


