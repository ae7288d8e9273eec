"""Every command, file and link that README.md and docs/*.md show exists (issue 18, item 7).

The README kept claims that had gone stale: a ``make bench`` said to run
benchmarks it did not, modules named in folders they had left. Here every
page of the manual is read, in its ```sh blocks and its inline code alike:

- each ``python app.py …`` line names a real command (and action), which
  answers ``--help`` with exit 0, and shows only options of that command;
  ``a x | b y`` lists alternatives, each checked;
- each ``make X`` is a target of the Makefile;
- each ``bench/….py`` command shows only options of that benchmark;
- each file or folder of the repository named (``web/guard.py``) exists;
- each ``gunicorn … 'module:factory()'`` names a factory that exists;
- each link between the pages reaches a page and, with ``#…``, a heading;
  every page of docs/ is in the README's map of the docs.

tests/test_readme_examples.py runs the shell examples against a live server.
"""

from __future__ import annotations

import importlib
import re
import shlex
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import pytest

from tests.servers import ROOT
from tests.test_readme_examples import README, help_of, pages, real_parser, sub_commands

CODE_SPAN = re.compile(r"`((?:[^`\n]|\n(?!\s*\n))+)`")  # not across a blank line
OPTION = re.compile(r"--[a-z][a-z0-9-]*")
LINK = re.compile(r"\]\(([^)\s]+)\)")
# A file or folder of this repository, as the pages name them in code spans.
REPO_PATH = re.compile(r"^(?:[\w-]+/)+(?:[\w.-]+\.(?:py|js|md|png|jpg|css))?$|^[\w-]+\.py$")


def _page_name(path: Path) -> str:
    return str(path.relative_to(ROOT))


@cache
def commands_shown() -> tuple[tuple[str, int, str], ...]:
    """(page, line, text) of every command in a ```sh block (continuations
    joined) and of every inline code span (which may wrap onto the next line)."""
    found = []
    for path in pages():
        page, block, pending, start, prose = _page_name(path), False, "", 0, []
        for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            fence = text.strip().startswith("```")
            if fence:
                block = not block and text.strip() == "```sh"
            elif block:
                start = start or number
                if text.rstrip().endswith("\\"):
                    pending += text.rstrip()[:-1] + " "
                else:
                    if (pending + text).strip() and not text.lstrip().startswith("#"):
                        found.append((page, start, (pending + text).strip()))
                    pending, start = "", 0
            prose.append("" if fence or block else text)
        joined = "\n".join(prose)
        for match in CODE_SPAN.finditer(joined):
            line = joined.count("\n", 0, match.start()) + 1
            found.append((page, line, " ".join(match.group(1).split())))
    return tuple(found)


def _words(text: str) -> list[str]:
    try:
        return shlex.split(text, comments=True)
    except ValueError:  # an unbalanced quote in a fragment of prose
        return text.split()


def split_alternatives(words: list[str]) -> list[list[str]]:
    """``user password zhao | disable zhao`` -> two commands of ``user``; a
    ``|`` inside ``[…]`` (``[--gcj02 | --not-gcj02]``) is part of the synopsis."""
    parts, current, depth = [], [], 0
    for word in words:
        if word == "|" and depth == 0:
            parts.append(current)
            current = []
            continue
        depth += word.count("[") - word.count("]")
        current.append(word)
    parts.append(current)
    head = parts[0][:1]
    return [parts[0], *(head + part for part in parts[1:] if part)]


def app_commands() -> list[tuple[str, int, list[str]]]:
    """(page, line, words after app.py) of every ``python app.py …`` shown."""
    found = []
    for page, line, text in commands_shown():
        words = _words(text)
        for at, word in enumerate(words[:-1]):
            if word == "app.py" and at > 0 and words[at - 1].endswith("python"):
                rest = words[at + 1 :]
                if rest and rest[0] not in {"…", "..."}:
                    found += [(page, line, alt) for alt in split_alternatives(rest)]
                break
    return found


def _check_app_command(words: list[str]) -> list[str]:
    """What is wrong with ``python app.py WORDS`` as a command of the real argparse."""
    commands = sub_commands(real_parser())
    name = words[0].strip("[]")
    if name not in commands:
        return [f"no command {name!r}"]
    target, paths = commands[name], [(name,)]
    actions = sub_commands(target)
    if actions and len(words) > 1 and not words[1].startswith(("-", "[")):
        wanted = [a.strip("[]") for a in words[1].split("|")]
        unknown = [a for a in wanted if a not in actions]
        if unknown:
            return [f"{name} has no action {', '.join(unknown)}"]
        paths = [(name, action) for action in wanted]
    problems = []
    for path in paths:
        code, output = help_of(path)
        if code != 0 or "usage:" not in output:
            problems.append(f"{' '.join(path)} --help exits {code}: {output[-300:]}")
        parser = actions[path[1]] if len(path) > 1 else target
        known = {o for action in parser._actions for o in action.option_strings}
        shown = {m.group(0) for w in words for m in OPTION.finditer(w)}
        if shown - known:
            problems.append(f"{' '.join(path)} has no option {', '.join(sorted(shown - known))}")
    return problems


def test_the_pages_show_python_app_py_commands():
    shown = {(page, tuple(words[:2])) for page, _, words in app_commands()}
    assert any(page == "README.md" for page, _ in shown), "README.md shows no python app.py"
    assert len({page for page, _ in shown}) >= 4, shown
    assert len(shown) >= 30, f"only {len(shown)} python app.py commands found"


