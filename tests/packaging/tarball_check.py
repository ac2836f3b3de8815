# Copyright: (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the collection tarball must and must not carry (docs/PACKAGING.md).

    python tests/packaging/tarball_check.py footballpred-rehearsal-X.Y.Z.tar.gz

Prints one line per problem and exits 1 when there is any. The rules are functions so the
tests can feed them made-up listings and documents.
"""

from __future__ import annotations

import posixpath
import re
import sys
import tarfile
from typing import Iterable, Mapping

# The repository's own tooling and test material, never shipped.
FORBIDDEN_PREFIXES = ("tests/", "examples/", "bench/", "extensions/", "collections/", "scripts/",
                      "awx/", "inventories/local/", "rehearsal_results/")
FORBIDDEN_NAME = re.compile(r"(^|/)(\.venv[^/]*|__pycache__|\.pytest_cache|\.git)(/|$)")
FORBIDDEN_FILES = ("ansible.cfg", "Makefile", "pytest.ini", "requirements.txt", "requirements-dev.txt",
                   "requirements-galaxy.txt", ".ansible-lint", ".gitignore")
REQUIRED_FILES = ("LICENSE", "README.md", "CHANGELOG.md", "MANIFEST.json", "FILES.json",
                  "meta/runtime.yml", "meta/execution-environment.yml", "meta/requirements-ee.txt",
                  "meta/bindep.txt", "requirements-ee.txt", "bindep.txt", "docs/CONVENTIONS.md",
                  "docs/PACKAGING.md")

# [text](target "title"), ![alt](target), [label]: target, href="target", src="target"
INLINE_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_LINK = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$", re.MULTILINE)
HTML_LINK = re.compile(r"""(?:href|src)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"`[^`\n]*`")
EXTERNAL = re.compile(r"^([a-z][a-z0-9+.-]*:|//|#)", re.IGNORECASE)


def listing_problems(names: Iterable[str]) -> list[str]:
    """Forbidden entries present, required files absent."""
    names = set(names)
    problems = [f"ships {name}" for name in sorted(names)
                if name.startswith(FORBIDDEN_PREFIXES) or FORBIDDEN_NAME.search(name) or name in FORBIDDEN_FILES]
    problems += [f"lacks {name}" for name in REQUIRED_FILES if name not in names]
    roles = sorted({name.split("/")[1] for name in names if name.startswith("roles/") and name.count("/") >= 2})
    for role in roles:
        for required in ("README.md", "meta/main.yml", "meta/argument_specs.yml"):
            if f"roles/{role}/{required}" not in names:
                problems.append(f"role {role} lacks {required}")
    return problems


def link_targets(markdown: str) -> list[str]:
    """Link targets of a Markdown document, code blocks and code spans left out."""
    text = CODE_SPAN.sub("", FENCE.sub("", markdown))
    return INLINE_LINK.findall(text) + REFERENCE_LINK.findall(text) + HTML_LINK.findall(text)


def _parents(path: str) -> list[str]:
    parents = []
    while (path := posixpath.dirname(path)):
        parents.append(path)
    return parents


def broken_links(documents: Mapping[str, str], names: Iterable[str]) -> list[str]:
    """Relative links of the documents (path -> text) that name nothing in the listing."""
    names = set(names)
    directories = {parent for name in names for parent in _parents(name)}
    problems = []
    for path, text in sorted(documents.items()):
        for target in link_targets(text):
            if EXTERNAL.match(target):
                continue
            relative = target.split("#", 1)[0].split("?", 1)[0].rstrip("/")
            resolved = posixpath.normpath(posixpath.join(posixpath.dirname(path), relative))
            if resolved.startswith("../") or resolved == ".." or (resolved not in names and resolved not in directories):
                problems.append(f"{path} links {target}, which the tarball does not carry")
    return problems


def symlink_problems(members: Iterable[tarfile.TarInfo], names: Iterable[str]) -> list[str]:
    """Symbolic links must point at a file inside the tarball."""
    names = set(names)
    problems = []
    for member in members:
        if member.issym():
            target = posixpath.normpath(posixpath.join(posixpath.dirname(member.name), member.linkname))
            if target not in names:
                problems.append(f"link {member.name} -> {member.linkname} points outside the tarball")
    return problems


def tarball_problems(tarball: str) -> list[str]:
    with tarfile.open(tarball, "r:gz") as archive:
        members = archive.getmembers()
        names = [member.name for member in members if not member.isdir()]
        documents = {member.name: archive.extractfile(member).read().decode("utf-8")
                     for member in members if member.isfile() and member.name.endswith(".md")}
    return listing_problems(names) + broken_links(documents, names) + symlink_problems(members, names)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    problems = tarball_problems(argv[1])
    for problem in problems:
        print(f"tarball: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
