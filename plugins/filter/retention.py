# Copyright: (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""retention_plan: which drill leftovers to remove (see plugin_utils/retention.py)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.retention import (
    RetentionError,
    image_tags as _image_tags,
    retention_plan as _retention_plan,
)


def retention_plan(items, prefix, keep, protected_names=None, protected_ids=None):
    """Filter wrapper: the pure decision, its input errors as filter errors."""
    try:
        return _retention_plan(items, prefix, keep, protected_names or (), protected_ids or ())
    except RetentionError as exc:
        raise AnsibleFilterError(f"retention_plan: {exc}") from exc


def retention_image_tags(images, repository):
    """Filter wrapper: <repository>:<tag> references of docker_host_info images as {name, id}."""
    try:
        return _image_tags(images, repository)
    except RetentionError as exc:
        raise AnsibleFilterError(f"retention_image_tags: {exc}") from exc


class FilterModule:
    """Retention of the rollback drills' leftovers."""

    def filters(self):
        return {"retention_plan": retention_plan, "retention_image_tags": retention_image_tags}
