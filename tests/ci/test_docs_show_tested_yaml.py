"""The README and docs/ci.md show only YAML that the tests run: slices of the real files."""

from __future__ import annotations

import re

import pytest
import yaml

from tests.ci.conftest import WORKFLOW
from tests.ci.runner import REPO

TESTED = {
    "workflow": WORKFLOW.read_text(),
    "action": (REPO / "action.yml").read_text(),
}


def yaml_blocks(text: str) -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", text, re.DOTALL)


def section(text: str, title: str) -> str:
    start = text.index(title)
    following = text.find("\n## ", start + len(title))
    return text[start : following if following != -1 else len(text)]


def is_slice(block: str) -> bool:
    return any(block in source for source in TESTED.values())


def test_the_readme_ci_section_shows_the_tested_workflow():
    blocks = yaml_blocks(section((REPO / "README.md").read_text(), "## In CI"))
    assert blocks, "the README's CI section shows the workflow"
    assert all(is_slice(block) for block in blocks)


@pytest.mark.parametrize("block", yaml_blocks((REPO / "docs" / "ci.md").read_text()))
def test_every_ci_doc_block_is_tested(block):
    if "repos:" in block:  # a pre-commit config: its hook must be the one shipped
        hooks = {h["id"] for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
        used = {h["id"] for repo in yaml.safe_load(block)["repos"] for h in repo["hooks"]}
        assert used <= hooks
    else:
        assert is_slice(block), block
