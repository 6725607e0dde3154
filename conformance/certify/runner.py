"""Certifying an app: every flow on every target, then the audit's rules, then the verdict.

One Chromium serves every target (each session gets a fresh context). Natively, Chromium's
fake microphone plays a known tone from a WAV file, so the far end can recognise it; under
redirection the reference implementation's virtual microphones have their own tones. The
bundled apps are served by the harness's page server; the signalling endpoint and the far
ends run on this coroutine's event loop (Playwright's).
"""

from __future__ import annotations

import dataclasses
import math
import struct
import tempfile
import time
import wave
from pathlib import Path
from typing import Any

from conformance.browser import BrowserNotFoundError
from conformance.certify.audit.judge import apply_findings, audit_results
from conformance.certify.audit.layer import merge_snapshots
from conformance.certify.audit.rules import evaluate, merge_findings
from conformance.certify.checks import check_ids, checks_json
from conformance.certify.evidence.artifacts import FAILING, ArtifactStore
from conformance.certify.flows.backend import BACKEND_FLOWS
from conformance.certify.flows.context import TargetContext
from conformance.certify.flows.far_end import FLOWS
from conformance.certify.model import (
    AppFacts,
    BrowserFacts,
    Certification,
    CheckResult,
    RawFinding,
    TargetRun,
    make_result,
)
from conformance.certify.profile.apps import app_dir
from conformance.certify.profile.loader import Profile, substitute
from conformance.certify.profile.placeholders import ENV_PREFIX, names_in, secret_values
from conformance.certify.report.scrub import Scrubber, scrub
from conformance.certify.session.networks import call_networks
from conformance.certify.session.signalling import SignallingServer
from conformance.network.farlink import PATH as FAR_END_PATH
from conformance.network.impair import describe, preset
from conformance.network.topology import DEFAULT_TOPOLOGY
from conformance.runinfo import now_utc
from conformance.server import PageServer
from conformance.targets import (
    OpenTargets,
    Target,
    TargetOptions,
    TargetUnavailable,
    canonical_target,
    default_targets,
    parse_targets,
)
from reference_impl.tones import MIC_TONES_HZ, NATIVE_MIC_TONE_HZ

__all__ = ["NATIVE_MIC_TONE_HZ", "certify", "target_names"]


def _write_tone_wav(path: Path, frequency: float, seconds: float = 2.0, rate: int = 48_000) -> None:
    """A mono 16-bit WAV of a sine tone that loops seamlessly (whole periods only)."""
    periods = max(1, round(frequency * seconds))
    count = round(periods * rate / frequency)
    frames = b"".join(
        struct.pack("<h", round(0.3 * 32767 * math.sin(2 * math.pi * frequency * i / rate)))
        for i in range(count)
    )
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)


#: The mount name of an app the suite serves from a profile's ``serve`` folders.
_SERVED_MOUNT = "app"


def _mounts(profile: Profile) -> dict[str, Path | tuple[Path, ...]] | None:
    """The page server's mounts for a bundled or served app (``None``: the app has a URL)."""
    if profile.app.bundled is not None:
        return {profile.app.bundled: app_dir(profile.app.bundled)}
    if profile.app.serve:
        return {_SERVED_MOUNT: profile.app.serve}
    return None


def _app_url(profile: Profile, server: PageServer | None, values: dict[str, str]) -> str:
    mount = profile.app.bundled or (_SERVED_MOUNT if profile.app.serve else None)
    if mount is not None:
        assert server is not None
        return server.url(f"{mount}/{substitute(profile.app.path, values).lstrip('/')}")
    return substitute(profile.app.url or "", values)


