"""docs/configuration.md is generated from the config model and is current; every field says
what it is and where in the spec it comes from."""

from __future__ import annotations

from shared.cli.docs_command import CONFIGURATION_PAGE, SHIPPED_CONFIG
from shared.config import load_config
from shared.config.reference import render, rows, sections

CONFIG = load_config(SHIPPED_CONFIG, environ={})


def test_the_configuration_page_is_current():
    assert CONFIGURATION_PAGE.read_text(encoding="utf-8") == render(CONFIG), (
        "docs/configuration.md is out of date: run `make docs`"
    )


def test_every_field_says_what_it_is_and_where_it_comes_from():
    undocumented = [
        f"{section.location}.{row.name}"
        for section in sections(CONFIG)
        for row in rows(section)
        if not row.meaning or row.spec == "-"
    ]
    assert undocumented == []


def test_every_field_of_the_model_is_on_the_page():
    page = CONFIGURATION_PAGE.read_text(encoding="utf-8")
    for section in sections(CONFIG):
        assert f"## {section.location}" in page
        for row in rows(section):
            assert f"| `{row.name}` |" in page
