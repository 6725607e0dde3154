"""Measured call quality: the scale validated once (a perfect copy scores the ceiling, heavy
loss clearly lower, over a real Opus call through the home network), and the delay found by
cross-correlation."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from conformance import quality
from conformance.network import topology
from conformance.network.callpath import measure_path
from conformance.network.topology import HomeNetwork, home_network

# Tests that make namespaces or use the worker's home run on one worker, one at a time: a
# namespace made mid-session is a network change that aborts a running call's or page's
# traffic (see conformance.network.netns), and the homes of the session share this machine's
# routes and forwarding (--dist loadgroup, set in pyproject's addopts).
pytestmark = pytest.mark.xdist_group("network")


def test_the_delay_is_where_the_signals_line_up() -> None:
    sent = quality.speech_like(3.0)
    late = np.concatenate([np.zeros(1920), sent])  # 120 ms at 16 kHz
    assert quality.delay_ms(sent, late) == pytest.approx(120.0)
    assert quality.delay_ms(sent, np.zeros(len(sent))) is None
    # Much louder sound outside the signal's span (a tone played before it: 10 s at -1 dBFS
    # against 3 s of speech at -20 dBFS) does not hide it; the tone alone is not the signal.
    tone = 0.9 * np.sin(2 * np.pi * 1201.0 * np.arange(16000 * 10) / 16000)
    assert quality.delay_ms(sent, np.concatenate([tone, sent])) == pytest.approx(10_000.0)
    assert quality.delay_ms(sent, tone) is None
    assert quality.measure(sent, np.zeros(len(sent))).mos is None


def test_a_perfect_copy_scores_the_ceiling_and_damage_scores_lower() -> None:
    sent = quality.speech_like(4.0)
    assert quality.score(sent, sent) == pytest.approx(quality.TOP_SCORE, abs=0.01)
    noisy = sent + np.random.default_rng(0).normal(0.0, 0.05, len(sent))
    assert quality.score(sent, noisy) < quality.TOP_SCORE - 1.5


def test_a_clean_call_scores_high_and_a_lossy_one_clearly_lower() -> None:
    """Opus over the real home network: clean, then with the lossy-wifi preset (10 % loss
    each way); the same speech, the same stack, only the link differs."""
    if topology.network_unavailable("home") is not None or HomeNetwork.inherited() is None:
        pytest.skip(topology.network_unavailable("home") or "the session made no home network")

    async def both() -> tuple[quality.CallQuality, quality.CallQuality]:
        with home_network("home") as home:
            assert home is not None
            clean = (await measure_path(home.command())).quality
        with home_network("home", impair="lossy-wifi") as home:
            assert home is not None
            lossy = (await measure_path(home.command())).quality
        return clean, lossy

    clean, lossy = asyncio.run(both())
    print(f"clean {clean.text()}; lossy-wifi {lossy.text()}")
    assert clean.mos is not None and clean.mos > 4.2
    assert lossy.mos is not None and lossy.mos < clean.mos - 0.5
    assert clean.delay_ms is not None and 0 < clean.delay_ms < 1000
