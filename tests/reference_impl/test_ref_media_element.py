"""HTMLAudioElement under redirection: rendering on the local speakers, setSinkId, volume,
muted, pause, and local playback that stays on the remote session's default output."""

# The JavaScript embedded in these tests reads better unwrapped.
# ruff: noqa: E501

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from playwright.async_api import Page
from ref_speakers import wait_record

from reference_impl import ReferenceHost

Run = Callable[[Awaitable[Any]], Any]

PLAY_MIC = """async ({micId}) => {
  window.logs = [];
  document.addEventListener('mmrExtensionLog', (e) => logs.push(e.detail));
  window.stream = await navigator.mediaDevices.getUserMedia({audio: {deviceId: {exact: micId}}});
  window.player = new Audio();
  window.events = [];
  for (const type of ['play', 'playing', 'pause', 'volumechange']) player.addEventListener(type, () => events.push(type));
  player.srcObject = stream;
  await player.play();
  return {paused: player.paused, srcObject: player.srcObject === stream};
}"""

# A looping 1 s, 8 kHz WAV of 880 Hz as a Blob URL: local playback.
RINGTONE = """async () => {
  window.logs = window.logs || [];
  document.addEventListener('mmrExtensionLog', (e) => logs.push(e.detail));
  const rate = 8000, bytes = new ArrayBuffer(44 + rate * 2), view = new DataView(bytes);
  const ascii = (o, t) => { for (let i = 0; i < t.length; i += 1) view.setUint8(o + i, t.charCodeAt(i)); };
  ascii(0, 'RIFF'); view.setUint32(4, 36 + rate * 2, true); ascii(8, 'WAVE'); ascii(12, 'fmt ');
  view.setUint32(16, 16, true); view.setUint16(20, 1, true); view.setUint16(22, 1, true);
  view.setUint32(24, rate, true); view.setUint32(28, rate * 2, true); view.setUint16(32, 2, true);
  view.setUint16(34, 16, true); ascii(36, 'data'); view.setUint32(40, rate * 2, true);
  for (let i = 0; i < rate; i += 1) view.setInt16(44 + i * 2, Math.round(12000 * Math.sin(2 * Math.PI * 880 * i / rate)), true);
  window.ringtone = new Audio(URL.createObjectURL(new Blob([bytes], {type: 'audio/wav'})));
  ringtone.loop = true;
}"""


def _tone(hz: float) -> Callable[[dict[str, Any]], bool]:
    return lambda r: r["dominantHz"] is not None and abs(r["dominantHz"] - hz) <= 15


def _silent(record: dict[str, Any]) -> bool:
    return record["frames"] == 0 or record["rmsDbfs"] is None or record["rmsDbfs"] < -60


def test_redirected_stream_plays_pauses_and_moves(run: Run, host: ReferenceHost, redirected_page: Page) -> None:
    page = redirected_page

    async def scenario() -> None:
        started = await page.evaluate(PLAY_MIC, {"micId": host.microphone(2).device_id})
        assert started == {"paused": False, "srcObject": True}
        record = await wait_record(host, 1, _tone(880.0))
        track_id = await page.evaluate("stream.getAudioTracks()[0].id")
        assert track_id in record["activeTrackIds"]
        await page.wait_for_function("player.currentTime > 0.2", timeout=5_000)
        await page.evaluate("player.pause()")
        paused = await page.evaluate("({paused: player.paused, at: player.currentTime})")
        assert paused["paused"] is True
        await wait_record(host, 1, _silent)
        assert await page.evaluate("player.currentTime") == paused["at"]
        await page.evaluate("(id) => player.setSinkId(id).then(() => player.play())", host.speaker(2).device_id)
        await wait_record(host, 2, _tone(880.0))
        assert (await host.speaker_record(1))["activeTrackIds"] == []
        assert await page.evaluate("player.sinkId") == host.speaker(2).device_id
        assert await page.evaluate("events") == ["play", "playing", "pause", "play", "playing"]
    run(scenario())


