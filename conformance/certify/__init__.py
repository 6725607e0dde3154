"""Certify a calling app under call redirection: app profiles, API-usage audit, report.

``conformance certify [PROFILE]`` drives an app (described by a YAML profile) on native
Chromium and under the reference redirection, proves calls and audio with the virtual
devices and an aiortc far end, audits how the app uses the media and WebRTC APIs, and
writes a certification report. See ``docs/certify.md``.

Public surface:

- :func:`load_profile`, :class:`Profile` - app profiles (``conformance/schema/profile.schema.json``);
- :func:`certify` (async) - run a certification; :class:`Certification` - its outcome;
- :func:`write_certification` - the report folder (JSON, Markdown, HTML);
- :func:`add_certify_command` - the ``certify`` sub-command for the ``conformance`` parser;
- :class:`SignallingServer` - the signalling endpoint apps reach the far end through;
- :data:`CHECKS`, :data:`RULES` - the checks and the audit's rules.
"""

from typing import TYPE_CHECKING, Any

from conformance.certify.audit.rules import RULES
from conformance.certify.checks import CHECKS
from conformance.certify.cli import add_certify_command
from conformance.certify.model import Certification
from conformance.certify.profile.loader import Profile, load_profile
from conformance.certify.report.folder import write_certification

if TYPE_CHECKING:
    from conformance.certify.runner import certify
    from conformance.certify.session.signalling import SignallingServer

__all__ = [
    "CHECKS",
    "RULES",
    "Certification",
    "Profile",
    "SignallingServer",
    "add_certify_command",
    "certify",
    "load_profile",
    "write_certification",
]


def __getattr__(name: str) -> Any:
    # The runner and the signalling server pull in aiortc (seconds of imports); `conformance
    # validate` and `certify --validate` should not pay for it.
    if name == "certify":
        from conformance.certify.runner import certify

        return certify
    if name == "SignallingServer":
        from conformance.certify.session.signalling import SignallingServer

        return SignallingServer
    raise AttributeError(f"module 'conformance.certify' has no attribute {name!r}")
