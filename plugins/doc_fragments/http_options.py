# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # Options of the modules that talk HTTP.
    DOCUMENTATION = r"""
options:
  timeout:
    description:
      - Seconds to wait for each HTTP response.
    type: float
    default: 10.0
  validate_certs:
    description:
      - Verify the server's TLS certificate for C(https://) URLs.
    type: bool
    default: true
  ca_path:
    description:
      - CA bundle used to verify the server's TLS certificate.
    type: path
notes:
  - Requests honour the usual proxy environment variables (E(https_proxy), E(no_proxy)).
"""
