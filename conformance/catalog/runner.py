"""Certifying catalog entries: every stack against its real backend, stacks in parallel.

The controlling process makes one network namespace per stack before any browser starts
(adding a veth pair is a network change that aborts the pages of browsers already running),
then certifies the stacks in worker processes (``jobs`` at a time), each: launch the
backend in its namespace, serve the overrides and the fetched library over the app's
folders, certify through :func:`conformance.certify.certify`, write the certificate. A
backend that does not answer gives its stack an ERROR row with its log's tail; the others
go on. Every namespace, and every process in one, is removed at the end, on failure too.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import multiprocessing
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

from playwright.async_api import Error as PlaywrightError

from conformance.backends.janus import BackendError
from conformance.catalog.courier import courier
from conformance.catalog.entry import CATALOG_DIR, Entry
from conformance.catalog.farend import far_end
from conformance.catalog.launchers import LAUNCHERS, PACKAGES
from conformance.network import netns
from conformance.npm import NpmUnavailable, bundled, installed, unpacked

__all__ = ["certify_entry", "fetch", "library_folders", "run_entries"]


def fetch(entries: list[Entry]) -> dict[str, Path]:
    """Fetch every entry's npm library (and the npm servers its launcher runs) into the
    cache; the folder of each library (by entry id)."""
    for entry in entries:
        for spec in PACKAGES.get(entry.backend, ()):
            installed(spec)
    return {entry.id: _library(entry, fetch=True) for entry in entries if entry.npm}


def _library(entry: Entry, *, fetch: bool) -> Path:
    assert entry.npm is not None
    if entry.bundle is not None:
        return bundled(entry.npm, *entry.bundle, fetch=fetch)
    return unpacked(entry.npm, fetch=fetch)


def library_folders(entry: Entry) -> tuple[Path, ...]:
    """The folders served after the app's (its fetched npm library; none for a Debian one)."""
    return (_library(entry, fetch=False),) if entry.npm else ()


def _shown(path: Path) -> str:
    """A profile's path as certificates show it: relative to the project when inside it."""
    root = CATALOG_DIR.parent
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def _row(entry: Entry, **more: Any) -> dict[str, Any]:
    return {"id": entry.id, "name": entry.name, "stack": entry.stack, "library": entry.library,
            "version": entry.version(), "backend": entry.backend, "note": entry.note, **more}


async def certify_entry(entry: Entry, namespace: netns.Namespace, targets: tuple[str, ...],
                        out: Path, options: Any = None) -> dict[str, Any]:
    """Certify ``entry`` against its backend launched in ``namespace``; its matrix row (the
    certificate written under ``out/<entry id>/``). Never raises for the stack's failures."""
    from conformance.certify import certify, load_profile, write_certification
    from conformance.runinfo import new_run_id

    started = time.monotonic()
    try:
        async with contextlib.AsyncExitStack() as stack:
            folder = tempfile.TemporaryDirectory(prefix=f"mmr-catalog-{entry.id}-")
            scratch = Path(stack.enter_context(folder))
            launched = LAUNCHERS[entry.backend](namespace, scratch, entry)
            if launched.far_end is not None:
                try:
                    page = await stack.enter_async_context(far_end(launched.far_end, namespace, scratch))
                except PlaywrightError as exc:
                    raise BackendError(f"backend {launched.backend}: its far end did not become ready "
                                       f"within {launched.far_end.timeout:g} s: "
                                       f"{str(exc).splitlines()[0]}") from exc
                if launched.far_end.paste is not None and launched.overrides is not None:
                    url = await stack.enter_async_context(courier(page, launched.far_end.paste))
                    (launched.overrides / "courier.txt").write_text(url)
            profile = load_profile(entry.profile, display_path=_shown(entry.profile))
            overrides = (launched.overrides,) if launched.overrides else ()
            serve = (*overrides, *profile.app.serve, *library_folders(entry))
            profile = dataclasses.replace(profile, app=dataclasses.replace(profile.app, serve=serve))
            run_id = new_run_id()
            root = out / entry.id
            cert = await certify(profile, targets, run_id=run_id, options=options,
                                 command=f"conformance catalog run {entry.id}",
                                 evidence_dir=root / "certify" / run_id / "evidence")
            written = write_certification(cert, root)
            return _row(entry, backend=launched.backend, duration=time.monotonic() - started,
                        certification=cert.to_json(),
                        certificate=str(written["html"].relative_to(out)),
                        certificate_md=str(written["markdown"].relative_to(out)))
    except (BackendError, NpmUnavailable) as exc:
        return _row(entry, duration=time.monotonic() - started, error=str(exc))
    except Exception as exc:  # one stack's crash must not stop the others: reported as ERROR
        return _row(entry, duration=time.monotonic() - started,
                    error=f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}")
    finally:
        namespace.stop_processes()


def _work(entry: Entry, description: dict[str, str], targets: tuple[str, ...], out: Path,
          options: Any) -> dict[str, Any]:
    # A worker process: its own event loop, browsers and reference hosts.
    namespace = netns.Namespace.from_description(description)
    return asyncio.run(certify_entry(entry, namespace, targets, out, options))


def run_entries(entries: list[Entry], targets: tuple[str, ...], out: Path, *, jobs: int = 2,
                options: Any = None) -> list[dict[str, Any]]:
    """Certify ``entries`` (``jobs`` at a time); their rows, in the entries' order."""
    reason = netns.namespace_unavailable()
    if reason is not None:
        return [_row(entry, duration=0.0, error=f"cannot run its backend: {reason}") for entry in entries]
    netns.remove_stale()
    spaces: list[netns.Namespace] = []
    try:
        for _ in entries:  # all before any browser starts (see the module docstring)
            spaces.append(netns.Namespace.create())
        if jobs <= 1 or len(entries) == 1:
            return [asyncio.run(certify_entry(entry, space, targets, out, options))
                    for entry, space in zip(entries, spaces, strict=True)]
        context = multiprocessing.get_context("spawn")  # no inherited event loop or browser
        with concurrent.futures.ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            futures = [pool.submit(_work, entry, space.describe(), targets, out, options)
                       for entry, space in zip(entries, spaces, strict=True)]
            rows = []
            for entry, future in zip(entries, futures, strict=True):
                try:
                    rows.append(future.result())
                except Exception as exc:  # a worker that died: that stack's ERROR, not the run's end
                    rows.append(_row(entry, duration=0.0, error=f"its worker process failed: {exc!r}"))
            return rows
    finally:
        for space in spaces:
            space.close()
