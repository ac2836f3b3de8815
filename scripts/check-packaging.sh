#!/usr/bin/env bash
# Check the collection as Galaxy and ansible-builder see it: build the tarball, import it
# with galaxy-importer, install it and introspect its execution environment metadata, and
# assert what the tarball carries (docs/PACKAGING.md says what ships and why).
#
#   scripts/check-packaging.sh               # all of it (build, importer, introspect, contents)
#   scripts/check-packaging.sh build         # build only; prints the tarball's path
#   scripts/check-packaging.sh importer|introspect|contents TARBALL
#
# galaxy-importer and ansible-builder run from their own venv (.venv-galaxy, pinned in
# requirements-galaxy.txt): the importer pins ansible-core/ansible-lint versions of its own
# that must not change .venv. The importer is configured for no container engine (no
# ansible-test) and the import fails on any ERROR line of its log. Nothing is written
# outside FP_PACKAGING_DIR (default: a temporary directory, removed when all checks pass),
# .venv-galaxy and pip's cache.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${FP_GALAXY_VENV:-$root/.venv-galaxy}
python=${FP_GALAXY_PYTHON:-python3}
work=${FP_PACKAGING_DIR:-}
own_work=0

log() { printf 'check-packaging: %s\n' "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }

work_dir() {
    if [[ -z $work ]]; then
        work=$(mktemp -d /tmp/fp-packaging.XXXXXX)
        own_work=1
    fi
    mkdir -p "$work"
}

tools_venv() {
    local stamp=$venv/.deps-stamp
    if [[ ! -f $stamp || $root/requirements-galaxy.txt -nt $stamp ]]; then
        log "creating $venv (requirements-galaxy.txt)"
        "$python" -m venv "$venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$root/requirements-galaxy.txt"
        touch "$stamp"
    fi
}

build() {
    work_dir
    rm -f "$work"/footballpred-rehearsal-*.tar.gz
    "$root/.venv/bin/ansible-galaxy" collection build --force --output-path "$work" "$root" >/dev/null
    local tarball
    tarball=$(find "$work" -maxdepth 1 -name 'footballpred-rehearsal-*.tar.gz' -print -quit)
    [[ -n $tarball ]] || die "ansible-galaxy collection build wrote no tarball"
    log "built $(basename "$tarball") ($(du -k "$tarball" | cut -f1) KiB)"
    printf '%s\n' "$tarball"
}

importer() {
    local tarball=$1 cfg log_file
    tools_venv
    work_dir
    cfg=$work/galaxy-importer.cfg
    log_file=$work/galaxy-importer.log
    # No container engine here: ansible-test (which the importer runs in a container or a
    # local image) stays off; everything else Galaxy checks stays on. flake8 is left to
    # ansible-test sanity (pep8), which knows the plugins' YAML doc files are not Python.
    cat > "$cfg" <<'EOF'
[galaxy-importer]
run_ansible_test = False
ansible_test_local_image = False
local_image_docker = False
check_required_tags = True
check_changelog = True
run_ansible_doc = True
run_ansible_lint = True
offline_ansible_lint = True
run_flake8 = False
EOF
    local rc=0
    (cd "$work" && PATH="$venv/bin:$PATH" GALAXY_IMPORTER_CONFIG=$cfg \
        "$venv/bin/python" -m galaxy_importer.main "$tarball") >"$log_file" 2>&1 || rc=$?
    local errors
    errors=$(grep -E '^(ERROR|CRITICAL)|Error when checking meta/execution-environment.yml' "$log_file" || true)
    if [[ $rc -ne 0 || -n $errors ]] || ! grep -q 'Importer processing completed successfully' "$log_file"; then
        cat "$log_file" >&2
        die "galaxy-importer $("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("galaxy-importer"))') rejected the tarball (exit $rc): ${errors:-no success line}"
    fi
    log "galaxy-importer: imported, $(grep -c '^WARNING' "$log_file" || true) warnings (log: $log_file)"
}

introspect() {
    local tarball=$1 dest out
    tools_venv
    work_dir
    dest=$work/collections
    rm -rf "$dest"
    # From $work, so no ansible.cfg of a checkout adds its own collections path.
    (cd "$work" && "$root/.venv/bin/ansible-galaxy" collection install --no-deps --force \
        -p "$dest" "$tarball" >"$work/install.txt" 2>&1) || { cat "$work/install.txt" >&2; die "ansible-galaxy collection install failed"; }
    out=$work/introspect.txt
    local rc=0
    "$venv/bin/ansible-builder" introspect --sanitize "$dest" \
        --write-pip "$work/introspect-pip.txt" --write-bindep "$work/introspect-bindep.txt" >"$out" 2>&1 || rc=$?
    ((rc == 0)) || { cat "$out" >&2; die "ansible-builder introspect exited $rc"; }
    # Every requirement the collection declares, and no other, reaches the EE.
    local file line missing=()
    for file in meta/requirements-ee.txt meta/bindep.txt; do
        while IFS= read -r line; do
            [[ -z $line || $line == \#* ]] && continue
            grep -qF -- "$line" "$out" || missing+=("$line")
        done < "$root/$file"
    done
    ((${#missing[@]} == 0)) || { cat "$out" >&2; die "introspect lacks: ${missing[*]}"; }
    grep -qE "^- 'kafka-python>=3" "$out" || die "introspect: kafka-python is not >=3"
    grep -q 'openssh-clients' "$out" || die "introspect: openssh-clients missing"
    if grep -qE 'rsync|ansible\.posix' "$out"; then die "introspect: unused rsync/ansible.posix listed"; fi
    # The EE definition itself is valid for ansible-builder (create needs no engine).
    "$venv/bin/ansible-builder" create --file "$root/meta/execution-environment.yml" \
        --context "$work/ee-context" --output-filename Containerfile >"$work/ee-create.txt" 2>&1 \
        || { cat "$work/ee-create.txt" >&2; die "ansible-builder create rejected meta/execution-environment.yml"; }
    log "ansible-builder introspect: $(grep -c "^- '" "$out") requirements (python and system), EE definition valid"
}

contents() {
    local tarball=$1
    "$root/.venv/bin/python" "$root/tests/packaging/tarball_check.py" "$tarball" \
        || die "tarball contents (see above)"
    log "tarball contents: ok"
}

stage=${1:-all}
case $stage in
    build) build ;;
    importer|introspect|contents)
        [[ $# -eq 2 && -f $2 ]] || { echo "usage: $0 $stage TARBALL" >&2; exit 2; }
        "$stage" "$(cd "$(dirname "$2")" && pwd)/$(basename "$2")" ;;
    all)
        work_dir
        tarball=$(build)
        contents "$tarball"
        importer "$tarball"
        introspect "$tarball"
        log "all packaging checks passed"
        # A temporary work dir is kept only when a check failed (its logs are named above).
        if ((own_work)); then rm -rf "$work"; fi ;;
    *) echo "usage: $0 [all|build|importer TARBALL|introspect TARBALL|contents TARBALL]" >&2; exit 2 ;;
esac
