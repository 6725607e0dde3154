"""The host half of the reference redirection implementation: the "local device".

Run it with ``python -m reference_impl.host``; it prints one JSON line (port and secrets)
on stdout when it is ready. :class:`reference_impl.ReferenceHost` does that for you.
"""
