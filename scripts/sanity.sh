#!/usr/bin/env bash
# Run `ansible-test sanity` on this collection.
#
# ansible-test insists on the path .../ansible_collections/<namespace>/<name>, and the
# repository root is the collection root, so the collection's files (those git would
# commit, without the collections/ self-link and playbooks/collections) are copied into such a path first.
#
#   scripts/sanity.sh                                           # every sanity test
#   scripts/sanity.sh --test validate-modules                   # one test
#   scripts/sanity.sh --test pep8 plugins/modules/db_check.py   # one test, some files
#   scripts/sanity.sh units                                     # ansible-test units (--venv)
#   scripts/sanity.sh units tests/unit/plugins/filter           # some unit tests
#
# `units` runs `ansible-test units --venv --requirements` on the same layout, with the
# example project copied too (role tests render its templates) and the collections of
# tests/unit/requirements.yml beside the collection. Those are copied from the ones the
# project's .venv holds (the ansible package), checked against the versions asked for, so
# no Galaxy server is needed.
#
# ansible-test runs in its own venv ($FP_SANITY_DIR/venv) with the project's ansible-core
# and installs the linters it pins there (--requirements), so the project's .venv is
# never changed. Tests that need a container runtime are not run.
#
# Environment: FP_SANITY_DIR (default /tmp/sanity), FP_SANITY_PYTHON (default python3.11).
set -euo pipefail

mode=sanity
if [[ ${1:-} == units ]]; then mode=units; shift; fi
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=${FP_SANITY_DIR:-/tmp/sanity}
python=${FP_SANITY_PYTHON:-python3.11}
dest="$work/ansible_collections/footballpred/rehearsal"
venv="$work/venv"
pip_cache="$HOME/.ansible/test/cache"

case $work in
    /tmp/*|"$HOME"/*) ;;
    *) echo "sanity.sh: refusing to work in $work (set FP_SANITY_DIR under /tmp or \$HOME)" >&2; exit 2 ;;
esac

ansible_core_requirement() {
    local version
    if [[ -x $root/.venv/bin/python ]] \
        && version=$("$root/.venv/bin/python" -c 'from ansible.release import __version__; print(__version__)' 2>/dev/null); then
        echo "ansible-core==$version"
    else
        echo "ansible-core>=2.19,<2.20"
    fi
}

make_venv() {
    local requirement
    requirement=$(ansible_core_requirement)
    if [[ ! -x $venv/bin/ansible-test ]] || ! "$venv/bin/python" -m pip show -q ansible-core >/dev/null 2>&1 \
        || [[ $requirement == ansible-core==* && $("$venv/bin/python" -m pip show ansible-core | sed -n 's/^Version: //p') != "${requirement#ansible-core==}" ]]; then
        "$python" -m venv "$venv"
        "$venv/bin/python" -m pip install -q --disable-pip-version-check "$requirement"
    fi
}

# ansible-test bootstraps pip in the venvs it creates with a get-pip script from its own
# CI file host, which this network cannot reach. Stand in for that script with pip's wheel
# from the package index, driven the way get-pip drives it.
make_pip_bootstrap() {
    local pip_version shim
    pip_version=$("$venv/bin/python" - <<'EOF'
import pathlib
import re

import ansible_test

source = pathlib.Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py"
print(re.search(r"pip='([0-9.]+)'", source.read_text()).group(1))
EOF
)
    shim="$pip_cache/get_pip_${pip_version//./_}.py"
    [[ -f $shim ]] && return
    mkdir -p "$pip_cache"
    "$venv/bin/python" -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: \
        -d "$pip_cache" "pip==$pip_version"
    cat > "$shim.tmp" <<EOF
# Written by footballpred.rehearsal scripts/sanity.sh: get-pip stand-in using pip's own wheel.
import os
import runpy
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "pip-$pip_version-py3-none-any.whl"))
args = sys.argv[1:]
extras = [name for name, flag in (("setuptools", "--no-setuptools"), ("wheel", "--no-wheel")) if flag not in args]
args = [arg for arg in args if arg not in ("--no-setuptools", "--no-wheel")] + extras
sys.argv = ["pip", "install", "--upgrade", "--force-reinstall"] + args
runpy.run_module("pip", run_name="__main__", alter_sys=True)
EOF
    mv "$shim.tmp" "$shim"
}

# The files git would commit (tracked, or new and not ignored): what a fresh clone has,
# without run output such as rehearsal_results/. Without git, everything but known clutter.
collection_files() {
    if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        local file
        git -C "$root" ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' file; do
            [[ $file == collections/* || $file == playbooks/collections ]] && continue
            # Separate projects that the collection does not ship (galaxy.yml build_ignore):
            # the example app has its own tests and linters, the benchmarks are scripts.
            [[ $file == bench/* ]] && continue
            [[ $file == examples/* && $mode == sanity ]] && continue
            [[ -e $root/$file || -L $root/$file ]] && printf '%s\0' "$file"
        done
    else
        (cd "$root" && find . \( -path ./.venv -o -path ./.git -o -path ./collections -o -path ./playbooks/collections -o -path ./tests/output \
            -o -path ./rehearsal_results -o -path ./examples -o -path ./bench -o -name .wheelhouse -o -name __pycache__ -o -name .pytest_cache \
            -o -name .ansible \) -prune -o \( -type f -o -type l \) -print0)
    fi
}

copy_tree() {
    rm -rf "$dest"
    mkdir -p "$dest"
    collection_files | tar -C "$root" --null -T - -cf - | tar -C "$dest" -xf -
}

# The collections tests/unit/requirements.yml names, from the project's .venv, next to
# the collection (ansible-test puts $work on the collections path).
unit_collections() {
    rm -rf "$work/ansible_collections/community" "$work/ansible_collections/ansible"
    "$root/.venv/bin/python" - "$root/tests/unit/requirements.yml" "$work/ansible_collections" <<'EOF'
import json
import shutil
import sys
from pathlib import Path

import ansible_collections
import yaml
from ansible.galaxy.dependency_resolution.versioning import meets_requirements

requirements, dest = yaml.safe_load(Path(sys.argv[1]).read_text())["collections"], Path(sys.argv[2])
sources = [Path(p) for p in ansible_collections.__path__]
for entry in requirements:
    namespace, name = entry["name"].split(".")
    found = next((s / namespace / name for s in sources if (s / namespace / name / "MANIFEST.json").is_file()), None)
    if found is None:
        sys.exit(f"sanity.sh: {entry['name']} is not installed in .venv (make deps)")
    version = json.loads((found / "MANIFEST.json").read_text())["collection_info"]["version"]
    if not meets_requirements(version, entry.get("version", "*")):
        sys.exit(f"sanity.sh: {entry['name']} {version} in .venv does not satisfy {entry['version']}")
    shutil.copytree(found, dest / namespace / name, symlinks=True)
    print(f"sanity.sh: {entry['name']} {version} (wanted {entry.get('version', '*')})", file=sys.stderr)
EOF
}

make_venv
make_pip_bootstrap
copy_tree
python_version=$("$venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
if [[ $mode == units ]]; then
    unit_collections
    cd "$dest"
    exec "$venv/bin/ansible-test" units --venv --requirements --python "$python_version" --color no "$@"
fi
cd "$dest"
exec "$venv/bin/ansible-test" sanity --requirements --python "$python_version" --color no "$@"
