# Copyright: (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""answered_prediction_ids: the predictions the functional role looks up (judges/functional.py)."""

from __future__ import annotations

from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.judges import functional


def answered_prediction_ids(single, more):
    """Filter wrapper of judges.functional.answered_prediction_ids()."""
    return functional.answered_prediction_ids(single, more)


class FilterModule:
    """The functional phase's predictions."""

    def filters(self):
        return {"answered_prediction_ids": answered_prediction_ids}
