# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Faults in the release itself: an app image whose /health fails, a failing migration.

Each faulty release is an image derived from the good one (release 2,
footballpred-e2e/app:staging-latest) and deployed by the rehearsal with
deploy_build=false and deploy_app_tag=<its tag>. Expected: the deploy phase fails at the
right gate, the automatic rollback brings back the last good version (the one /health
reported before the run, on the image that ran before) and no data is lost (database
fingerprint, computed here with psycopg2, equal before and after).
"""

from __future__ import annotations

import pytest

from harness import APP_IMAGE, Expect

# The compose file passes FAULT_HEALTH_FAIL=${FAULT_HEALTH_FAIL:-0} to the app explicitly,
# and a compose `environment:` entry beats an image's ENV: `ENV FAULT_HEALTH_FAIL=1` alone
# would be overridden by "0". The derived image therefore sets it on its command line too.
HEALTH_FAIL_DOCKERFILE = """\
FROM {image}:staging-latest
ENV FAULT_HEALTH_FAIL=1 APP_VERSION={version}
LABEL org.opencontainers.image.version="{version}"
CMD ["env", "FAULT_HEALTH_FAIL=1", "football-api"]
"""

# A realistic broken migration: a data fix that commits (autocommit_block commits the
# migration's transaction before running its statement outside one, as CREATE INDEX
# CONCURRENTLY requires), then a statement that fails. The data change survives the
# failure, so only a restore of the pre-deploy backup gets the data back.
BROKEN_MIGRATION = '''\
"""E2E fault: rewrite the match scores, then fail on an index over a missing column."""

from alembic import op

revision = "0002_e2e_broken"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("UPDATE matches SET home_goals = home_goals + 100")
    with op.get_context().autocommit_block():
        op.execute("CREATE INDEX CONCURRENTLY ix_e2e_broken ON matches (no_such_column)")


def downgrade() -> None:
    pass
'''

BROKEN_MIGRATION_DOCKERFILE = """\
FROM {image}:staging-latest
COPY 0002_e2e_broken.py /app/migrations/versions/0002_e2e_broken.py
ENV APP_VERSION={version}
LABEL org.opencontainers.image.version="{version}"
"""


@pytest.mark.fast
def test_app_image_with_failing_health_is_rolled_back(stack):
    tag = "e2e-fault-health"
    version = f"{stack.good_version}.fault-health"
    stack.build_image(tag, HEALTH_FAIL_DOCKERFILE.format(image=APP_IMAGE, version=version))
    before = stack.snapshot()
    run = stack.rehearse("fault-app-health", extra_vars={"deploy_build": False, "deploy_app_tag": tag})
    after = stack.snapshot()

    expect = Expect("app image whose /health fails")
    check = stack.expect_detected(expect, run, "deploy", r"^app_health$")
    value = str((check or {}).get("value", ""))
    expect.that("503" in value and "unhealthy" in value, "the gate saw the injected 503 unhealthy", value)
    stack.expect_rolled_back(expect, run, before, after)
    expect.check(run)


def test_failing_migration_is_rolled_back(stack):
    tag = "e2e-fault-migration"
    version = f"{stack.good_version}.fault-migration"
    stack.build_image(tag, BROKEN_MIGRATION_DOCKERFILE.format(image=APP_IMAGE, version=version),
                      files={"0002_e2e_broken.py": BROKEN_MIGRATION})
    before = stack.snapshot()
    run = stack.rehearse("fault-migration", extra_vars={"deploy_build": False, "deploy_app_tag": tag})
    after = stack.snapshot()

    expect = Expect("failing migration")
    check = stack.expect_detected(expect, run, "deploy", r"^migrations$")
    detail = str((check or {}).get("detail", ""))
    expect.that("no_such_column" in detail or "exit" in detail, "the check shows the migration's error", detail[:300])
    restore = [c for c in run.checks("rollback") if "database vs the pre-deploy backup" in str(c.get("name"))]
    expect.that(bool(restore) and str(restore[0].get("value", "")).startswith("changed"),
                "the rollback found the data changed by the migration and restored the backup",
                str(restore[:1]))
    stack.expect_rolled_back(expect, run, before, after)
    expect.check(run)
