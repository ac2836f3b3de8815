# Copyright: (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which leftovers of the rollback drills to remove: a pure, unit-tested decision.

The drills leave two kinds of leftovers, each named <prefix><stamp>:

- databases ``<db>_replaced_<YYYYmmdd_HHMMSS>`` (the live database the database drill
  swapped out, kept for forensics);
- app image tags ``staging-backup-<YYYYmmdd-HHMMSS>`` (the image that ran before the
  container drill).

``retention_plan`` keeps the ``keep`` newest (by the stamp in the name, never by the
order the engine lists them in) and proposes the others for removal, except what is
protected: a name or an image id in use or that a rollback would go back to. Anything
whose name does not end in a stamp is left alone (not ours to judge).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime

# 20261202_204500 (database drill) or 20261202-204500 (image tag): rollback_stamp, with
# '_' replaced by '-' in tags.
STAMP_RE = re.compile(r"^(\d{8})[_-](\d{6})$")


class RetentionError(ValueError):
    """The input of retention_plan is not what the rollback role lists."""


def parse_stamp(suffix: str) -> datetime | None:
    """The time of a ``YYYYmmdd_HHMMSS`` / ``YYYYmmdd-HHMMSS`` suffix, or None."""
    match = STAMP_RE.match(suffix)
    if not match:
        return None
    try:
        return datetime.strptime(match.group(1) + match.group(2), "%Y%m%d%H%M%S")
    except ValueError:
        return None


def _item(raw) -> tuple[str, str]:
    if isinstance(raw, str):
        return raw, ""
    if isinstance(raw, Mapping) and isinstance(raw.get("name"), str):
        return raw["name"], str(raw.get("id") or "")
    raise RetentionError(f"expected a name or a mapping with 'name' (and 'id'), got {raw!r}")


def retention_plan(items: Iterable, prefix: str, keep: int,
                   protected_names: Iterable[str] = (), protected_ids: Iterable[str] = ()) -> dict:
    """Split leftovers into what to keep and what to remove.

    ``items``: names, or mappings ``{name, id}`` (an image tag and its image id).
    ``prefix``: e.g. ``staging_replaced_`` or ``staging-backup-``; only ``<prefix><stamp>``
    names are candidates. ``keep``: how many of the newest candidates to keep (>= 0).
    ``protected_names`` / ``protected_ids``: never removed (in use, or a rollback target);
    they do not count towards ``keep``.

    Returns ``{'remove': [names, oldest first], 'keep': [names, newest first],
    'protected': [names], 'ignored': [names], 'reasons': {name: why}}``.
    """
    if isinstance(keep, bool):
        raise RetentionError("keep must be an integer >= 0, not a boolean")
    try:
        keep = int(keep)
    except (TypeError, ValueError) as exc:
        raise RetentionError(f"keep must be an integer >= 0, got {keep!r}") from exc
    if keep < 0:
        raise RetentionError(f"keep must be an integer >= 0, got {keep}")
    if not isinstance(prefix, str) or not prefix:
        raise RetentionError("prefix must be a non-empty string")
    if isinstance(items, (str, bytes)) or not isinstance(items, Iterable):
        raise RetentionError("items must be a list")
    names_protected = {str(name) for name in protected_names or () if name}
    ids_protected = {str(value) for value in protected_ids or () if value}

    candidates, protected, ignored, reasons = [], [], [], {}
    seen = set()
    for raw in items:
        name, image_id = _item(raw)
        if name in seen:
            continue
        seen.add(name)
        stamp = parse_stamp(name[len(prefix):]) if name.startswith(prefix) else None
        if stamp is None:
            ignored.append(name)
            reasons[name] = f"not named {prefix}<YYYYmmdd_HHMMSS>: left alone"
        elif name in names_protected:
            protected.append(name)
            reasons[name] = "in use or a rollback target: never removed"
        elif image_id and image_id in ids_protected:
            protected.append(name)
            reasons[name] = f"image {image_id[:19]} is in use or a rollback target: never removed"
        else:
            candidates.append((stamp, name))
    candidates.sort(reverse=True)  # newest first; equal stamps by name, deterministic
    kept = [name for _stamp, name in candidates[:keep]]
    removed = [name for _stamp, name in reversed(candidates[keep:])]
    for position, name in enumerate(kept, start=1):
        reasons[name] = f"newest {position} of {keep} kept"
    for name in removed:
        reasons[name] = f"older than the {keep} newest: removed"
    return {"remove": removed, "keep": kept, "protected": protected, "ignored": ignored, "reasons": reasons}
