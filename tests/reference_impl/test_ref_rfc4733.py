"""RFC 4733 telephone-events: the host's packet rewriting and the far end's decoding, on
real aiortc packets (the scenarios in ``scenarios/rtc-dtmf-sender/`` run them end to end)."""

from __future__ import annotations

from types import SimpleNamespace

from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtp import HeaderExtensionsMap, RtpPacket

from reference_impl.rfc4733 import TELEPHONE_EVENT, ToneDecoder, TonePlayer

OPUS = RTCRtpCodecParameters(mimeType="audio/opus", clockRate=48000, channels=2, payloadType=111)
EVENT_48K = RTCRtpCodecParameters(mimeType=TELEPHONE_EVENT, clockRate=48000, channels=1, payloadType=110)
EVENT_8K = RTCRtpCodecParameters(mimeType=TELEPHONE_EVENT, clockRate=8000, channels=1, payloadType=126)
SSRC = 0x1234ABCD
EXTENSIONS = HeaderExtensionsMap()
EXTENSIONS.configure(SimpleNamespace(  # type: ignore[arg-type]
    headerExtensions=[SimpleNamespace(id=1, uri="urn:ietf:params:rtp-hdrext:sdes:mid")]))


def _audio(sequence: int, timestamp: int) -> bytes:
    packet = RtpPacket(payload_type=111, sequence_number=sequence, timestamp=timestamp, ssrc=SSRC)
    packet.payload = b"\xfc" * 40
    packet.extensions.mid = "0"
    return packet.serialize(EXTENSIONS)


def test_a_tone_replaces_audio_packets_and_decodes_back() -> None:
    player = TonePlayer(SimpleNamespace(transport=None, _ssrc=SSRC))  # type: ignore[arg-type]
    assert player.play("5", 200, [OPUS, EVENT_8K, EVENT_48K])
    decoder = ToneDecoder()
    sent = []
    for index in range(16):
        data = player.rewrite(_audio(1000 + index, 90_000 + 960 * index))
        packet = RtpPacket.parse(data, EXTENSIONS)
        sent.append(packet)
        if packet.payload_type == 110:
            decoder.packet(packet, 48000)
    events = [p for p in sent if p.payload_type == 110]
    # 200 ms at 20 ms a packet: 10 packets, the last of which is the first of three end packets.
    assert len(events) == 12
    assert [p.sequence_number for p in sent] == list(range(1000, 1016)), "sequence numbers kept"
    assert {p.timestamp for p in events} == {90_000}, "an event keeps its start timestamp"
    assert [p.marker for p in events[:2]] == [1, 0]
    assert [p.payload[1] & 0x80 for p in events].count(0x80) == 3, "the end packet goes three times"
    assert events[0].payload[0] == 5 and events[0].payload[1] & 0x3F == 10
    assert [p.payload_type for p in sent[12:]] == [111] * 4, "audio resumes after the tone"
    assert sent[12].payload == b"\xfc" * 40
    assert sent[0].extensions.mid == "0", "header extensions kept"
    assert [t.to_json() for t in decoder.tones] == [{"tone": "5", "durationMs": 200.0, "volume": 10}]


def test_no_telephone_event_negotiated_plays_nothing() -> None:
    player = TonePlayer(SimpleNamespace(transport=None, _ssrc=SSRC))  # type: ignore[arg-type]
    assert not player.play("1", 100, [OPUS])
    data = _audio(1, 960)
    assert player.rewrite(data) == data


def test_the_decoder_keeps_an_event_whose_end_was_lost() -> None:
    decoder = ToneDecoder()
    arrivals = [(100, 1, 10, 480), (100, 1, 10, 960), (5000, 11, 0x80 | 10, 800)]
    for timestamp, code, flags, duration in arrivals:
        packet = RtpPacket(payload_type=126, timestamp=timestamp, ssrc=SSRC)
        packet.payload = bytes([code, flags]) + duration.to_bytes(2, "big")
        decoder.packet(packet, 8000)
    assert [(t.tone, t.duration_ms) for t in decoder.tones] == [("1", 120.0), ("#", 100.0)]
