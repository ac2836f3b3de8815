# Copyright: (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWX configuration as code: the survey asks for role variables only, with values
their argument specs accept, and every awx.awx task uses documented options."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

REPO_ROOT = Path(__file__).resolve().parents[3]
SURVEY = json.loads((REPO_ROOT / "awx" / "survey.json").read_text(encoding="utf-8"))
SPEC_KEYS = ("type", "elements", "choices", "options")
# How AWX passes each survey answer type in extra_vars.
SURVEY_TO_SPEC_TYPES = {"text": {"str"}, "textarea": {"str"}, "password": {"str"},
                        "integer": {"int", "float"}, "float": {"float"},
                        "multiplechoice": {"str", "bool"}, "multiselect": {"list"}}


class _UnsafeLoader(yaml.SafeLoader):
    """Reads playbooks that use Ansible's !unsafe tag."""


_UnsafeLoader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))


def role_options() -> dict:
    options = {}
    for spec_file in sorted((REPO_ROOT / "roles").glob("*/meta/argument_specs.yml")):
        main = yaml.safe_load(spec_file.read_text(encoding="utf-8"))["argument_specs"]["main"]
        for name, option in (main.get("options") or {}).items():
            options[name] = (spec_file.parts[-3], option)
    return options


def answer(question: dict):
    """The survey default as AWX puts it into extra_vars."""
    default = question["default"]
    if question["type"] == "multiselect":
        return [line for line in str(default).splitlines() if line]
    return default


def _choices(question: dict) -> list:
    choices = question["choices"]
    return choices if isinstance(choices, list) else [line for line in choices.splitlines() if line]


@pytest.mark.parametrize("question", SURVEY["spec"], ids=lambda question: question["variable"])
def test_survey_variable_is_a_role_variable_its_spec_accepts(question):
    options = role_options()
    variable = question["variable"]
    assert variable in options, f"{variable} is not an option of any role's argument spec"
    role, option = options[variable]
    assert option.get("type", "str") in SURVEY_TO_SPEC_TYPES[question["type"]], (role, option.get("type"))
    spec = {variable: {key: option[key] for key in SPEC_KEYS if key in option}}
    for value in [answer(question)] + ([[choice] for choice in _choices(question)]
                                       if question["type"] == "multiselect" else
                                       _choices(question) if question["type"] == "multiplechoice" else []):
        result = ArgumentSpecValidator(spec).validate({variable: value})
        assert not result.error_messages, f"{role}: {variable}={value!r}: {result.error_messages}"


@pytest.mark.parametrize("question", SURVEY["spec"], ids=lambda question: question["variable"])
def test_survey_question_is_well_formed(question):
    assert {"question_name", "variable", "type", "required", "default"} <= set(question)
    if question["type"] in ("integer", "float"):
        assert question["min"] <= question["default"] <= question["max"]
    if question["type"] in ("multiplechoice", "multiselect"):
        assert set(answer(question) if question["type"] == "multiselect" else [question["default"]]) \
            <= set(_choices(question))


def test_survey_covers_the_rehearsal_inputs():
    variables = {question["variable"] for question in SURVEY["spec"]}
    assert len(variables) == len(SURVEY["spec"]), "a variable is asked twice"
    assert {"deploy_app_tag", "rollback_drills", "load_test_thresholds_p95_ms",
            "load_test_thresholds_failure_rate_pct", "report_fail_on_verdict"} <= variables


def _awx_tasks() -> list:
    plays = yaml.load((REPO_ROOT / "awx" / "configure_awx.yml").read_text(encoding="utf-8"), Loader=_UnsafeLoader)
    return [(module, task[module]) for play in plays for task in play["tasks"]
            for module in task if module.startswith("awx.awx.")]


def test_awx_tasks_use_documented_options_and_choices():
    tasks = _awx_tasks()
    modules = sorted({module for module, _args in tasks})
    ansible_doc = Path(sys.executable).with_name("ansible-doc")
    if not ansible_doc.exists():  # ansible-test units: the CLI is on PATH
        ansible_doc = Path(shutil.which("ansible-doc") or ansible_doc)
    docs = json.loads(subprocess.run([str(ansible_doc), "-j", *modules], capture_output=True, text=True,
                                     check=True, timeout=300).stdout)
    for module, args in tasks:
        documented = docs[module]["doc"]["options"]
        for key, value in args.items():
            assert key in documented, f"{module}: undocumented option {key}"
            choices = documented[key].get("choices")
            if choices and isinstance(value, str) and "{{" not in value:
                assert value in choices, f"{module}: {key}={value!r} not in {choices}"


def test_job_template_uses_the_survey_and_the_entry_playbook():
    templates = {args["name"]: args for module, args in _awx_tasks() if module == "awx.awx.job_template"}
    rehearsal = templates["Staging deployment rehearsal"]
    assert rehearsal["survey_enabled"] is True
    assert "survey.json" in (REPO_ROOT / "awx" / "configure_awx.yml").read_text(encoding="utf-8")
    assert (REPO_ROOT / rehearsal["playbook"]).is_file()
    assert (REPO_ROOT / templates["Staging rehearsal report"]["playbook"]).is_file()
    assert rehearsal["allow_simultaneous"] is False
