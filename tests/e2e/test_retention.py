# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Retention of the rollback drills' leftovers, against the e2e stack.

Five drills' worth of leftovers are made (five <db>_replaced_<time> databases, five
staging-backup-<time> tags: the oldest on the running image, as the container drill tags
it, the others on staging-previous's), then the rollback role's retention (tasks_from
run_retention, what tasks/main.yml runs after the drills) is run: first with --check, which
must remove nothing and record what it would remove (phase rollback_retention, judged by
judges/rollback_retention.py; read from the recorded checks), then for real, after which
exactly the defaults' 2 newest databases and 3 newest tags remain; the live database, the
running container, staging-latest and staging-previous (and so their images) are untouched. That an image in use keeps its last
tag is unit-tested (tests/unit/plugins/plugin_utils/test_retention.py).
"""

from __future__ import annotations

import json

import pytest

from harness import APP_IMAGE, DB_NAME, Expect
from support.playbook import CONNECTION_PLAY_KEYS
from test_check_mode import database_names

pytestmark = pytest.mark.fast

STAMPS = ["20260101_010000", "20260102_010000", "20260103_010000", "20260104_010000", "20260105_010000"]
PLAYBOOK = """---
- name: Retention of the rollback drills' leftovers (e2e)
  hosts: staging
  gather_facts: false
""" + CONNECTION_PLAY_KEYS + """  tasks:
    - name: Apply the rollback role's retention
      ansible.builtin.include_role:
        name: footballpred.rehearsal.rollback
        tasks_from: run_retention

    - name: Keep the phase the retention recorded
      ansible.builtin.copy:
        content: "{{ ansible_facts.rehearsal_results.phases.rollback_retention | to_nice_json }}"
        dest: "{{ retention_phase_file }}"
        mode: "0600"
      # Also under --check: the test reads what the retention would do.
      check_mode: false
"""


def _sql(stack, statement: str) -> None:
    import psycopg2  # pylint: disable=import-outside-toplevel

    from harness import DB_USER, PORTS  # pylint: disable=import-outside-toplevel
    connection = psycopg2.connect(host="127.0.0.1", port=PORTS["db"], dbname="postgres", user=DB_USER,
                                  password=stack.db_password, connect_timeout=5)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement)
    finally:
        connection.close()


def _recorded(path) -> tuple[str, dict]:
    """The status and the checks (by name) of phase rollback_retention as the run recorded it."""
    try:
        phase = json.loads(path.read_text())
    except (OSError, ValueError):
        return "absent", {}
    return phase.get("status", "absent"), {check["name"]: check for check in phase.get("checks", [])}


def test_retention_keeps_the_newest_and_never_what_is_in_use(stack):
    replaced = [f"{DB_NAME}_replaced_{stamp}" for stamp in STAMPS]
    tags = [f"staging-backup-{stamp.replace('_', '-')}" for stamp in STAMPS]
    previous_id = stack.image_id(f"{APP_IMAGE}:staging-previous")
    running_id = stack.containers()["app"]["image"]
    playbook = stack.work / "retention.yml"
    playbook.write_text(PLAYBOOK)
    # A full session's drills leave real leftovers (today's stamps, newer than these).
    all_replaced = sorted({name for name in database_names(stack) if name.startswith(f"{DB_NAME}_replaced_")}
                          | set(replaced))
    all_tags = sorted({tag for tag in stack.image_tags() if tag.startswith("staging-backup-")} | set(tags))
    try:
        for name in replaced:
            _sql(stack, f'CREATE DATABASE "{name}"')
        # The oldest tag is on the running image (which keeps staging-latest), the others on
        # staging-previous's image.
        stack.docker("tag", running_id, f"{APP_IMAGE}:{tags[0]}")
        for tag in tags[1:]:
            stack.docker("tag", previous_id, f"{APP_IMAGE}:{tag}")
        before = stack.snapshot()

        check = stack.rehearse("retention-check-mode", playbook=str(playbook), extra_args=["--check"], timeout=300,
                               extra_vars={"retention_phase_file": str(stack.work / "retention-check-mode.json")})
        after_check = stack.snapshot()
        dbs_after_check = database_names(stack)
        run = stack.rehearse("retention", playbook=str(playbook), timeout=300,
                             extra_vars={"retention_phase_file": str(stack.work / "retention.json")})
        after = stack.snapshot()
        dbs_after = database_names(stack)
    finally:
        for name in replaced:
            _sql(stack, f'DROP DATABASE IF EXISTS "{name}"')
        for tag in tags:
            stack.docker("image", "rm", f"{APP_IMAGE}:{tag}", check=False)

    expect = Expect("retention")
    expect.equal(check.returncode, 0, "retention --check exit code")
    expect.equal([name for name in replaced if name in dbs_after_check], replaced, "--check dropped no database")
    expect.equal(after_check["tags"], before["tags"], "--check removed no tag")
    status, checks = _recorded(stack.work / "retention-check-mode.json")
    expect.equal(status, "skipped", "--check records phase rollback_retention as skipped")
    databases = checks.get("retention: replaced databases", {})
    backup_tags = checks.get("retention: drill backup tags", {})
    expect.equal(databases.get("value"), f"would remove {len(all_replaced) - 2}, kept 2",
                 f"--check says it would remove {len(all_replaced) - 2} databases, keep 2")
    expect.equal(backup_tags.get("value"), f"would remove {len(all_tags) - 3}, kept 3, protected 0",
                 f"--check says it would remove {len(all_tags) - 3} tags and keep 3")

    expect.equal(run.returncode, 0, "retention exit code")
    status, checks = _recorded(stack.work / "retention.json")
    expect.equal(status, "passed", "phase rollback_retention passed")
    expect.equal(checks.get("retention: replaced databases", {}).get("value"),
                 f"removed {len(all_replaced) - 2}, kept 2", "the retention says it removed the older databases")
    expect.equal(checks.get("retention: drill backup tags", {}).get("value"),
                 f"removed {len(all_tags) - 3}, kept 3, protected 0", "the retention says it removed the older tags")
    expect.equal(sorted(name for name in dbs_after if name.startswith(f"{DB_NAME}_replaced_")), all_replaced[-2:],
                 "the 2 newest replaced databases remain (rollback_keep_replaced_databases)")
    expect.that(DB_NAME in dbs_after, "the live database is there", str(dbs_after))
    kept_tags = sorted(tag for tag in after["tags"] if tag.startswith("staging-backup-"))
    expect.equal(kept_tags, all_tags[-3:], "the 3 newest backup tags remain (rollback_keep_backup_tags)")
    for tag in ("staging-latest", "staging-previous"):
        expect.equal(after["tags"].get(tag), before["tags"].get(tag), f"{tag} untouched")
    expect.equal(after["containers"], before["containers"], "containers unchanged")
    expect.equal(after["fingerprint"], before["fingerprint"], "live data unchanged")
    expect.check(check, run)
