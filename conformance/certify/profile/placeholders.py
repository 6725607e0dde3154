"""Placeholders in profile strings: ``{signal}``, ``{ice_servers}``, the devices the suite
chose, the DTMF digit, and secrets.

``{ice_servers}`` is the ICE servers the run offers (``--far-end-network``, ``--turn``) as
URL-encoded JSON of an ``RTCConfiguration.iceServers`` value (``%5B%5D``, ``[]``, when it
offers none). ``{signal}``, ``{mic_id}``, ``{mic_label}``, ``{speaker_id}`` and ``{speaker_label}`` are the
suite's values for one call; ``{digit}`` is the DTMF digit a ``send_dtmf`` action sends.
``{env:NAME}`` is the environment variable ``NAME`` (a password, a token): read when the
step runs, never when the profile is loaded, and never written anywhere (reports show steps
with their placeholders, not their values; an error names the variable). ``{{`` and ``}}``
are literal braces.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping

__all__ = ["ENV_PREFIX", "PLACEHOLDERS", "MissingSecret", "names_in", "secret_values", "substitute"]

#: The suite's placeholders (``{env:NAME}`` besides).
PLACEHOLDERS: tuple[str, ...] = ("signal", "ice_servers", "mic_id", "mic_label", "speaker_id",
                                 "speaker_label", "digit")
#: ``{env:NAME}``: a value from the environment.
ENV_PREFIX = "env:"
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class MissingSecret(KeyError):
    """An ``{env:NAME}`` placeholder whose variable is not set."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name

    def __str__(self) -> str:
        return f"the environment variable {self.name} is not set (the profile uses {{env:{self.name}}})"


def names_in(text: str) -> Iterator[str]:
    """The placeholder names ``text`` uses (``signal``, ``env:PASSWORD``), in order."""
    for match in _PLACEHOLDER.finditer(text):
        if match.group(1) is not None:
            yield match.group(1)


def substitute(text: str, values: Mapping[str, str], environ: Mapping[str, str] | None = None) -> str:
    """``text`` with ``{name}`` replaced from ``values`` and ``{env:NAME}`` from the
    environment (``{{``/``}}`` are literal braces); ``KeyError`` for an unknown name,
    :class:`MissingSecret` for an unset variable."""
    env = os.environ if environ is None else environ

    def replace(match: re.Match[str]) -> str:
        whole = match.group(0)
        if whole in ("{{", "}}"):
            return whole[0]
        name = match.group(1)
        if name.startswith(ENV_PREFIX):
            variable = name[len(ENV_PREFIX):]
            if variable not in env:
                raise MissingSecret(variable)
            return env[variable]
        if name not in values:
            raise KeyError(name)
        return values[name]

    return _PLACEHOLDER.sub(replace, text)


def secret_values(texts: Iterator[str] | list[str], environ: Mapping[str, str] | None = None) -> set[str]:
    """The values of the ``{env:NAME}`` placeholders in ``texts`` that are set: what a
    report must never contain (redact them from messages)."""
    env = os.environ if environ is None else environ
    found = set()
    for text in texts:
        for name in names_in(text):
            variable = name[len(ENV_PREFIX):] if name.startswith(ENV_PREFIX) else None
            if variable and env.get(variable):
                found.add(env[variable])
    return found
