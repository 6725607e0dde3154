"""``native``: the browser's own WebRTC and media stack (Chromium, or Chrome/Edge channels).

With the suite's sound card (:mod:`conformance.soundcard`, PulseAudio) the launched browser
captures from virtual microphones and plays to virtual speakers whose monitors are
recorded: the target then offers speaker records, the same records the reference host's
virtual speakers give, so ``speaker`` steps run natively too.
"""

from __future__ import annotations

import asyncio
from typing import Any

from conformance.network.topology import NATIVE_WHERE
from conformance.targets.base import Capabilities, CapabilityMissing, SpeakerRecords, Target

__all__ = ["TARGET", "NativeTarget"]


class NativeTarget(Target):
    """A browser the suite launched, with nothing between the page and its media stack."""

    name = "native"
    description = "the browser's own media stack (launched by the suite)"
    report_order = 0
    runs_by_default = True

    @property  # per instance: whether this process has a sound card
    def capabilities(self) -> Capabilities:  # type: ignore[override]
        """Speaker records when the launched browser has the suite's sound card."""
        return Capabilities(speaker_records=self.browsers.soundcard_expected())

    def speaker_records(self) -> SpeakerRecords:
        """This target reads the sound card's speakers itself."""
        if not self.browsers.soundcard_expected():
            raise CapabilityMissing(self.name, "speaker_records")
        return self

    async def speaker_record(self, speaker: int | str) -> dict[str, Any]:
        """What a speaker of the sound card played lately."""
        await self.browser()  # the sound card starts with the browser
        card = self.browsers.soundcard
        if card is None:
            raise CapabilityMissing(self.name, "speaker_records")
        return await asyncio.to_thread(card.speaker_record, speaker)

    async def speaker_audio(self, speaker: int | str) -> dict[str, Any]:
        """What a speaker of the sound card played lately, as timed PCM (for call quality)."""
        await self.browser()
        card = self.browsers.soundcard
        if card is None:
            raise CapabilityMissing(self.name, "speaker_records")
        return await asyncio.to_thread(card.speaker_audio, speaker)

    async def after_item(self) -> None:
        """Empty speaker records for the next item."""
        if self.browsers.soundcard is not None:
            self.browsers.soundcard.reset_speakers()

    async def identity(self) -> dict[str, Any]:
        """The browser; no redirection; the sound card when there is one."""
        browser = await self.browser()
        card = self.browsers.soundcard
        return {"name": self.name, "kind": "native", "redirection": None,
                "browser": self.browsers.options.browser, "browser_version": browser.version,
                "network": {"topology": "data-centre", "media_from": NATIVE_WHERE},
                "soundcard": ({"speakers": [d.label for d in card.speakers],
                               "microphones": [d.label for d in card.microphones]}
                              if card is not None else None),
                **({"soundcard_problem": self.browsers.soundcard_problem} if card is None else {})}


#: What the registry (:mod:`conformance.targets`) finds in this module.
TARGET = NativeTarget
