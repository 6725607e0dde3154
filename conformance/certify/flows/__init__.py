"""Stage 3, the behavioural checks: flows drive the app and put verdicts from evidence.

- :mod:`.base` - what every flow shares: :class:`~.base.Flow`, :func:`~.base.run_flow`, the
  timeouts, placing a call, and the checks every kind of far end shares (hang-up, mute);
- :mod:`.context` - one target's state that the flows share (target, profile, far end);
- :mod:`.far_end` - calls to the harness's far end (`far_end: harness`);
- :mod:`.backend` - calls to the app's own backend (`far_end: app`);
- :mod:`.faults` - the redirection's faults (reconnect, disconnected);
- :mod:`.devices` - the `devices-honoured` check;
- :mod:`.quality` - the `call-quality` check (ViSQOL score and mouth-to-ear delay of what the
  chosen speaker played).
"""

__all__: list[str] = []
