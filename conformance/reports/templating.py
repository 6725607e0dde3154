"""HTML pages from Jinja2 templates, with their CSS and JS inlined from package files.

The suite's HTML reports are single, self-contained files (mailed, attached to CI jobs,
opened from disk), so a page's style and script are inlined, and its Content Security
Policy allows exactly those by hash. :func:`environment` gives the Jinja2 environment of a
package's ``templates/`` folder; its templates call ``asset(name)`` to inline a file of
the package's ``assets/`` folder, and the writer puts :func:`csp_source` of the same
asset in the policy, so the hash is always that of the text inlined.

Every value a template prints goes through :func:`escape`: :func:`html.escape` with
quotes (the escaping these pages have always had: ``'`` becomes ``&#x27;``), after
characters HTML cannot carry are made visible. Markup (a macro's output, an asset) is
printed as is. Autoescaping stays on as well, so a value that reaches the output another
way (a filter's result, ``~``) is still escaped; undefined names are errors.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import quote

import jinja2
from markupsafe import Markup

__all__ = ["DEFAULT_PACKAGE", "asset", "csp_source", "cut", "environment", "escape", "relative_href",
           "render", "visible"]

#: The package whose ``templates/`` and ``assets/`` folders are used unless told otherwise.
DEFAULT_PACKAGE = "conformance.reports"

# Characters HTML cannot carry (C0/C1 controls other than tab and newlines, lone
# surrogates, non-characters): console output holds ANSI colour codes, and a lone
# surrogate from a JSON escape would even make encoding the page fail.
_INVALID = re.compile("[^\t\n\r\x20-\x7e\xa0-\ud7ff\ue000-\ufdcf\ufdf0-\ufffd\U00010000-\U0010ffff]")


def visible(text: str) -> str:
    """``text`` with characters HTML cannot carry replaced by ``\\xNN``/``\\uNNNN``."""
    return _INVALID.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def has_invisible(text: str) -> bool:
    """Whether ``text`` holds a character HTML cannot carry."""
    return _INVALID.search(text) is not None


_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")


def relative_href(path: str) -> str | None:
    """A safe ``href`` for a file beside the page (a relative path), or ``None`` when it must
    not be a link: absolute, with a scheme (``javascript:``), or holding invisible characters."""
    cleaned = path.replace("\\", "/").strip()
    if not cleaned or cleaned.startswith("/") or _SCHEME.match(cleaned) or has_invisible(cleaned):
        return None
    return quote(cleaned, safe="/-_.~")


def cut(text: object, limit: int = 2000) -> str:
    """``text`` shortened to ``limit`` characters, with an ellipsis when it was longer."""
    value = str(text)
    return value if len(value) <= limit else value[: limit - 1] + "\u2026"


def escape(value: object) -> Markup:
    """Any value as HTML text or a double-quoted attribute value; markup is kept as is."""
    if hasattr(value, "__html__"):
        return Markup(value)
    return Markup(html.escape(visible(str(value)), quote=True))


@cache
def asset(name: str, package: str = DEFAULT_PACKAGE) -> Markup:
    """The text of ``assets/<name>`` in ``package``, to inline in a page unescaped."""
    text = resources.files(package).joinpath("assets", name).read_text(encoding="utf-8")
    return Markup(text)


def csp_source(text: str) -> str:
    """The CSP source (``'sha256-…'``) allowing an inline style or script of ``text``."""
    digest = hashlib.sha256(str(text).encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


@cache
def environment(package: str = DEFAULT_PACKAGE) -> jinja2.Environment:
    """The Jinja2 environment of ``package``'s ``templates/`` folder (see the module docstring).

    Block tags on lines of their own leave nothing in the output (``trim_blocks``,
    ``lstrip_blocks``), so a template's lines are the page's lines.
    """
    env = jinja2.Environment(
        loader=jinja2.PackageLoader(package, "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        finalize=escape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )

    def package_asset(name: str) -> Markup:
        return asset(name, package)

    env.globals["asset"] = package_asset
    env.globals["cut"] = cut
    env.globals["relative_href"] = relative_href
    return env


def render(template: str, context: dict[str, Any], package: str = DEFAULT_PACKAGE) -> str:
    """Render ``templates/<template>`` of ``package`` with ``context``."""
    return environment(package).get_template(template).render(context)
