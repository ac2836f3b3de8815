# Copyright: (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection as Galaxy and ansible-builder see it (docs/PACKAGING.md).

The tarball is built once by scripts/check-packaging.sh; its stages (contents, galaxy-importer,
ansible-builder introspect) run on it one test each. The metadata files are checked against
each other, and the tarball rules against made-up listings that break them.
"""

from __future__ import annotations

import fnmatch
import io
import os
import re
import subprocess
import tarfile
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from ansible_collections.footballpred.rehearsal.tests.packaging import tarball_check

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / "scripts" / "check-packaging.sh"
GALAXY = yaml.safe_load((REPO_ROOT / "galaxy.yml").read_text(encoding="utf-8"))
EE = yaml.safe_load((REPO_ROOT / "meta" / "execution-environment.yml").read_text(encoding="utf-8"))
ROLES = sorted(path.name for path in (REPO_ROOT / "roles").iterdir() if path.is_dir())
# Where the collection's own content names other collections (tests are not shipped).
CONTENT_DIRS = ("roles", "playbooks", "plugins")
# A plugin named by FQCN where YAML names plugins: a task key, a filter or test, a role or
# include name, a lookup (so a host name such as awx.example.com is not taken for one).
FQCN = re.compile(r"(?:^\s*(?:- )?|\|\s*|\bis\s+|name:\s*|lookup\(\s*['\"])"
                  r"([a-z_]+)\.([a-z_]+)\.[a-z_][a-z0-9_]*\b", re.MULTILINE)
PY_COLLECTION = re.compile(r"ansible_collections\.([a-z_]+)\.([a-z_]+)\.")
# Namespaces whose collections the content could use; a YAML FQCN with another first
# part is a variable path (item.name.x), not a collection.
COLLECTION_NAMESPACES = ("ansible", "community", "containers", "kubernetes", "cloud", "amazon", "awx")


def requirement_lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def python_requirements(path: Path) -> dict[str, Requirement]:
    return {Requirement(line).name.lower(): Requirement(line) for line in requirement_lines(path)}


def collections_used(tops: tuple[str, ...] = CONTENT_DIRS) -> set[str]:
    """Collections (namespace.name) that the shipped content calls: FQCNs in YAML and
    templates, ansible_collections imports in Python; ansible.builtin and this one left out."""
    used = set()
    for top in tops:
        for path in (REPO_ROOT / top).rglob("*"):
            if not path.is_file():
                continue
            text = path.read_text(encoding="utf-8")
            if path.suffix in (".yml", ".yaml", ".j2"):
                used |= {f"{ns}.{name}" for ns, name in FQCN.findall(text)}
            elif path.suffix == ".py":
                used |= {f"{ns}.{name}" for ns, name in PY_COLLECTION.findall(text)}
    return {fqcn for fqcn in used if fqcn.split(".")[0] in COLLECTION_NAMESPACES} - {"ansible.builtin"}


def run_stage(*args: str, work: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, FP_PACKAGING_DIR=str(work))
    return subprocess.run([str(SCRIPT), *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                          timeout=900, check=False)


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("packaging")


@pytest.fixture(scope="module")
def tarball(work) -> Path:
    result = run_stage("build", work=work)
    assert result.returncode == 0, result.stderr
    path = Path(result.stdout.strip())
    assert path.is_file() and path.parent == work
    return path


# --- the built tarball -------------------------------------------------------------------

def test_tarball_contents(tarball, work):
    result = run_stage("contents", str(tarball), work=work)
    assert result.returncode == 0, result.stdout + result.stderr


def test_galaxy_importer_imports_the_tarball(tarball, work):
    result = run_stage("importer", str(tarball), work=work)
    assert result.returncode == 0, result.stderr[-4000:]
    log = (work / "galaxy-importer.log").read_text(encoding="utf-8")
    assert "Importer processing completed successfully" in log
    assert not re.search(r"^(ERROR|CRITICAL)", log, re.MULTILINE)


def test_builder_introspects_the_installed_tarball(tarball, work):
    result = run_stage("introspect", str(tarball), work=work)
    assert result.returncode == 0, result.stderr[-4000:]
    pip = requirement_lines(work / "introspect-pip.txt")
    bindep = requirement_lines(work / "introspect-bindep.txt")
    assert {Requirement(line.split("#")[0]).name for line in pip} >= {"psycopg2-binary", "kafka-python", "redis", "docker"}
    kafka = next(Requirement(line.split("#")[0]) for line in pip if line.startswith("kafka-python"))
    assert not kafka.specifier.contains("2.0.2") and kafka.specifier.contains("3.0.12")
    assert any(line.startswith("openssh-clients") for line in bindep)
    assert not any(line.startswith("rsync") for line in bindep)


# --- metadata, consistent with itself ------------------------------------------------------

def test_license_file_is_the_gpl3_galaxy_yml_names():
    assert GALAXY["license"] == ["GPL-3.0-or-later"]
    text = (REPO_ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "GNU GENERAL PUBLIC LICENSE" in text and "Version 3, 29 June 2007" in text
    assert "or\n(at your option) any later version" in text or "any later version" in text


@pytest.mark.parametrize("role", ROLES)
def test_role_has_readme_and_galaxy_meta(role):
    readme = (REPO_ROOT / "roles" / role / "README.md").read_text(encoding="utf-8")
    assert readme.startswith("# ") and f"footballpred.rehearsal.{role}" in readme.splitlines()[0]
    assert f"`{role}_" in readme, "a README names the role's main variables"
    assert "```" in readme, "a README shows an example"
    meta = yaml.safe_load((REPO_ROOT / "roles" / role / "meta" / "main.yml").read_text(encoding="utf-8"))
    info = meta["galaxy_info"]
    assert info["license"] == GALAXY["license"][0]
    assert info["author"] and info["description"] and info["min_ansible_version"]
    assert meta["dependencies"] == []


def test_ee_collections_are_galaxy_yml_dependencies():
    ee = {entry["name"]: entry["version"] for entry in EE["dependencies"]["galaxy"]["collections"]}
    assert ee == GALAXY["dependencies"]


def test_dependencies_are_the_collections_the_content_uses():
    assert set(GALAXY["dependencies"]) == collections_used()
    assert "ansible.posix" not in GALAXY["dependencies"]


def test_unit_requirements_yml_lists_every_collection_the_unit_tests_need():
    unit = yaml.safe_load((REPO_ROOT / "tests" / "unit" / "requirements.yml").read_text(encoding="utf-8"))
    listed = {entry["name"]: entry["version"] for entry in unit["collections"]}
    # the roles' dependencies (role tests run them), and the collections awx/ calls (AWX tests)
    assert {name: listed.get(name) for name in GALAXY["dependencies"]} == GALAXY["dependencies"]
    assert set(listed) == set(GALAXY["dependencies"]) | collections_used(("awx",))


def test_ee_files_resolve_from_the_collection_root_and_from_meta():
    for key in ("python", "system"):
        name = EE["dependencies"][key]
        assert (REPO_ROOT / name).resolve() == (REPO_ROOT / "meta" / name).resolve(), name
        assert not any(fnmatch.fnmatch(name, pattern) for pattern in GALAXY["build_ignore"]), name


def test_ee_python_requirements_hold_for_the_controller_pins():
    ee = python_requirements(REPO_ROOT / "meta" / "requirements-ee.txt")
    pins = python_requirements(REPO_ROOT / "requirements.txt")
    for name, requirement in ee.items():
        assert name in pins, f"{name} is not pinned in requirements.txt"
        pinned = next(iter(pins[name].specifier)).version
        assert requirement.specifier.contains(pinned), f"{name}=={pinned} violates {requirement}"
    assert not SpecifierSet(str(ee["kafka-python"].specifier)).contains("2.0.2")


def test_ee_minimums_agree_with_the_target_requirements():
    target_file = REPO_ROOT / "meta" / "target-requirements.txt"
    if not target_file.exists():
        pytest.skip("no meta/target-requirements.txt")
    target = python_requirements(target_file)
    for name, requirement in python_requirements(REPO_ROOT / "meta" / "requirements-ee.txt").items():
        if name in target:
            assert requirement.specifier == target[name].specifier, name


def test_bindep_lists_no_unused_tool():
    packages = {line.split()[0] for line in requirement_lines(REPO_ROOT / "meta" / "bindep.txt")}
    content = "\n".join(path.read_text(encoding="utf-8") for top in CONTENT_DIRS
                        for path in (REPO_ROOT / top).rglob("*.yml"))
    assert "rsync" not in packages or "rsync" in content
    assert "git" not in packages or "[git, " in content or "git -C" in content


# --- the tarball rules fail when they should ------------------------------------------------

GOOD_LISTING = [*tarball_check.REQUIRED_FILES, "roles/health/README.md", "roles/health/meta/main.yml",
                "roles/health/meta/argument_specs.yml", "roles/health/tasks/main.yml"]


def test_listing_rules_accept_a_good_listing():
    assert tarball_check.listing_problems(GOOD_LISTING) == []


@pytest.mark.parametrize("extra", ["scripts/local-engine.sh", "ansible.cfg", "inventories/local/hosts.yml",
                                   "tests/unit/test_x.py", "examples/app/main.py", "bench/run.sh",
                                   "plugins/modules/__pycache__/x.pyc", ".venv-galaxy/bin/python"])
def test_listing_rules_refuse_repository_tooling(extra):
    assert tarball_check.listing_problems([*GOOD_LISTING, extra]) == [f"ships {extra}"]


def test_listing_rules_want_every_role_documented():
    listing = [name for name in GOOD_LISTING if name != "roles/health/README.md"]
    assert tarball_check.listing_problems(listing) == ["role health lacks README.md"]


def test_links_to_missing_paths_are_found():
    names = ["README.md", "docs/CONVENTIONS.md", "roles/health/README.md", "roles/health/tasks/main.yml"]
    documents = {
        "README.md": ("[ok](docs/CONVENTIONS.md) [dir](roles/health/) [anchor](#top) [web](https://example.org/x)\n"
                      "`[not a link](scripts/x.sh)`\n```\n[neither](bench/README.md)\n```\n"
                      "[gone](tests/e2e/README.md) ![img](docs/arch.png)\n[ref]: examples/README.md\n"
                      '<a href="scripts/test.sh">x</a>\n'),
        "roles/health/README.md": "[up](../../docs/CONVENTIONS.md#paths) [out](../../../x.md)\n",
    }
    problems = tarball_check.broken_links(documents, names)
    assert [problem.split(" links ")[1].split(",")[0] for problem in problems] == [
        "tests/e2e/README.md", "docs/arch.png", "examples/README.md", "scripts/test.sh", "../../../x.md"]


def test_symlinks_out_of_the_tarball_are_found():
    inside, outside = tarfile.TarInfo("bindep.txt"), tarfile.TarInfo("requirements-ee.txt")
    inside.type = outside.type = tarfile.SYMTYPE
    inside.linkname, outside.linkname = "meta/bindep.txt", "../requirements-ee.txt"
    assert tarball_check.symlink_problems([inside, outside], ["meta/bindep.txt"]) == [
        "link requirements-ee.txt -> ../requirements-ee.txt points outside the tarball"]


def test_tarball_check_reads_a_real_archive(tmp_path):
    archive = tmp_path / "t.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for name in GOOD_LISTING:
            data = b"[missing](docs/NOPE.md)\n" if name == "README.md" else b"x\n"
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    assert tarball_check.tarball_problems(str(archive)) == [
        "README.md links docs/NOPE.md, which the tarball does not carry"]
