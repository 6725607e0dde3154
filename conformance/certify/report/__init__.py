"""Stage 5, the certificate: the report folder, in JSON, Markdown and HTML.

- :mod:`.folder` - writing ``<reports>/certify/<run-id>/`` (:func:`~.folder.write_certification`);
- :mod:`.markdown` and :mod:`.html` - the two views for people (``templates/``, ``assets/``);
- :mod:`.facts` - the facts table both views show;
- :mod:`.scrub` - secrets and run-local addresses removed before anything is written.
"""

__all__: list[str] = []
