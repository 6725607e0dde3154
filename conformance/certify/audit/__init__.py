"""Stage 4, the API-usage audit: what the app called, and the verdicts it gives.

- :mod:`.layer` - the audit's page scripts (``audit.js``) and merging what they recorded;
- :mod:`.rules` - rules turning the record into findings;
- :mod:`.judge` - the audit checks' results, and findings folded into every check.
"""

__all__: list[str] = []
