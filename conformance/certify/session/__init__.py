"""Stage 2, the app page: opening the app on a target and driving it.

- :mod:`.app_session` - one app page on a target, with the audit layer (:class:`~.app_session.AppSession`);
- :mod:`.steps` - running a profile's steps and conditions with Playwright;
- :mod:`.signalling` - the endpoint (`{signal}`) through which an app reaches the far end;
- :mod:`.networks` - the certification's networks: the local device's home, the far end's host
  behind its own NAT, the STUN/TURN servers the run offers (`{ice_servers}`);
- :mod:`.watch` - what the page does on its own (dialogs answered, popups closed, leaving the
  app's origin, a crash) and why it can no longer be driven (:class:`~.watch.PageGone`).
"""

__all__: list[str] = []
