"""What the certification saw, read and kept as evidence for the verdicts.

- :mod:`.audio` - what the far end heard and what the page rendered (measurements);
- :mod:`.media_plane` - what a call to the app's own backend carries, seen from this side;
- :mod:`.records` - typed records the flows keep about a target (app version, telemetry, ...);
- :mod:`.artifacts` - the files of a failing check's page (screenshot, trace), kept or dropped.
"""

__all__: list[str] = []
