"""Stage 1, the app profile: the YAML that says how to drive an app, loaded and checked.

- :mod:`.loader` - :func:`~.loader.load_profile`: the YAML, its schema and every located check;
- :mod:`.model` - the checked profile the certification runs (:class:`~.model.Profile`);
- :mod:`.value_checks` - values a schema cannot check (a `goto` URL, a saved-login file);
- :mod:`.placeholders` - `{signal}`, the chosen devices and `{env:NAME}` secrets;
- :mod:`.storage` - a saved login put on the app's page, and the fields that hold secrets;
- :mod:`.apps` - the bundled apps a profile may name.
"""

__all__: list[str] = []
