"""Real backends on "another host": network namespaces and the servers run in them.

Used by the project's tests (``tests/conftest.py``) and by the stacks catalog
(``conformance catalog``): one mechanism for both.

- :mod:`conformance.network.netns` - a namespace joined by a veth pair (:class:`Namespace`);
- :mod:`conformance.backends.janus` - Debian's Janus and coturn, the Janus demos' ``settings.js``.
"""

__all__: list[str] = []