def test_every_python_app_py_command_shown_answers_help():
    problems = [
        f"{page}:{line}: python app.py {' '.join(words)}: {problem}"
        for page, line, words in app_commands()
        for problem in _check_app_command(words)
    ]
    assert problems == []


def test_the_alternatives_and_the_synopsis_are_read_apart():
    assert split_alternatives(_words("user password zhao | disable zhao | list")) == [
        ["user", "password", "zhao"],
        ["user", "disable", "zhao"],
        ["user", "list"],
    ]
    synopsis = _words("import grids FILE [--gcj02 | --not-gcj02] [--dry-run]")
    assert split_alternatives(synopsis) == [synopsis]
    assert _check_app_command(["apikey", "create", "x", "--scopes", "display", "--town", "1"]) == []
    assert _check_app_command(["user", "add|remove"]) == ["user has no action remove"]
    assert _check_app_command(["seed", "--scales", "region"]) == ["seed has no option --scales"]
    assert _check_app_command(["bench"]) == ["no command 'bench'"]


def make_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return {m.group(1) for m in re.finditer(r"^([A-Za-z][\w-]*)\s*:(?!=)", text, re.M)}


def test_every_make_target_shown_is_in_the_makefile():
    targets = make_targets()
    shown = [
        (page, line, words[1])
        for page, line, text in commands_shown()
        if len(words := _words(text)) >= 2 and words[0] == "make"
    ]
    assert {"run", "test", "bench"} <= {target for _, _, target in shown}
    assert [f"{p}:{n}: make {t}" for p, n, t in shown if t not in targets] == []


@cache
def bench_options(script: str) -> frozenset[str]:
    done = subprocess.run(
        [sys.executable, str(ROOT / script), "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"{script} --help: {done.stderr[-500:]}"
    return frozenset(OPTION.findall(done.stdout))


def test_every_benchmark_command_shown_takes_its_options():
    shown = []
    for page, line, text in commands_shown():
        match = re.search(r"(bench/\w+\.py)\b(.*)", text)
        if match and "python" in text[: match.start()]:
            shown.append((page, line, match.group(1), set(OPTION.findall(match.group(2)))))
    scripts = sorted({script for _, _, script, _ in shown})
    assert len(scripts) >= 12, scripts
    with ThreadPoolExecutor(4) as pool:
        known = dict(zip(scripts, pool.map(bench_options, scripts), strict=True))
    wrong = [
        f"{page}:{line}: {script} has no option {', '.join(sorted(options - known[script]))}"
        for page, line, script, options in shown
        if options - known[script]
    ]
    assert wrong == []


def test_every_file_of_the_repository_named_exists():
    named = [
        (page, line, text)
        for page, line, text in commands_shown()
        if REPO_PATH.match(text) and not text.startswith(("../", "instance/"))
    ]
    assert len(named) >= 20, named
    missing = [f"{page}:{line}: {text}" for page, line, text in named if not _exists(text)]
    assert missing == []


def _exists(name: str) -> bool:
    """A path from the top of the repository; a bare file name (``seed_time.py``
    beside ``bench/`` in the text) may be in any top-level folder."""
    return (ROOT / name).exists() or ("/" not in name and any(ROOT.glob(f"*/{name}")))


def test_every_wsgi_factory_shown_exists():
    factories = [
        (page, line, match.group(1), match.group(2))
        for page, line, text in commands_shown()
        if text.startswith("gunicorn")
        for match in [re.search(r"'([\w.]+):(\w+)\(\)'", text)]
        if match
    ]
    assert factories, "no gunicorn line found"
    for page, line, module, factory in factories:
        assert callable(getattr(importlib.import_module(module), factory, None)), (
            f"{page}:{line}: no {module}.{factory}()"
        )


def anchor(heading: str) -> str:
    """GitHub's anchor of a Markdown heading."""
    text = heading.lstrip("#").strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def test_every_link_between_the_pages_arrives():
    broken = []
    for path in pages():
        text = path.read_text(encoding="utf-8")
        for number, line in enumerate(text.splitlines(), 1):
            for target in LINK.findall(line):
                if target.startswith(("http://", "https://")):
                    continue
                file, _, fragment = target.partition("#")
                goal = (path.parent / file).resolve() if file else path
                if not goal.exists():
                    broken.append(f"{_page_name(path)}:{number}: {target} (no such file)")
                elif fragment and goal.suffix == ".md":
                    headings = goal.read_text(encoding="utf-8").splitlines()
                    anchors = {anchor(h) for h in headings if h.startswith("#")}
                    if fragment not in anchors:
                        broken.append(f"{_page_name(path)}:{number}: {target} (no such heading)")
    assert broken == []


def test_the_readme_maps_every_page_of_the_docs():
    readme = README.read_text(encoding="utf-8")
    pages_of_docs = sorted(p.name for p in (ROOT / "docs").glob("*.md"))
    assert pages_of_docs, "docs/ has no pages"
    assert [name for name in pages_of_docs if f"](docs/{name})" not in readme] == []


@pytest.mark.parametrize("heading", ["# Grid Command", "## Settings", "## Architecture"])
def test_the_readme_keeps_its_sections(heading):
    lines = README.read_text(encoding="utf-8").splitlines()
    assert any(line.startswith(heading) for line in lines)
