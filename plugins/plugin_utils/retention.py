# Copyright: (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which leftovers of the rollback drills, and which old reports, to remove: pure,
unit-tested decisions (``report_retention_plan`` for the report role's files, below).

The drills leave two kinds of leftovers, each named <prefix><stamp>:

- databases ``<db>_replaced_<YYYYmmdd_HHMMSS>`` (the live database the database drill
  swapped out, kept for forensics);
- app image tags ``staging-backup-<YYYYmmdd-HHMMSS>`` (the image that ran before the
  container drill).

``retention_plan`` keeps the ``keep`` newest (by the stamp in the name, never by the
order the engine lists them in) and proposes the others for removal, except what is
protected: a protected name is never removed, and an image that is in use or a rollback
target (a protected id) always keeps at least one tag - removing a tag whose image has
another tag only untags it, so such a tag may go. Anything whose name does not end in a
stamp is left alone (not ours to judge).
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


def _keep_count(keep) -> int:
    """How many to keep, as an integer >= 0 (RetentionError otherwise: a boolean is no count)."""
    if isinstance(keep, bool):
        raise RetentionError("keep must be an integer >= 0, not a boolean")
    try:
        count = int(keep)
    except (TypeError, ValueError) as exc:
        raise RetentionError(f"keep must be an integer >= 0, got {keep!r}") from exc
    if count < 0:
        raise RetentionError(f"keep must be an integer >= 0, got {count}")
    return count


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
    ``protected_names``: never removed, not counted towards ``keep``. ``protected_ids``:
    images in use or rollback targets; each keeps at least one of its tags (any tag in
    ``items``, e.g. ``staging-latest``): when every one of its tags would go, its newest
    candidate stays, as protected.

    Returns ``{'remove': [names, oldest first], 'keep': [names, newest first],
    'protected': [names], 'ignored': [names], 'reasons': {name: why}}``.
    """
    keep = _keep_count(keep)
    if not isinstance(prefix, str) or not prefix:
        raise RetentionError("prefix must be a non-empty string")
    if isinstance(items, (str, bytes)) or not isinstance(items, Iterable):
        raise RetentionError("items must be a list")
    names_protected = {str(name) for name in protected_names or () if name}
    ids_protected = {str(value) for value in protected_ids or () if value}

    candidates, protected, ignored, reasons = [], [], [], {}
    ids = {}
    for raw in items:
        name, image_id = _item(raw)
        if name in ids:
            continue
        ids[name] = image_id
        stamp = parse_stamp(name[len(prefix):]) if name.startswith(prefix) else None
        if stamp is None:
            ignored.append(name)
            reasons[name] = f"not named {prefix}<stamp>: left alone"
        elif name in names_protected:
            protected.append(name)
            reasons[name] = "in use or a rollback target: never removed"
        else:
            candidates.append((stamp, name))
    candidates.sort(reverse=True)  # newest first; equal stamps by name, deterministic
    kept = [name for _stamp, name in candidates[:keep]]
    removed = [name for _stamp, name in candidates[keep:]]  # newest first here
    for position, name in enumerate(kept, start=1):
        reasons[name] = f"newest {position} of {keep} kept"
    for image_id in sorted(ids_protected):
        tags = [name for name, tag_id in ids.items() if tag_id == image_id]
        if tags and all(name in removed for name in tags):
            last = next(name for name in removed if name in tags)  # the newest of them
            removed.remove(last)
            protected.append(last)
            reasons[last] = f"last tag of image {image_id[:19]}, which is in use or a rollback target: kept"
    removed.reverse()  # oldest first
    for name in removed:
        reasons[name] = f"older than the {keep} newest: removed" + (
            f" (image {ids[name][:19]} keeps another tag)" if ids[name] in ids_protected else "")
    return {"remove": removed, "keep": kept, "protected": protected, "ignored": ignored, "reasons": reasons}


# staging_rehearsal_<YYYYmmdd-HHMMSS>[_<host>].<md|html|json>: the files report_files names.
REPORT_FILE_RE = re.compile(r"^(?P<run>staging_rehearsal_\d{8}-\d{6})(?:_[A-Za-z0-9._-]+)?\.(?:md|html|json)$")
REPORT_HISTORY_FILE = "history.jsonl"


def report_retention_plan(names: Iterable, keep, current: str = "") -> dict:
    """Which report files of the report directory to remove: those of the runs older than
    the ``keep`` newest (by the stamp in the name), never the run being written
    (``current``, a file name of it), never the run history (``history.jsonl``), never a
    file the report role did not name (a custom basename, anything else). ``keep`` 0
    keeps every report.

    Returns ``{'remove': [file names, oldest first], 'keep': [run names, newest first, then
    the run being written when it is older], 'ignored': [file names], 'reasons': {name: why}}``.
    """
    keep = _keep_count(keep)
    if isinstance(names, (str, bytes)) or not isinstance(names, Iterable):
        raise RetentionError("names must be a list of file names")
    files_of_run: dict[str, list[str]] = {}
    ignored, reasons = [], {}
    for name in dict.fromkeys(str(name).rsplit("/", 1)[-1] for name in names):
        match = REPORT_FILE_RE.match(name)
        if match and parse_stamp(match.group("run")[len("staging_rehearsal_"):]):
            files_of_run.setdefault(match.group("run"), []).append(name)
            continue
        ignored.append(name)
        reasons[name] = ("the run history: never removed" if name == REPORT_HISTORY_FILE
                         else "not named staging_rehearsal_<stamp>: left alone")
    newest_first = sorted(files_of_run, reverse=True)  # the stamp's format sorts by time
    kept = newest_first[:keep] if keep else newest_first
    reasons.update({run: f"newest {position} of {keep} kept" if keep else "keep 0: every report kept"
                    for position, run in enumerate(kept, start=1)})
    current_match = REPORT_FILE_RE.match(str(current or "").rsplit("/", 1)[-1])
    if current_match and current_match.group("run") in files_of_run and current_match.group("run") not in kept:
        kept.append(current_match.group("run"))
        reasons[current_match.group("run")] = "the run being written: never removed"
    removed_runs = [run for run in reversed(newest_first) if run not in kept]
    reasons.update({run: f"older than the {keep} newest: removed" for run in removed_runs})
    return {"remove": [name for run in removed_runs for name in sorted(files_of_run[run])], "keep": kept,
            "ignored": ignored, "reasons": reasons}


def image_tags(images: Iterable, repository: str) -> list[dict]:
    """``[{name: tag, id: image id}]`` of every ``<repository>:<tag>`` in ``images``, the
    image list of ``community.docker.docker_host_info`` (``Id``, ``RepoTags``)."""
    if isinstance(images, (str, bytes)) or not isinstance(images, Iterable):
        raise RetentionError("images must be a list")
    prefix = f"{repository}:"
    found = []
    for image in images:
        if not isinstance(image, Mapping):
            raise RetentionError(f"an image must be a mapping with Id and RepoTags, got {image!r}")
        for ref in image.get("RepoTags") or ():
            if isinstance(ref, str) and ref.startswith(prefix) and len(ref) > len(prefix):
                found.append({"name": ref[len(prefix):], "id": str(image.get("Id") or "")})
    return found


def retention_plans(databases: Iterable, docker: Mapping, options: Mapping) -> dict:
    """Both plans of the rollback role's retention (roles/rollback/tasks/run_retention.yml):
    ``{databases, backup_tags}``.

    ``databases``: the rows (``{datname}``) or names of ``pg_database``; ``docker``: the
    ``docker_host_info`` result (``images`` of the app repository, every container).
    ``options``: ``db_name`` (the live database, never dropped), ``keep_databases``,
    ``app_image``, ``tag_prefix``, ``keep_tags``, ``target_tags`` (current, previous and
    last-good tags: never removed, their images protected) and ``point_image_id`` (the deploy's
    rollback point, protected; '' without one). Images any container uses are protected too.
    """
    if not isinstance(docker, Mapping) or not isinstance(options, Mapping):
        raise RetentionError("docker and options must be mappings")
    names = [row["datname"] if isinstance(row, Mapping) else row for row in databases or []]
    tags = image_tags(docker.get("images") or [], options["app_image"])
    target_tags = [tag for tag in options.get("target_tags") or [] if tag]
    protected_ids = [container.get("ImageID") for container in docker.get("containers") or []
                     if isinstance(container, Mapping)]
    protected_ids += [tag["id"] for tag in tags if tag["name"] in target_tags]
    if options.get("point_image_id"):
        protected_ids.append(options["point_image_id"])
    return {
        "databases": retention_plan(names, f"{options['db_name']}_replaced_", options["keep_databases"],
                                    [options["db_name"]]),
        "backup_tags": retention_plan(tags, options["tag_prefix"], options["keep_tags"], target_tags,
                                      list(dict.fromkeys(protected_ids))),
    }
