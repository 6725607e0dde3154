"""The stacks catalog: open-source calling stacks certified against their real backends.

``catalog/<stack>/entry.yaml`` names a stack's client library (npm, pinned; or Debian),
the launcher of its real backend and its certification profile; ``conformance catalog run``
certifies every entry on ``native`` and ``reference`` and writes the matrix (HTML,
Markdown, JSON). See ``docs/stacks.md`` for the latest matrix and ``docs/catalog.md``.

Public surface: :class:`Entry`, :func:`find_entries`, :func:`load_entry`,
:func:`run_entries`, :func:`certify_entry`, :func:`write_matrix`,
:func:`add_catalog_command`.
"""

from conformance.catalog.cli import add_catalog_command
from conformance.catalog.entry import CATALOG_DIR, Entry, find_entries, load_entry
from conformance.catalog.matrix import write_matrix
from conformance.catalog.runner import certify_entry, run_entries

__all__ = [
    "CATALOG_DIR",
    "Entry",
    "add_catalog_command",
    "certify_entry",
    "find_entries",
    "load_entry",
    "run_entries",
    "write_matrix",
]
