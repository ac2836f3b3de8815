#!/usr/bin/env python
"""How much of roles/*/tasks is a program written in Jinja (issue 12's counts).

    scripts/role-metrics.py [ROOT]          # a checkout (default: this one)
    scripts/role-metrics.py --git REV       # a commit of this repository

Counts, over roles/*/tasks/*.yml: task files, lines, Jinja lines (a line holding {{ or {%,
a line inside a block scalar that holds Jinja, and the lines of when/that/until/
failed_when/changed_when expressions), `'passed' if` occurrences, set_fact tasks, set_fact
tasks whose value spans 3+ lines, the largest set_fact expression, and the judges in
plugins/plugin_utils/judges with the unit-test files that exercise them.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

EXPRESSION_KEYS = re.compile(r"^\s*-?\s*(when|that|until|failed_when|changed_when)\s*:")
KEY = re.compile(r"^(\s*)(-\s+)?[A-Za-z_][\w.]*\s*:")


def jinja_lines(lines: list[str]) -> int:
    count, i = 0, 0
    while i < len(lines):
        line = lines[i]
        if EXPRESSION_KEYS.match(line):
            indent = len(line) - len(line.lstrip(" -"))
            count += 1
            i += 1
            while i < len(lines) and lines[i].strip() and (len(lines[i]) - len(lines[i].lstrip())) > indent:
                count += 1
                i += 1
            continue
        if re.search(r":\s*[>|][-+]?\s*$", line):  # a block scalar: count it when it holds Jinja
            indent = len(line) - len(line.lstrip())
            body = []
            j = i + 1
            while j < len(lines) and (not lines[j].strip() or len(lines[j]) - len(lines[j].lstrip()) > indent):
                body.append(lines[j])
                j += 1
            if any("{{" in b or "{%" in b for b in body):
                count += 1 + len([b for b in body if b.strip()])
                i = j
                continue
        if "{{" in line or "{%" in line:
            count += 1
        i += 1
    return count


def set_facts(lines: list[str]) -> tuple[int, int, int]:
    """set_fact tasks, those with a 3+ line value, the largest value in lines."""
    tasks = big = largest = 0
    for i, line in enumerate(lines):
        if re.match(r"^\s*ansible\.builtin\.set_fact:\s*(#.*)?$", line):
            tasks += 1
            indent = len(line) - len(line.lstrip())
            j = i + 1
            while j < len(lines) and (not lines[j].strip() or len(lines[j]) - len(lines[j].lstrip()) > indent):
                j += 1
            body = [b for b in lines[i + 1:j] if b.strip()]
            largest = max(largest, len(body))
            values, current = [], 0
            for b in body:
                if len(b) - len(b.lstrip()) == indent + 2 and KEY.match(b):
                    if current:
                        values.append(current)
                    current = 1
                else:
                    current += 1
            if current:
                values.append(current)
            big += any(v >= 3 for v in values)
    return tasks, big, largest


def files_of(root: Path | None, rev: str | None) -> dict[str, str]:
    if rev:
        names = subprocess.run(["git", "ls-tree", "-r", "--name-only", rev], capture_output=True, text=True,
                               check=True).stdout.split()
        wanted = [n for n in names if re.match(r"roles/[^/]+/tasks/.*\.ya?ml$", n)
                  or n.startswith("plugins/plugin_utils/judges/") or n.startswith("tests/unit/")]
        return {n: subprocess.run(["git", "show", f"{rev}:{n}"], capture_output=True, text=True, check=True).stdout
                for n in wanted}
    out = {}
    for pattern in ("roles/*/tasks/**/*.yml", "plugins/plugin_utils/judges/*.py", "tests/unit/**/*.py"):
        for path in root.glob(pattern):
            out[str(path.relative_to(root))] = path.read_text(encoding="utf-8")
    return out


def main(argv: list[str]) -> int:
    rev = argv[1] if len(argv) > 1 and argv[0] == "--git" else None
    root = None if rev else Path(argv[0] if argv else Path(__file__).resolve().parents[1])
    files = files_of(root, rev)
    tasks = {n: t for n, t in files.items() if re.match(r"roles/[^/]+/tasks/", n)}
    lines = jinja = passed_if = facts = big = largest = 0
    for text in tasks.values():
        rows = text.splitlines()
        lines += len(rows)
        jinja += jinja_lines(rows)
        passed_if += text.count("'passed' if")
        f, b, l = set_facts(rows)
        facts, big, largest = facts + f, big + b, max(largest, l)
    judges = sorted(Path(n).stem for n, t in files.items()
                    if n.startswith("plugins/plugin_utils/judges/") and "\ndef judge(" in t)
    imports = [re.findall(r"judges(?:\.(\w+)| import \(([\w,\s]+)\)| import ([\w, ]+))", t)
               for n, t in files.items() if n.startswith("tests/unit/")]
    named = {name.split(" as ")[0].strip() for found in imports for groups in found
             for name in "".join(groups).split(",")}
    tested = sorted(j for j in judges if j in named)
    print(f"task files                     {len(tasks)}")
    print(f"task lines                     {lines}")
    print(f"Jinja lines                    {jinja}")
    print(f"'passed' if                    {passed_if}")
    print(f"set_fact tasks                 {facts}")
    print(f"set_fact with a 3+ line value  {big}")
    print(f"largest set_fact (lines)       {largest}")
    print(f"judges (unit-tested)           {len(judges)} ({len(tested)})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
