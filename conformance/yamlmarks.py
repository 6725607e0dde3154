"""Safe YAML loading that remembers where every value came from.

PyYAML's node graph carries start marks; we build plain Python data from it and keep a
map from each value's path (a tuple of keys and indexes) to its :class:`Mark`, plus the
marks of mapping keys, so validation errors can point at the exact key or value.
Only the safe constructors are used (no arbitrary Python objects), and duplicate keys,
which PyYAML would silently overwrite, are errors.

Every YAML file the suite reads (scenarios, profiles, the limitation registry) comes through
:func:`load_marked`, so its bounds hold for all of them: at most :data:`MAX_BYTES` of text,
:data:`MAX_DEPTH` levels of nesting, :data:`MAX_NODES` values after alias expansion (a
"billion laughs" file is refused at once, not expanded) and :data:`MAX_ALIASES` aliases.
Each refusal is a located :class:`ScenarioError`, as is every malformed input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from conformance.errors import ScenarioError
from conformance.model import Mark

__all__ = ["MAX_ALIASES", "MAX_BYTES", "MAX_DEPTH", "MAX_NODES", "MarkedDocument", "Path",
           "load_marked"]

Path = tuple[str | int, ...]

#: Largest YAML file read (bytes of text); the bundled files are under 10 KiB.
MAX_BYTES = 1024 * 1024
#: Deepest nesting of mappings and sequences; scenarios need about 6.
MAX_DEPTH = 64
#: Most values a document may hold once aliases are expanded.
MAX_NODES = 10_000
#: Most aliases (``*name``) a document may use.
MAX_ALIASES = 100


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


#: libyaml's parser when PyYAML was built with it (10-20x faster than the pure-Python one,
#: the same nodes and marks); the pure-Python loader otherwise.
_BASE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _SafeLoader(_BASE_LOADER):  # type: ignore[valid-type,misc]
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
    """Parse one YAML document safely and boundedly; raise :class:`ScenarioError` (located)
    on malformed or oversized input."""
    if len(text) > MAX_BYTES:
        raise ScenarioError(Mark(file, 1, 1), f"the file is larger than {MAX_BYTES // 1024} KiB",
                            "scenario and profile files are small; is this the right file?")
    loader: _SafeLoader | None = None
    try:
        _check_shape(text, file)
        loader = _SafeLoader(text)
        node = loader.get_single_node()
        if node is None:
            raise ScenarioError(Mark(file, 1, 1), "the file is empty")
        _check_expansion(node, file)
        document = MarkedDocument(data=None, file=file, text=text)
        document.data = _build(node, (), loader, document)
        return document
    except yaml.reader.ReaderError as exc:
        line, column = _line_column(text, exc.position)
        raise ScenarioError(Mark(file, line, column),
                            f"malformed YAML: character {exc.character!r} is not allowed here",
                            "remove the control character (YAML allows tabs, newlines and printable "
                            "characters only)") from None
    except yaml.MarkedYAMLError as exc:
        problem = exc.problem_mark or exc.context_mark
        mark = (
            Mark(file, problem.line + 1, problem.column + 1) if problem else Mark(file, 1, 1)
        )
        message = " ".join(part for part in (exc.context, exc.problem) if part)
        hint = None
        if problem and _tab_before(text, problem.line, problem.column):
            hint = "YAML indents with spaces, not tabs"
        elif (problem and exc.problem and any(words in exc.problem for words in _INDENTATION_PROBLEMS)
              and (misaligned := _indentation_hint(text, problem.line))):
            hint = misaligned
        elif exc.problem and "mapping values are not allowed" in exc.problem:
            # The usual cause in scenarios: JavaScript such as `{audio: true}` in a plain scalar.
            hint = ("JavaScript containing `: ` must be quoted or written as a block "
                    "scalar (`run: |` followed by indented lines)")
        raise ScenarioError(mark, f"malformed YAML: {message}", hint) from None
    except yaml.YAMLError as exc:
        raise ScenarioError(Mark(file, 1, 1), f"malformed YAML: {exc}") from None
    finally:
        if loader is not None:
            loader.dispose()


#: PyYAML's words for a line that is not where the structure around it expects it.
_INDENTATION_PROBLEMS = ("expected '-' indicator", "expected <block end>", "expected key",
                         "mapping values are not allowed")


def _indentation_hint(text: str, line: int) -> str | None:
    """A hint when 0-based ``line`` starts at a column no line above it uses for a key or a
    list item (the usual cause of PyYAML's "expected <block end>" and its kin)."""
    lines = text.split("\n")
    if not 0 <= line < len(lines) or not lines[line].strip():
        return None
    indent = len(lines[line]) - len(lines[line].lstrip(" "))
    above = [text_ for text_ in lines[:line] if text_.strip() and not text_.lstrip().startswith("#")]
    if above and indent > len(above[-1]) - len(above[-1].lstrip(" ")) and (
            above[-1].rstrip().endswith((":", "|", ">", "-", "+"))):
        return None  # a deeper line under a key that opens a block: a new level, not a mistake
    columns: set[int] = set()
    for earlier in lines[:line]:
        stripped = earlier.lstrip(" ")
        if not stripped or stripped.startswith("#"):
            continue
        start = len(earlier) - len(stripped)
        columns.add(start)
        if stripped.startswith("- "):
            columns.add(start + 2)  # the keys of a list item's mapping start after "- "
    if not columns or indent in columns:
        return None
    nearest = min(sorted(columns), key=lambda column: abs(column - indent))
    return (f"check the indentation: line {line + 1} starts at column {indent + 1}, the lines "
            f"above at column {nearest + 1}; the keys of one mapping and the items of one list "
            "start at the same column")


def _tab_before(text: str, line: int, column: int) -> bool:
    """Whether a tab in the indentation of 0-based ``line`` is at or before ``column``."""
    lines = text.split("\n")
    if not 0 <= line < len(lines):
        return False
    indentation = lines[line][: len(lines[line]) - len(lines[line].lstrip(" \t"))]
    return "\t" in indentation[: column + 1]


def _line_column(text: str, position: int) -> tuple[int, int]:
    """1-based line and column of a character offset."""
    before = text[:position]
    return before.count("\n") + 1, position - (before.rfind("\n") + 1) + 1


def _check_shape(text: str, file: str) -> None:
    """Refuse too deep nesting and too many aliases before composing (PyYAML's composer
    recurses once per level, so a 5000-deep ``[[[...]]]`` would overflow the stack).

    The event stream is produced iteratively, so this pass is bounded by the text's size.
    """
    depth = aliases = 0
    for event in yaml.parse(text, Loader=_SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise ScenarioError(_event_mark(file, event),
                                    f"nesting deeper than {MAX_DEPTH} levels",
                                    "scenario and profile files need only a few levels")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        elif isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_ALIASES:
                raise ScenarioError(_event_mark(file, event), f"more than {MAX_ALIASES} aliases",
                                    "write the values out; aliases are for a few shared blocks")


def _event_mark(file: str, event: yaml.Event) -> Mark:
    start = event.start_mark
    return Mark(file, start.line + 1, start.column + 1) if start else Mark(file, 1, 1)


def _check_expansion(root: yaml.Node, file: str) -> None:
    """Refuse a document whose aliases would expand past :data:`MAX_NODES` values, counting
    each shared node once (aliases share nodes, so a small file can describe 10^9 values: a
    "billion laughs"). Nothing is built; the recursion is bounded by :data:`MAX_DEPTH`."""
    sizes: dict[int, int] = {}

    def size(node: yaml.Node) -> int:
        known = sizes.get(id(node))
        if known is not None:
            return known
        if isinstance(node, yaml.MappingNode):
            total = 1 + sum(size(k) + size(v) for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            total = 1 + sum(size(item) for item in node.value)
        else:
            total = 1
        if total > MAX_NODES:
            raise ScenarioError(_mark(file, node),
                                f"the document expands to more than {MAX_NODES} values",
                                "an alias of an alias of ... multiplies the data; write it out")
        sizes[id(node)] = total
        return total

    size(root)


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
