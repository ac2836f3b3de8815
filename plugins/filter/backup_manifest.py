# Copyright: (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""backup_manifest, backup_latest: the manifest the backup role writes beside its dump and the
backup it publishes (judges/backup.py)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.judges import backup


def backup_manifest(probes, record, options):
    """Filter wrapper of judges.backup.manifest()."""
    if not isinstance(probes, dict) or not isinstance(options, dict):
        raise AnsibleFilterError("backup_manifest: the probes and the options must be mappings")
    return backup.manifest(probes, record if isinstance(record, dict) else {}, options)


def backup_latest(probes, written):
    """Filter wrapper of judges.backup.published()."""
    if not isinstance(probes, dict) or not isinstance(written, dict):
        raise AnsibleFilterError("backup_latest: the probes and the manifest must be mappings")
    return backup.published(probes, written)


class FilterModule:
    """The backup's manifest."""

    def filters(self):
        return {"backup_manifest": backup_manifest, "backup_latest": backup_latest}
