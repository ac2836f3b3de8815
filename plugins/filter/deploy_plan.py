# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The deploy role's decisions (see plugin_utils/deploy_plan.py): the state before the
deploy, the release plan and the image retention."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.footballpred.rehearsal.plugins.plugin_utils import deploy_plan as _plan


def deploy_stack_state(compose_ps, git, git_status, git_commit=""):
    """Filter wrapper of stack_state."""
    try:
        return _plan.stack_state(compose_ps, git, git_status, git_commit or "")
    except _plan.DeployPlanError as exc:
        raise AnsibleFilterError(f"deploy_stack_state: {exc}") from exc


def deploy_release_plan(probes, options):
    """Filter wrapper of release_plan."""
    try:
        return _plan.release_plan(probes, options)
    except (_plan.DeployPlanError, KeyError) as exc:
        raise AnsibleFilterError(f"deploy_release_plan: {exc}") from exc


def deploy_missing_image(plan, options):
    """Filter wrapper of missing_image."""
    return _plan.missing_image(plan, options)


def deploy_prune_plan(host_info, options, protected_ids=None):
    """Filter wrapper of prune_plan."""
    try:
        return _plan.prune_plan(host_info, options, protected_ids or ())
    except (KeyError, ValueError) as exc:
        raise AnsibleFilterError(f"deploy_prune_plan: {exc}") from exc


def deploy_migrations_changed(run):
    """Filter wrapper of migrations_changed."""
    try:
        return _plan.migrations_changed(run)
    except (_plan.DeployPlanError, TypeError) as exc:
        raise AnsibleFilterError(f"deploy_migrations_changed: {exc}") from exc


def deploy_app_healthy(health):
    """Filter wrapper of app_healthy."""
    return _plan.app_healthy(health)


def deploy_check_mode_preview(plan, compose_preview):
    """Filter wrapper of check_mode_preview."""
    return _plan.check_mode_preview(plan, compose_preview)


def deploy_rollback_point(plan, recorded_at):
    """Filter wrapper of rollback_point."""
    try:
        return _plan.rollback_point(plan, str(recorded_at))
    except KeyError as exc:
        raise AnsibleFilterError(f"deploy_rollback_point: the plan has no {exc}") from exc


class FilterModule:
    """The deploy role's plan."""

    def filters(self):
        return {"deploy_stack_state": deploy_stack_state, "deploy_release_plan": deploy_release_plan,
                "deploy_missing_image": deploy_missing_image, "deploy_prune_plan": deploy_prune_plan,
                "deploy_migrations_changed": deploy_migrations_changed, "deploy_app_healthy": deploy_app_healthy,
                "deploy_check_mode_preview": deploy_check_mode_preview, "deploy_rollback_point": deploy_rollback_point}
