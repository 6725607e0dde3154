"""Every named tone of the project, in one table.

Audio is proven by frequency: whoever measures (a far end, a virtual speaker, a page's
analyser) names the source by the dominant frequency it heard. So every source that can be
heard in one call has its own frequency, far enough from every other one that
:data:`TONE_TOLERANCE_HZ` never makes two of them match. The suite (``conformance``)
imports these values; the reference implementation never imports the suite.

One coincidence is kept on purpose: :data:`AIORTC_FAR_END_TONE_HZ` equals microphone 3's
tone. The scenarios that use the aiortc far end send on microphone 1 or 2, and existing
results and tests name 660 Hz, so the values stay; a scenario that sends microphone 3 to
an aiortc far end and measures both directions must pass another ``tone``.
"""

from __future__ import annotations

__all__ = [
    "AIORTC_FAR_END_TONE_HZ",
    "CERTIFY_FAR_END_TONE_HZ",
    "FAR_END_TONE_AMPLITUDE",
    "MIC_TONES_HZ",
    "MIC_TONE_AMPLITUDE",
    "NATIVE_FAR_END_TONE_HZ",
    "NATIVE_MIC_TONE_HZ",
    "SAMPLE_RINGTONE_HZ",
    "TONE_TOLERANCE_HZ",
]

#: The reference host's virtual microphones, by index (mic 1 = 440 Hz, mic 2 = 880 Hz,
#: mic 3 = 660 Hz): a test tells which one was captured from the far end's measurement.
#: (A pure sine has no harmonics, so 440 and 880 Hz being an octave apart is harmless.)
MIC_TONES_HZ: tuple[float, ...] = (440.0, 880.0, 660.0)

#: What ``farEnd('aiortc')`` sends by default (``conformance.parties.AiortcParty``); see
#: the module docstring for why it equals microphone 3.
AIORTC_FAR_END_TONE_HZ = 660.0

#: What ``farEnd('native')`` sends by default (an oscillator in ``far-end.html``): between
#: microphones 1 and 3, so a native far end is never mistaken for the aiortc one.
NATIVE_FAR_END_TONE_HZ = 550.0

#: What the far end of a certification call sends (``conformance.certify.session.signalling``),
#: and the reference tests' aiortc far end: above every microphone and scenario far end,
#: so the page's speakers can only have it from the far end.
CERTIFY_FAR_END_TONE_HZ = 1200.0

#: Chromium's fake microphone during a certification (a WAV it loops): distinct from the
#: virtual microphones and from the certification far end, so a native capture is told
#: apart from a redirected one.
NATIVE_MIC_TONE_HZ = 523.0

#: The sample app's ringtone (``conformance/apps/sample/app.js`` writes it in JavaScript,
#: which cannot import this table: keep the two equal). Local playback, never sent.
SAMPLE_RINGTONE_HZ = 425.0

#: How far a measured dominant frequency may be from a tone and still be it: a few FFT bins
#: of every analyser used, and less than half the gap between any two tones that can be
#: heard in one call (the closest such pair: 440 and 523 Hz in a certification).
TONE_TOLERANCE_HZ = 20.0

#: Peak amplitudes (full scale 1.0). Microphones: -6 dBFS peak, about -9 dBFS RMS, loud and
#: never clipping. Far ends: quieter, as a remote voice after a codec usually is.
MIC_TONE_AMPLITUDE = 0.5
FAR_END_TONE_AMPLITUDE = 0.3
