"""``conformance wpt-fetch``: a set file's checks, and gathering a set from both kinds of
source (an export folder and a real git clone) into a folder outside the repository, over
the project's own WPT-layout files in ``tests/data/wpt`` (no W3C files)."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conformance.cli import main
from conformance.wpt import fetch
from conformance.wpt.fetch import FetchError, SetEntry, fetch_set, parse_set, read_set

TREE = Path(__file__).parent / "data" / "wpt"
FILES = ("webrtc/basics.https.html", "webrtc/support/helper.js")
COMMIT = "a" * 40


def _digest(path: str) -> str:
    return hashlib.sha256((TREE / path).read_bytes()).hexdigest()


def _export(root: Path, commit: str = COMMIT) -> Path:
    """An export folder ``<commit>/<path>`` holding the two files."""
    for path in FILES:
        target = root / commit / path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(TREE / path, target)
    return root


def _set_text(commit: str = COMMIT) -> str:
    return "# a set\n" + "".join(f"{commit} {p} {_digest(p)}  # why\n" for p in FILES)


def test_a_set_file_parses_and_the_bundled_set_is_valid() -> None:
    entries = parse_set(_set_text(), "s.txt")
    assert [e.path for e in entries] == list(FILES) and entries[0].commit == COMMIT
    name, bundled = read_set("webrtc-audio")
    assert name == "webrtc-audio" and 10 <= len(bundled) <= fetch.MAX_FILES
    paths = {e.path for e in bundled}
    assert "webrtc/RTCPeerConnection-helper.js" in paths
    assert all(p.startswith(("webrtc/", "mediacapture-streams/")) for p in paths)


@pytest.mark.parametrize(("line", "where", "says"), [
    (f"{COMMIT} webrtc/a.html", "s.txt:2:1", "expected '<commit> <path> <sha256>'"),
    (f"  abc webrtc/a.html {'0' * 64}", "s.txt:2:3", "is not a 40-hex commit"),
    (f"{COMMIT} ../etc/passwd {'0' * 64}", "s.txt:2:42", "is not a relative path"),
    (f"{COMMIT} tools/x.py {'0' * 64}", "s.txt:2:42", "is not a relative path"),
    (f"{COMMIT} webrtc/a.html xyz", "s.txt:2:56", "is not a SHA-256 digest"),
    (f"{COMMIT} {FILES[0]} {'0' * 64}", "s.txt:2:42", "is listed twice"),
])
def test_a_broken_set_line_is_named_by_file_line_and_column(line: str, where: str, says: str) -> None:
    text = f"{COMMIT} {FILES[0]} {'0' * 64}\n{line}\n"
    with pytest.raises(FetchError) as raised:
        parse_set(text, "s.txt")
    assert str(raised.value).startswith(where + ": ") and says in str(raised.value)


def test_an_empty_or_oversized_set_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(FetchError, match=r"^s.txt:1:1: the set lists no file"):
        parse_set("# nothing\n", "s.txt")
    monkeypatch.setattr(fetch, "MAX_FILES", 1)
    with pytest.raises(FetchError, match="more than the bound of 1"):
        parse_set(_set_text(), "s.txt")


def test_fetch_from_an_export_folder_lists_what_it_got(tmp_path: Path) -> None:
    source = _export(tmp_path / "export")
    got = fetch_set("mini", parse_set(_set_text(), "s.txt"), source, tmp_path / "tree")
    assert [f["path"] for f in got["files"]] == list(FILES)
    assert got["commits"] == {COMMIT: 2}
    for path in FILES:
        assert (tmp_path / "tree" / path).read_bytes() == (TREE / path).read_bytes()
    listing = json.loads((tmp_path / "tree" / "FETCHED.json").read_text())
    assert listing["total_bytes"] == sum((TREE / p).stat().st_size for p in FILES)
    assert [(f["commit"], f["sha256"]) for f in listing["files"]] == [(COMMIT, _digest(p)) for p in FILES]


def test_a_wrong_digest_or_too_many_bytes_leaves_the_old_tree(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    source = _export(tmp_path / "export")
    dest = tmp_path / "tree"
    fetch_set("mini", parse_set(_set_text(), "s.txt"), source, dest)
    (source / COMMIT / FILES[1]).write_text("// changed\n")
    with pytest.raises(FetchError, match=r"webrtc/support/helper.js at aaaaaaaaaaaa: SHA-256 .* is not"):
        fetch_set("mini", parse_set(_set_text(), "s.txt"), source, dest)
    assert (dest / FILES[1]).read_bytes() == (TREE / FILES[1]).read_bytes()
    _export(tmp_path / "export")
    bound = max((TREE / p).stat().st_size for p in FILES) + 1  # each file fits, not both
    monkeypatch.setattr(fetch, "MAX_BYTES", bound)
    with pytest.raises(FetchError, match=f"passes the bound of {bound} bytes"):
        fetch_set("mini", parse_set(_set_text(), "s.txt"), source, dest)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export", "tree"]  # no staging left


def test_fetch_from_a_git_clone_reads_each_file_at_its_commit(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    clone = tmp_path / "wpt"
    clone.mkdir()

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(clone), *args], check=True, capture_output=True,
                              text=True, env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
                                              "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t",
                                              "HOME": str(tmp_path)}).stdout.strip()

    git("init", "-q")
    for path in FILES:
        (clone / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(TREE / path, clone / path)
    git("add", ".")
    git("commit", "-qm", "first")
    first = git("rev-parse", "HEAD")
    (clone / FILES[0]).write_text("<!-- later -->\n")
    git("commit", "-qam", "second")
    got = fetch_set("mini", parse_set(_set_text(first), "s.txt"), clone, tmp_path / "tree")
    assert got["commits"] == {first: 2}
    assert (tmp_path / "tree" / FILES[0]).read_bytes() == (TREE / FILES[0]).read_bytes()
    missing = [SetEntry("b" * 40, FILES[0], _digest(FILES[0]))]
    with pytest.raises(FetchError, match="not in the clone"):
        fetch_set("mini", missing, clone, tmp_path / "tree")


def test_cli_fetches_a_set_file_and_reports_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONFORMANCE_CACHE", str(tmp_path / "cache"))
    set_file = tmp_path / "mini.txt"
    set_file.write_text(_set_text())
    source = _export(tmp_path / "export")
    assert main(["wpt-fetch", "--from", str(source), "--set", str(set_file),
                 "--dest", str(tmp_path / "tree")]) == 0
    out = capsys.readouterr().out
    assert f"aaaaaaaaaaaa  {(TREE / FILES[0]).stat().st_size:>7}  {FILES[0]}" in out
    assert "2 files" in out and f"--wpt-root {tmp_path / 'tree'}" in out
    assert main(["wpt-fetch", "--from", str(tmp_path / "nowhere"), "--set", str(set_file)]) == 2
    assert "no file" in capsys.readouterr().err
    assert main(["wpt-fetch", "--from", str(source), "--set", "no-such-set"]) == 2
    assert "bundled sets: webrtc-audio" in capsys.readouterr().err
