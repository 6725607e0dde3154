"""Safe YAML loading that remembers where every value came from.

PyYAML's node graph carries start marks; we build plain Python data from it and keep a
map from each value's path (a tuple of keys and indexes) to its :class:`Mark`, plus the
marks of mapping keys, so validation errors can point at the exact key or value.
Only the safe constructors are used (no arbitrary Python objects), and duplicate keys,
which PyYAML would silently overwrite, are errors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from conformance.errors import ScenarioError
from conformance.model import Mark

__all__ = ["MarkedDocument", "Path", "load_marked"]

Path = tuple[str | int, ...]


@dataclass
class MarkedDocument:
    """A YAML document as plain data plus the marks of its values and keys."""

    data: Any
    file: str
    text: str
    values: dict[Path, Mark] = field(default_factory=dict)
    keys: dict[Path, Mark] = field(default_factory=dict)

    def mark(self, path: Path) -> Mark:
        """The mark of the value at ``path``, or of its nearest marked ancestor."""
        while path not in self.values and path:
            path = path[:-1]
        return self.values.get(path, Mark(self.file, 1, 1))

    def key_mark(self, path: Path) -> Mark:
        """The mark of the mapping key that leads to ``path`` (falls back to the value)."""
        return self.keys.get(path) or self.mark(path)


class _SafeLoader(yaml.SafeLoader):
    """PyYAML's safe loader with YAML 1.2 booleans.

    YAML 1.1 reads ``on``, ``off``, ``yes``, ``no`` as booleans, so ``on: pc`` (the key of a
    ``wait_event`` step) would become ``True: pc``. Only ``true``/``false`` are booleans here.
    """


_SafeLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_SafeLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def _mark(file: str, node: yaml.Node) -> Mark:
    return Mark(file, node.start_mark.line + 1, node.start_mark.column + 1)


def load_marked(text: str, file: str) -> MarkedDocument:
    """Parse one YAML document safely; raise :class:`ScenarioError` on malformed input."""
    loader = _SafeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        problem = exc.problem_mark or exc.context_mark
        mark = (
            Mark(file, problem.line + 1, problem.column + 1) if problem else Mark(file, 1, 1)
        )
        message = " ".join(part for part in (exc.context, exc.problem) if part)
        hint = None
        if exc.problem and "mapping values are not allowed" in exc.problem:
            # The usual cause in scenarios: JavaScript such as `{audio: true}` in a plain scalar.
            hint = ("JavaScript containing `: ` must be quoted or written as a block "
                    "scalar (`run: |` followed by indented lines)")
        raise ScenarioError(mark, f"malformed YAML: {message}", hint) from None
    except yaml.YAMLError as exc:
        raise ScenarioError(Mark(file, 1, 1), f"malformed YAML: {exc}") from None
    finally:
        loader.dispose()
    document = MarkedDocument(data=None, file=file, text=text)
    if node is None:
        raise ScenarioError(Mark(file, 1, 1), "the file is empty")
    document.data = _build(node, (), loader, document)
    return document


def _build(node: yaml.Node, path: Path, loader: _SafeLoader, doc: MarkedDocument) -> Any:
    doc.values[path] = _mark(doc.file, node)
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node)
            if not isinstance(key, str):
                raise ScenarioError(
                    _mark(doc.file, key_node), f"keys must be strings, not {key!r}"
                )
            if key in result:
                raise ScenarioError(
                    _mark(doc.file, key_node),
                    f"duplicate key {key!r} (first at line {doc.keys[(*path, key)].line})",
                )
            doc.keys[(*path, key)] = _mark(doc.file, key_node)
            result[key] = _build(value_node, (*path, key), loader, doc)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, i), loader, doc) for i, item in enumerate(node.value)]
    return loader.construct_object(node)
