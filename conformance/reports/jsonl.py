"""results.jsonl: one line per finished result, written as the run goes.

The final reports are written once at the end of a run; this log is what survives a
crash, a Ctrl-C or a killed CI job. Each line is flushed and fsynced before the next test
is reported, so at most the line being written when the process died is lost, and
:func:`read_results_log` skips that damaged line.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import IO

from conformance.reports.jsonio import parse_json
from conformance.results import ScenarioResult

__all__ = ["ResultsLog", "read_results_log"]

_log = logging.getLogger(__name__)


def _line(result: ScenarioResult) -> bytes:
    # ensure_ascii keeps the line pure ASCII: no byte in a record can be mistaken
    # for a line separator (json.dumps already escapes \n, \r and U+2028).
    return json.dumps(result.to_json(), ensure_ascii=True, separators=(",", ":")).encode("ascii")


class ResultsLog:
    """An append-only JSON Lines log of :class:`ScenarioResult` objects.

    Use it as a context manager, or call :meth:`close`. Appending to an existing log
    (a resumed run) keeps its lines.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._file: IO[bytes] | None = open(self.path, "ab")  # noqa: SIM115 (closed in close())
        self._terminate_partial_line()

    def _terminate_partial_line(self) -> None:
        """End a line a previous, interrupted writer left unfinished.

        Without this, the first new record would be glued to the damaged fragment and
        both would be lost when reading.
        """
        assert self._file is not None
        size = self._file.seek(0, os.SEEK_END)
        if size == 0:
            return
        with open(self.path, "rb") as reader:
            reader.seek(size - 1)
            last = reader.read(1)
        if last != b"\n":
            self._write(b"\n")

    def _write(self, data: bytes) -> None:
        assert self._file is not None
        self._file.write(data)
        self._file.flush()
        os.fsync(self._file.fileno())

    def append(self, result: ScenarioResult) -> None:
        """Append ``result`` as one line and make it durable before returning."""
        if self._file is None:
            raise ValueError(f"results log {self.path} is closed")
        self._write(_line(result) + b"\n")

    def extend(self, results: Iterable[ScenarioResult]) -> None:
        """Append every result of ``results``, made durable once at the end (for a log
        written at once, like a merged run's: a sync per line made that take seconds)."""
        if self._file is None:
            raise ValueError(f"results log {self.path} is closed")
        lines = (_line(result) + b"\n" for result in results)
        self._write(b"".join(lines))

    def close(self) -> None:
        """Close the file; closing twice is harmless."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> ResultsLog:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def read_results_log(path: Path | str) -> list[ScenarioResult]:
    """The results recorded in a results.jsonl file, in the order they were written.

    A line that is not a complete, valid record (typically the last one, cut short when
    the run was killed) is skipped with a warning: an interrupted run keeps everything it
    finished. A missing file reads as no results.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    results: list[ScenarioResult] = []
    # Split on the writer's record separator only: str.splitlines would also split on
    # \x1c, \x85 or U+2028, which a foreign or hand-edited line may hold inside a string.
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            record = parse_json(raw.decode("utf-8"), f"{path}:{number}")
            if not isinstance(record, dict):
                raise TypeError(f"expected an object, got {type(record).__name__}")
            results.append(ScenarioResult.from_json(record))
        except (UnicodeDecodeError, ValueError, TypeError, KeyError) as exc:
            _log.warning("%s:%d: skipping damaged record (%s)", path, number, exc)
    return results