async def certify(
    profile: Profile,
    targets: tuple[str, ...] | None = None,
    *,
    run_id: str,
    options: TargetOptions | None = None,
    command: str = "",
    evidence_dir: Path | None = None,
    min_mos: float | None = None,
    far_end_network: str | None = None,
    turn: str | None = None,
    ice_servers: list[dict[str, Any]] | None = None,
) -> Certification:
    """Certify the app ``profile`` describes on ``targets`` (``None``: the registry's
    defaults, what ``--target all`` runs); never raises for app failures.

    ``evidence_dir``: where failing checks' screenshots and traces go (normally the
    certification's folder's ``evidence/``; ``None``: none are kept). The result holds no
    secret and no run-local address (:mod:`conformance.certify.report.scrub`).

    ``far_end_network``: a topology for the suite's far end, behind a NAT of its own (the
    peer-to-peer case); ``ice_servers``: the ``iceServers`` the app (``{ice_servers}``) and
    the far end use, else the run offers STUN with ``far_end_network`` and TURN over
    ``turn`` (``udp``/``tcp``) from a coturn of its own (docs/network.md)."""
    from conformance.runinfo import suite_version

    options = options or TargetOptions()
    # Where the local device sits: the command line's --network, else the profile's.
    network = options.network or profile.network or DEFAULT_TOPOLOGY
    options = dataclasses.replace(options, network=network)
    if options.ice is None and profile.far_end.own_backend:
        # The app's own backend may be on another host or behind TURN: the local device
        # gathers like a real one (its interfaces, the page's STUN/TURN servers).
        options = dataclasses.replace(options, ice="all")
    targets = tuple(canonical_target(name) for name in (default_targets() if targets is None else targets))
    certification = Certification(
        run_id=run_id,
        app=AppFacts(profile.app.name, profile.app.version, profile.file),
        suite_version=suite_version(),
        browser=BrowserFacts(),
        targets=list(targets),
        checks=checks_json(),
        started=now_utc(),
        command=command,
    )
    mounts = _mounts(profile)
    server = PageServer(mounts) if mounts else None
    signalling = SignallingServer()
    raws: list[RawFinding] = []
    envs: list[TargetContext] = []
    addresses: dict[str, str] = {}
    # Where the far end sits: the command line's --far-end-network, else the profile's.
    far_end_network = far_end_network or profile.far_end_network
    if far_end_network not in (None, DEFAULT_TOPOLOGY) and profile.far_end.own_backend:
        raise ValueError("--far-end-network places the suite's far end; this profile's far end "
                         "is the app's own backend (far_end: app)")
    # The networks before the browser starts (a network change aborts its requests).
    with tempfile.TemporaryDirectory(prefix="mmr-certify-") as scratch, call_networks(
            Path(scratch), network=network, impair=options.impair, far_end_network=far_end_network,
            turn=turn, ice_servers=ice_servers) as site:
        signalling.site = site
        wav = Path(scratch) / "native-microphone.wav"
        _write_tone_wav(wav, NATIVE_MIC_TONE_HZ)
        browser_options = dataclasses.replace(
            options.browser,
            extra_args=(*options.browser.extra_args, f"--use-file-for-fake-audio-capture={wav}"),
            # With the sound card every native microphone plays the WAV's tone: a native
            # capture stays told apart from the reference host's virtual microphones.
            soundcard_tones=(NATIVE_MIC_TONE_HZ,) * len(MIC_TONES_HZ))
        # One browser serves every launched target (each session gets its own context).
        opened = OpenTargets(options, browser=browser_options)
        try:
            await signalling.start()
            app_url = _app_url(profile, server, signalling.placeholders())
            addresses = _addresses(profile, server, signalling)
            certification.app.url = profile.app.shown_url()
            for name in targets:
                target = opened.get(name)
                # --impair: a target without a home (its media leaves from the data centre)
                # gets the preset on the harness's far end's link instead, for a side-by-side
                # (an app's own backend is not the suite's to impair).
                far_impaired = (options.impair is not None and not profile.far_end.own_backend
                                and getattr(target, "network", None) is None)
                signalling.impairment = preset(options.impair) if far_impaired and options.impair else None
                try:
                    kind = await _kind(target, app_url)
                    env = TargetContext(name, target, profile, signalling, app_url, NATIVE_MIC_TONE_HZ,
                                        kind=kind, artifacts=_store(profile, evidence_dir, name),
                                        min_mos=min_mos)
                    envs.append(env)
                    raws += await _certify_target(env, certification)
                    identity = await target.identity()
                    if signalling.impairment is not None:
                        identity["network"] = {**identity.get("network", {}), "impairment":
                                               describe(signalling.impairment, FAR_END_PATH)}
                    if not profile.far_end.own_backend:
                        identity["network"] = {**identity.get("network", {}), "far_end": site.where}
                    certification.target_details[name] = identity
                    if not certification.browser.name:  # the first target's browser
                        certification.browser = BrowserFacts(
                            str(identity.get("browser") or "Chromium"),
                            str(identity.get("browser_version") or ""),
                        )
                except (TargetUnavailable, BrowserNotFoundError) as exc:
                    certification.results += [
                        make_result(c, name, "error", f"target unavailable: {exc}") for c in check_ids()
                    ]
                finally:
                    await opened.release(target)
                redirection = certification.target_details.get(name, {}).get("redirection") or {}
                if redirection.get("implementation") == "reference":
                    certification.reference_impl_version = redirection.get("version")
        finally:
            await opened.close()
            await signalling.close()
            if server is not None:
                server.close()
    certification.findings = merge_findings(raws)
    apply_findings(certification.results, certification.findings)
    _keep_evidence(certification.results, envs)
    order = check_ids()
    certification.results.sort(key=lambda r: (order.index(r.check), targets.index(r.target)))
    certification.ended = now_utc()
    devices = {k: v for env in envs for k, v in env.device_labels.items()}
    secrets = frozenset({*secret_values(profile.secret_texts()), signalling.secret,
                         *(str(s["credential"]) for s in signalling.site.ice_servers if s.get("credential"))})
    return scrub(certification, Scrubber(secrets, addresses, devices))