def test_volume_and_muted_scale_what_the_speaker_gets(run: Run, host: ReferenceHost, redirected_page: Page) -> None:
    page = redirected_page

    async def scenario() -> None:
        await page.evaluate(PLAY_MIC, {"micId": host.microphone(1).device_id})
        loud = await wait_record(host, 1, _tone(440.0))
        await page.evaluate("player.volume = 0.25")
        # 20*log10(0.25) = -12 dB
        quiet = await wait_record(host, 1, lambda r: r["rmsDbfs"] is not None and r["rmsDbfs"] < loud["rmsDbfs"] - 10)
        assert abs(quiet["rmsDbfs"] - (loud["rmsDbfs"] - 12.04)) < 1.5, (loud, quiet)
        await page.evaluate("player.muted = true")
        await wait_record(host, 1, _silent)
        assert await page.evaluate("[player.muted, player.paused, player.volume]") == [True, False, 0.25]
        await page.evaluate("player.muted = false; player.volume = 1")
        await wait_record(host, 1, lambda r: r["rmsDbfs"] is not None and abs(r["rmsDbfs"] - loud["rmsDbfs"]) < 1.5)
        refused = await page.evaluate("(() => { try { player.volume = 2; return 'accepted'; } catch (e) { return e.name; } })()")
        assert refused == "IndexSizeError"
        assert await page.evaluate("events.filter((e) => e === 'volumechange').length") == 4
    run(scenario())


def test_local_playback_stays_on_the_remote_default_output(run: Run, host: ReferenceHost, redirected_page: Page) -> None:
    page = redirected_page

    async def scenario() -> None:
        await page.evaluate(RINGTONE)
        second = host.speaker(2).device_id
        await page.evaluate("(id) => ringtone.setSinkId(id).then(() => ringtone.play())", second)
        await page.wait_for_function("ringtone.currentTime > 0.3", timeout=5_000)
        assert await page.evaluate("ringtone.sinkId") == second
        entries = await page.evaluate("logs.filter((l) => l.level === 'info' && /local-playback-default-output/.test(l.message))")
        assert len(entries) == 1 and second in entries[0]["message"] and "blob:" in entries[0]["message"]
        for speaker in (1, 2):
            assert (await host.speaker_record(speaker))["frames"] == 0
        # Unknown ids are still refused, and sinkId keeps the last accepted one.
        refused = await page.evaluate("ringtone.setSinkId('nope').then(() => 'resolved', (e) => e.name)")
        assert refused == "NotFoundError"
        assert await page.evaluate("ringtone.sinkId") == second
        # Setting the sink while it plays records it again; setting '' (default) does not.
        await page.evaluate("(id) => ringtone.setSinkId(id)", host.speaker(1).device_id)
        await page.evaluate("ringtone.setSinkId('')")
        count = await page.evaluate("logs.filter((l) => /local-playback-default-output/.test(l.message)).length")
        assert count == 2
        await page.evaluate("ringtone.pause()")
    run(scenario())


def test_media_element_source_of_a_redirected_element_is_refused(run: Run, host: ReferenceHost, redirected_page: Page) -> None:
    page = redirected_page

    async def scenario() -> None:
        await page.evaluate(PLAY_MIC, {"micId": host.microphone(1).device_id})
        outcome = await page.evaluate("""() => {
          const ctx = new AudioContext();
          const node = ctx.createMediaElementSource(player);
          let name = 'connected';
          try { node.connect(ctx.createAnalyser()); } catch (e) { name = e.name; }
          ctx.close();
          return {name, mediaElement: node.mediaElement === player};
        }""")
        assert outcome == {"name": "NotSupportedError", "mediaElement": True}
        # The element itself keeps playing on the local device.
        await wait_record(host, 1, _tone(440.0))
    run(scenario())
