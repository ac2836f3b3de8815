#!/usr/bin/python
# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: python_requirements
short_description: Check that the target's Python has the libraries the collection needs
version_added: 0.2.0
description:
  - Reads, with C(importlib.metadata), the installed version of every Python library the
    collection's modules (and the modules of community.docker and community.postgresql it
    uses) import on the target, and compares it with the minimum version the collection needs.
  - The minimum versions live in one place, the collection's module_utils
    C(python_requirements); C(meta/target-requirements.txt), which
    C(playbooks/prepare_target.yml) installs into a venv, is rendered from the same list.
  - Runs on any Python 3 with the standard library only, so it can judge a bare system
    interpreter. It imports none of the libraries it checks.
  - By default the task fails when a library is missing or too old, with a message naming
    each one, the version found and the version needed; with O(fail_on_missing=false) it
    only reports.
author:
  - Football Prediction Platform SRE (@footballpred)
options:
  groups:
    description:
      - Optional groups of requirements to check besides the ones every run needs.
      - C(load_test) adds Locust, needed when the load test runs on the target (the default).
    type: list
    elements: str
    choices: [load_test]
    default: [load_test]
  requirements:
    description:
      - Check these requirements instead of the collection's list.
      - Each item names the distribution (O(requirements[].name)) and its minimum version.
    type: list
    elements: dict
    suboptions:
      name:
        description: Distribution name as pip knows it, for example C(kafka-python).
        type: str
        required: true
      min_version:
        description: The lowest version that works.
        type: str
        required: true
      alternatives:
        description: Other distributions that provide the same import (C(psycopg2) for C(psycopg2-binary)).
        type: list
        elements: str
        default: []
  fail_on_missing:
    description:
      - Fail the task when a library is missing or older than needed.
      - With V(false) the same results are returned and RV(ok) tells.
    type: bool
    default: true
extends_documentation_fragment:
  - footballpred.rehearsal.attributes
attributes:
  check_mode:
    support: full
    details:
      - Only reads package metadata; runs the same in check mode.
  diff_mode:
    support: none
notes:
  - Set C(ansible_python_interpreter) to the interpreter you want judged, for example the
    venv made by C(playbooks/prepare_target.yml) (C(/opt/footballpred-rehearsal/venv/bin/python)).
"""

EXAMPLES = r"""
- name: Fail early when the target's Python lacks a library the modules need
  footballpred.rehearsal.python_requirements:

- name: Report only, without the load test's Locust
  footballpred.rehearsal.python_requirements:
    groups: []
    fail_on_missing: false
  register: target_python

- name: Show what is missing
  ansible.builtin.debug:
    msg: "{{ target_python.libraries | rejectattr('ok') | map(attribute='detail') | list }}"
"""

RETURN = r"""
ok:
  description: Every library checked is installed at the needed version or later.
  returned: always
  type: bool
  sample: false
python:
  description: The interpreter that was judged.
  returned: always
  type: dict
  contains:
    executable:
      description: Path of the interpreter (C(sys.executable)).
      type: str
      sample: /opt/footballpred-rehearsal/venv/bin/python
    version:
      description: Its version.
      type: str
      sample: 3.11.2
libraries:
  description: One entry per library checked, in the order of the requirements.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The distribution required.
      type: str
      sample: kafka-python
    distribution:
      description: The distribution found (one of the alternatives, or null when none is installed).
      type: str
      sample: kafka-python
    found:
      description: The installed version, null when the library is not installed.
      type: str
      sample: 2.0.2
    needed:
      description: The minimum version.
      type: str
      sample: 3.0.0
    ok:
      description: Installed at the needed version or later.
      type: bool
      sample: false
    detail:
      description: One line for a person.
      type: str
      sample: kafka-python 2.0.2 is older than the needed 3.0.0
  sample:
    - {name: kafka-python, distribution: kafka-python, found: 2.0.2, needed: 3.0.0, ok: false,
       detail: kafka-python 2.0.2 is older than the needed 3.0.0}
problems:
  description: The RV(libraries[].detail) of each library that is missing or too old.
  returned: always
  type: list
  elements: str
  sample: ["redis is not installed (needed >= 5.0.0)"]
pip_requirements:
  description: The requirements checked as pip specifiers (C(name>=min_version)).
  returned: always
  type: list
  elements: str
  sample: ["redis>=5.0.0", "kafka-python>=3.0.0"]
"""

import platform
import sys

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.footballpred.rehearsal.plugins.module_utils.python_requirements import (
    TARGET_REQUIREMENTS,
    judge,
    pip_specifiers,
    select,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            groups=dict(type="list", elements="str", choices=["load_test"], default=["load_test"]),
            requirements=dict(type="list", elements="dict", options=dict(
                name=dict(type="str", required=True),
                min_version=dict(type="str", required=True),
                alternatives=dict(type="list", elements="str", default=[]),
            )),
            fail_on_missing=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    if module.params["requirements"] is not None:
        requirements = module.params["requirements"]
    else:
        requirements = select(TARGET_REQUIREMENTS, module.params["groups"])

    libraries = judge(requirements)
    problems = [library["detail"] for library in libraries if not library["ok"]]
    result = dict(
        changed=False,
        ok=not problems,
        python=dict(executable=sys.executable, version=platform.python_version()),
        libraries=libraries,
        problems=problems,
        pip_requirements=pip_specifiers(requirements),
    )
    if problems and module.params["fail_on_missing"]:
        module.fail_json(
            msg=(f"The Python on this host ({sys.executable} {platform.python_version()}) lacks what the "
                 f"collection needs: {'; '.join(problems)}. Run playbooks/prepare_target.yml and set "
                 "ansible_python_interpreter to the venv it prints."),
            **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