def _store(profile: Profile, evidence_dir: Path | None, target: str) -> ArtifactStore | None:
    if evidence_dir is None:
        return None
    uses_secrets = any(name.startswith(ENV_PREFIX)
                       for text in profile.secret_texts() for name in names_in(text))
    # A trace records request headers too: a saved login's cookies would be in it.
    return ArtifactStore(Path(evidence_dir), target,
                        secrets=uses_secrets or profile.app.storage_state is not None)


def _keep_evidence(results: list[CheckResult], envs: list[TargetContext]) -> None:
    """Failing results judged from the audit (after every session) link the main call's
    page; then only what a failing result links is kept."""
    for env in envs:
        if env.artifacts is None:
            continue
        main = env.artifacts.main
        for result in results:
            if result.target == env.name and result.verdict in FAILING and not result.artifacts and main:
                main.attach(result)
        env.artifacts.keep_only([r for r in results if r.target == env.name])


def _addresses(profile: Profile, server: PageServer | None, signalling: SignallingServer) -> dict[str, str]:
    """The run-local addresses a certificate shows as the profile states them."""
    addresses = {signalling.url: "{signal}"}
    if server is not None:
        for mount in _mounts(profile) or {}:
            addresses[server.url(f"{mount}/")] = "/"
        addresses[server.base_url] = "/"
    return addresses


async def _kind(target: Target, app_url: str) -> str:
    """Which expectations apply on ``target``; a target that learns them from a page (an
    attached browser) looks at the app's."""
    target.probe_url = app_url
    return await target.expectation_kind()


async def _certify_target(env: TargetContext, certification: Certification) -> list[RawFinding]:
    started = time.perf_counter()
    run = TargetRun(env.name)
    certification.runs[env.name] = run
    results: list[CheckResult] = []
    try:
        for flow in BACKEND_FLOWS if env.profile.far_end.own_backend else FLOWS:
            results += await flow(env)
    except TargetUnavailable as exc:
        done = {r.check for r in results}
        results += [
            make_result(c, env.name, "error", f"target unavailable: {exc}")
            for c in check_ids()
            if c not in done
        ]
        certification.results += results
        run.duration = time.perf_counter() - started
        return []
    version = env.app_version.describe() if env.app_version is not None else None
    if version and not certification.app.version:
        certification.app.version = version
    record = merge_snapshots(env.snapshots)
    if env.halted is not None and not env.snapshots:
        # The page hung before any audit record could be read: nothing to judge.
        results += [make_result(r.check, env.name, "not-evaluated", f"not evaluated: {env.halted}")
                    for r in audit_results(env.name, record, None, env.redirected, False)]
    else:
        results += audit_results(env.name, record, env.telemetry, env.redirected,
                                 bool(env.profile.diagnostics))
    certification.results += results
    await _describe_run(env, run, record)
    run.duration = time.perf_counter() - started
    return [*env.findings, *evaluate(env.name, record, redirected=env.redirected)]


async def _describe_run(env: TargetContext, run: TargetRun, record: dict[str, Any]) -> None:
    run.diagnostics = dict(record.get("diagnostics") or {})
    connection_ids: list[str] = []
    for snap in record["snapshots"]:
        value = (snap.get("redirection") or {}).get("diagnostics", {}).get("connectionId")
        if value and value not in connection_ids:
            connection_ids.append(str(value))
    run.connection_ids = connection_ids
    usage: dict[str, Any] = record.get("usage", {})
    run.usage = {
        "supported": {k: v["count"] for k, v in sorted(usage.items()) if v.get("kind") == "supported"},
        "outside": {k: v["count"] for k, v in sorted(usage.items()) if v.get("kind") == "outside"},
        "listeners": {k: v["count"] for k, v in sorted(record.get("listeners", {}).items())},
    }
    run.mmr_log = [e for e in record.get("mmrLog", []) if e.get("level") in ("warning", "error")][:50]
    run.page_errors = [str(e.get("message")) for e in record.get("pageErrors", [])][:20]
    run.info = {
        "sessions": len({s.get("token") for s in record["snapshots"]}),
        "console": env.console[:50],
        **await env.target.identity(),
    }


def target_names(choice: str) -> tuple[str, ...]:
    """``--target`` (``all``, a name or alias, a comma-separated list) as target names."""
    return parse_targets(choice)
