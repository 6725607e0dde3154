"""Audio evidence: what the far end heard, and what the page rendered.

Audio is proved by measurement, never by the app's UI: the far end (aiortc) analyses what
it receives; under redirection the local device's virtual speakers record what they play;
natively the audit layer analyses the remote track an element plays. Every wait polls a
measurement until it holds or its bound passes.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reference_impl.tones import TONE_TOLERANCE_HZ

if TYPE_CHECKING:
    from conformance.certify.session.app_session import AppSession
    from conformance.certify.session.signalling import Call

__all__ = [
    "HEARD_DBFS",
    "SILENT_DBFS",
    "TONE_TOLERANCE_HZ",
    "Measurement",
    "describe_pair",
    "far_end_connected",
    "far_end_digits",
    "far_end_hears",
    "far_end_silent",
    "how_page_plays",
    "page_renders",
]

HEARD_DBFS = -45.0
SILENT_DBFS = -50.0
_POLL = 0.1
#: How a speaker record names what an AudioContext rendered (``"AudioContext <handle>"``).
_GRAPH_PREFIX = "AudioContext "


@dataclass
class Measurement:
    """The outcome of a wait on audio: whether it held, what matched, and a sentence."""

    ok: bool
    text: str
    tone: float | None = None
    where: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


def _near(value: float, tone: float) -> bool:
    return abs(value - tone) <= TONE_TOLERANCE_HZ


def _matches(value: float, tone: float | None) -> bool:
    """``value`` is ``tone``, or any frequency when ``tone`` is ``None``."""
    return tone is None or _near(value, tone)


def _what(tone: float | None) -> str:
    return "any audible audio" if tone is None else f"{tone:.0f} Hz"


def describe_pair(pair: dict[str, Any] | None) -> str:
    """An ICE selected pair as evidence shows it: ``selected pair TYPE ADDR:PORT (PROTO) -> ...``."""
    if not pair:
        return "no selected pair reported"

    def one(c: dict[str, Any] | None) -> str:
        return "?" if not c else f"{c.get('type')} {c.get('address')}:{c.get('port')} ({c.get('protocol')})"

    return f"selected pair {one(pair.get('local'))} -> {one(pair.get('remote'))}"


async def far_end_connected(call: Call, timeout: float) -> Measurement:
    """Wait until the far end's peer connection is ``connected`` (the text names the pair
    the far end selected: its side first)."""
    deadline = time.monotonic() + timeout
    while True:
        stats = await call.stats()
        state = str(stats.get("connectionState"))
        if state == "connected":
            return Measurement(True, "the far end's peer connection is connected; "
                               + describe_pair(stats.get("selectedPair")), data=stats)
        if time.monotonic() >= deadline or state in ("failed", "closed"):
            return Measurement(False, f"the far end's peer connection stayed {state!r}", data=stats)
        await asyncio.sleep(_POLL)


def _audio(stats: dict[str, Any]) -> tuple[int, float, float]:
    audio = stats.get("audio") or {}
    return (
        int(audio.get("frames", 0)),
        float(audio.get("levelDbfs", -200.0)),
        float(audio.get("dominantHz") or 0.0),
    )


def _digits(stats: dict[str, Any]) -> list[dict[str, Any]]:
    return list(stats.get("dtmf") or [])


async def far_end_digits(call: Call, digits: str, since: int, timeout: float) -> Measurement:
    """Wait until the far end has decoded ``digits`` (RFC 4733 telephone-events) after the
    ``since`` tones it had already received; the digits it decoded and their durations."""
    deadline = time.monotonic() + timeout
    while True:
        tones = _digits(await call.stats())[since:]
        got = "".join(str(t.get("tone", "")) for t in tones)
        heard = ", ".join(f"{t.get('tone')} ({float(t.get('durationMs', 0)):.0f} ms)" for t in tones)
        heard = heard or "none"
        if got == digits:
            return Measurement(True, f"the far end decoded the digits {heard}", data={"dtmf": tones})
        if len(got) >= len(digits) or time.monotonic() >= deadline:
            return Measurement(
                False, f"the far end decoded {heard} within {timeout:g} s; expected {digits}",
                data={"dtmf": tones},
            )
        await asyncio.sleep(_POLL)


async def far_end_hears(call: Call, tones: dict[float, str], timeout: float) -> Measurement:
    """Wait until the far end receives fresh audio at one of ``tones`` (tone -> what it means;
    empty: any audible tone, where the target's microphones are not the suite's)."""
    deadline = time.monotonic() + timeout
    frames_before, level, dominant = _audio(await call.stats())
    while True:
        await asyncio.sleep(_POLL)
        frames, level, dominant = _audio(await call.stats())
        fresh = frames > frames_before
        frames_before = frames
        match = next((tone for tone in tones if _near(dominant, tone)), None) if tones else dominant
        if fresh and level > HEARD_DBFS and match is not None:
            what = tones.get(match, "a microphone of the attached browser: its tone is not known")
            return Measurement(
                True,
                f"the far end heard {dominant:.0f} Hz at {level:.1f} dBFS ({what})",
                tone=match,
                data={"frames": frames, "levelDbfs": level, "dominantHz": dominant},
            )
        if time.monotonic() >= deadline:
            expected = " or ".join(f"{t:.0f} Hz ({what})" for t, what in tones.items()) or "any tone"
            heard = (
                f"{dominant:.0f} Hz at {level:.1f} dBFS"
                if fresh
                else f"no new audio ({frames} frames in all)"
            )
            return Measurement(
                False,
                f"the far end heard {heard} within {timeout:g} s; expected {expected}",
                data={"frames": frames, "levelDbfs": level, "dominantHz": dominant},
            )


async def far_end_silent(call: Call, timeout: float) -> Measurement:
    """Wait until the far end receives silence (a low level, or no audio frames at all)."""
    deadline = time.monotonic() + timeout
    frames_before, level, dominant = _audio(await call.stats())
    still_since = time.monotonic()
    while True:
        await asyncio.sleep(_POLL)
        frames, level, dominant = _audio(await call.stats())
        if frames > frames_before:
            still_since = time.monotonic()
        frames_before = frames
        if level < SILENT_DBFS:
            return Measurement(
                True, f"the far end's level fell to {level:.1f} dBFS", data={"levelDbfs": level}
            )
        if time.monotonic() - still_since >= 0.5:
            return Measurement(True, "the far end stopped receiving audio frames", data={"frames": frames})
        if time.monotonic() >= deadline:
            return Measurement(
                False,
                f"the far end still heard {dominant:.0f} Hz at {level:.1f} dBFS after {timeout:g} s",
                data={"levelDbfs": level, "dominantHz": dominant},
            )


async def page_renders(
    session: AppSession, speakers: list[Any] | None, tone: float | None, timeout: float
) -> Measurement:
    """Wait until the page renders ``tone`` (``None``: any audible audio): on a virtual
    speaker of the local device when ``speakers`` (the reference host's) are given, else
    measured by the audit layer."""
    if speakers is not None:
        return await _speaker_renders(session, speakers, tone, timeout)
    deadline = time.monotonic() + timeout
    last: list[dict[str, Any]] = []
    while True:
        answers = await session.audit("measureRendering", 1500)
        last = [e for a in answers if isinstance(a, dict) for e in a.get("elements", [])]
        for element in last:
            if (
                "dominantHz" in element
                and _matches(float(element["dominantHz"]), tone)
                and float(element.get("levelDbfs", -200)) > HEARD_DBFS
            ):
                sink = element.get("sinkId") or "the default output"
                detached = "a detached " if element.get("detached") else ""
                return Measurement(
                    True,
                    f"{detached}{element['element']} plays {element['dominantHz']:.0f} Hz at "
                    f"{element['levelDbfs']:.1f} dBFS on {sink}",
                    where=str(element.get("sinkId") or ""),
                    data=element,
                )
        if time.monotonic() >= deadline:
            seen = (
                "; ".join(
                    f"{e.get('element')}: "
                    + (f"{e['dominantHz']} Hz at {e.get('levelDbfs', '?')} dBFS" if "dominantHz" in e
                       else f"not measured ({e.get('error') or 'no reason given'})")
                    for e in last
                )
                or "no playing element"
            )
            return Measurement(False, f"the page did not render {_what(tone)} within {timeout:g} s ({seen})")
        await asyncio.sleep(_POLL)


async def how_page_plays(session: AppSession) -> str:
    """How the page plays the call's received audio, as the audit sees it in every frame
    (which element or graph, detached or not, which sink, which frame), as a clause; ``""``
    when it plays it through nothing the audit knows."""
    ways: list[str] = []
    for answer in await session.audit("renderers"):
        if not isinstance(answer, dict):
            continue
        frame = f" in the iframe {answer['frame']}" if answer.get("frame") else ""
        for way in answer.get("renderers") or []:
            sink = (f"on {way['sinkLabel']!r}" if way.get("sinkLabel")
                    else f"sinkId {way['sinkId']}" if way.get("sinkId") else "the default output")
            element = str(way.get("element"))
            article = "a detached" if way.get("detached") else "an" if element[1:2] in "aeiou" else "a"
            what = ("a Web Audio graph to its AudioContext's destination" if way.get("kind") == "graph"
                    else f"{article} {element} element" + ("" if way.get("detached") else " in the document"))
            ways.append(f"{what}{frame} ({sink})")
    return f"; the page plays the call through {' and '.join(ways)}" if ways else ""


def _page_device_id(session: AppSession, label: str) -> str:
    """The page's deviceId of the device labelled ``label`` (a sound card's speaker is
    known by its label; deviceIds are per origin), or ``""``."""
    return next((device for device, shown in session.device_labels.items() if shown == label), "")


async def _speaker_renders(
    session: AppSession, speakers: list[Any], tone: float | None, timeout: float
) -> Measurement:
    target = session.target
    deadline = time.monotonic() + timeout
    before: dict[int, int] = {}
    while True:
        remote: set[str] = set()
        for state in await session.audit("live"):
            remote.update(str(i) for i in state["remoteTracks"]["liveIds"])
        records = []
        for speaker in speakers:
            record: dict[str, Any] = await target.speaker_record(speaker.index)  # type: ignore[attr-defined]
            records.append((speaker, record))
            frames = int(record.get("frames") or 0)
            fresh = frames > before.get(speaker.index, frames)
            before[speaker.index] = frames
            level = record.get("rmsDbfs")
            active = set(map(str, record.get("activeTrackIds") or []))
            # A sound card's sink (native) cannot tell tracks apart, nor can a speaker what an
            # AudioContext's graph mixed (its id is the context's): the tone says whose it is.
            ours = (not remote or "activeTrackIds" not in record or bool(active & remote)
                    or any(track.startswith(_GRAPH_PREFIX) for track in active))
            if (
                fresh
                and ours
                and level is not None
                and float(level) > HEARD_DBFS
                and _matches(float(record.get("dominantHz") or 0.0), tone)
            ):
                graph = not (active & remote) and any(t.startswith(_GRAPH_PREFIX) for t in active)
                source = (" (the sound card's sink: the far end's tone)" if "activeTrackIds" not in record
                          else " from an AudioContext's graph (the far end's tone)" if graph
                          else " from the call's remote track")
                return Measurement(
                    True,
                    f"speaker {speaker.index} ({speaker.label}) renders "
                    f"{float(record['dominantHz']):.0f} Hz at {float(level):.1f} dBFS{source}"
                    + await how_page_plays(session),
                    where=str(speaker.device_id or _page_device_id(session, speaker.label)),
                    data=record,
                )
        if time.monotonic() >= deadline:
            seen = "; ".join(
                f"speaker {s.index}: {r.get('frames') or 0} frames"
                + (", no level" if r.get("rmsDbfs") is None
                   else f", no tone at {r['rmsDbfs']} dBFS" if r.get("dominantHz") is None
                   else f", {r['dominantHz']} Hz at {r['rmsDbfs']} dBFS")
                for s, r in records
            )
            return Measurement(
                False, f"no virtual speaker rendered {_what(tone)} within {timeout:g} s ({seen})"
                + await how_page_plays(session)
            )
        await asyncio.sleep(_POLL)
