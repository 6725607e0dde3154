"""Warm pages: items reuse a target's context and page, and see nothing of the item before.

Run through the one harness that ``conformance run`` uses, with real Chromium and the real
reference host. Each test first proves that the page really was reused (else isolation
would hold trivially), then that what an item left behind is gone for the next one.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.harness import Harness
from conformance.loader import load_scenario
from conformance.model import Scenario

TARGETS = ("native", "reference")

#: Everything a page can leave behind in its browser context: globals and listeners (gone
#: with the document), storage of every kind, a cookie, a live broadcast channel that would
#: answer the next document, an open call and a captured microphone.
LEAVES_EVERYTHING = """\
- run: |
    window.leaked = 1;
    window.addEventListener('message', () => {});
    localStorage.setItem('left', '1');
    sessionStorage.setItem('left', '1');
    document.cookie = 'left=1; max-age=3600';
    window.answering = new BroadcastChannel('reuse-probe');
    answering.onmessage = () => answering.postMessage('still here');
    left_pc = new RTCPeerConnection();
    left_pc.createDataChannel('left');
- run: |
    await new Promise((resolve, reject) => {
      const open = indexedDB.open('left-db', 1);
      open.onupgradeneeded = () => open.result.createObjectStore('store');
      open.onsuccess = () => { open.result.close(); resolve(); };
      open.onerror = () => reject(open.error);
    });
    left_stream = await navigator.mediaDevices.getUserMedia({audio: true});
"""

#: The next item sees a new document with empty storage and nobody answering.
SEES_NOTHING = """\
- expect: typeof window.leaked
  equals: undefined
- expect: "[localStorage.length, sessionStorage.length, document.cookie]"
  equals: [0, 0, ""]
- expect: (await indexedDB.databases()).map(d => d.name)
  equals: []
- expect: |
    await new Promise(resolve => {
      const probe = new BroadcastChannel('reuse-probe');
      probe.onmessage = event => resolve(event.data);
      probe.postMessage('anyone?');
      // Waiting for an answer that must not come: bounded, a reply arrives in ~1 ms.
      setTimeout(() => resolve('nobody'), 500);
    })
  equals: nobody
"""


def _scenario(folder: Path, ident: str, steps: str) -> Scenario:
    path = folder / f"{ident}.yaml"
    path.write_text(f"id: {ident}\ntitle: {ident}\ncovers: [MediaStream]\nsteps:\n"
                    + textwrap.indent(textwrap.dedent(steps), "  ")
                    + "expect:\n  native: pass\n  redirected: pass\n")
    return load_scenario(path, limitations={})


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    """One harness for the module, as a pytest worker has one."""
    one = Harness()
    yield one
    one.close()


@pytest.mark.parametrize("target", TARGETS)
def test_the_next_item_sees_nothing_an_item_left(harness: Harness, tmp_path: Path,
                                                 target: str) -> None:
    leaves = _scenario(tmp_path, "demo.leaves", LEAVES_EVERYTHING)
    sees = _scenario(tmp_path, "demo.sees-nothing", SEES_NOTHING)
    first = harness.run_item(leaves, target)
    assert first.status == "PASS", first.message
    pool = harness.target(target).pages
    reused = pool.reused
    second = harness.run_item(sees, target)
    assert pool.reused == reused + 1, "the second item did not get the first item's page"
    assert second.status == "PASS", second.message


def test_the_reference_host_keeps_no_call_of_an_item_before(harness: Harness,
                                                            tmp_path: Path) -> None:
    leaves = _scenario(tmp_path, "demo.leaves-a-call", """\
        - run: |
            left_pc = new RTCPeerConnection();
            left_pc.createDataChannel('left');
            await left_pc.setLocalDescription(await left_pc.createOffer());
        """)
    first = harness.run_item(leaves, "reference")
    assert first.status == "PASS", first.message
    host = harness.run_async(harness.target("reference").host_view())
    assert harness.run_async(host.peer_connections()) == []


def test_a_disconnected_host_is_connected_again_with_a_new_script(harness: Harness,
                                                                 tmp_path: Path) -> None:
    leaves = _scenario(tmp_path, "demo.leaves-disconnected", """\
        - fault: disconnect
        - expect: navigator.mediaDevices.isCallRedirectionEnabled
          equals: false
          eventually: 5s
        """)
    sees = _scenario(tmp_path, "demo.sees-connected", """\
        - expect: navigator.mediaDevices.isCallRedirectionEnabled
          equals: true
        """)
    pool = harness.target("reference").pages
    first = harness.run_item(leaves, "reference")
    assert first.status == "PASS", first.message
    created = pool.created
    second = harness.run_item(sees, "reference")
    assert second.status == "PASS", second.message
    # The reconnected host has a new connectionId, which the shim carries from document
    # start: the next item gets a context with the new script, not the old one.
    assert pool.created == created + 1


@pytest.mark.parametrize("target", TARGETS)
def test_a_crashed_page_is_never_reused(harness: Harness, tmp_path: Path, target: str) -> None:
    crash = _scenario(tmp_path, "demo.crashes", "- fault: crash-page\n")
    after = _scenario(tmp_path, "demo.after-crash", "- expect: 1 + 1\n  equals: 2\n")
    pool = harness.target(target).pages
    assert harness.run_item(crash, target).status == "ERROR"
    created = pool.created
    result = harness.run_item(after, target)
    assert result.status == "PASS", result.message
    assert pool.created == created + 1, "the item after a crash was given the crashed page"


def test_a_page_that_never_yields_is_never_reused(harness: Harness, tmp_path: Path) -> None:
    hangs = _scenario(tmp_path, "demo.hangs", "- run: while (true) {}\n  timeout: 2s\n")
    after = _scenario(tmp_path, "demo.after-hang", "- expect: 1 + 1\n  equals: 2\n")
    pool = harness.target("native").pages
    assert harness.run_item(hangs, "native").status == "TIMEOUT"
    created = pool.created
    result = harness.run_item(after, "native")
    assert result.status == "PASS", result.message
    assert pool.created == created + 1
