"""The legislators' membership history: persons joined to their memberships, joined to the
organizations they were members of (AWS Glue's join-and-relationalize example)."""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import DataFrame

PERSONS_FILE = "persons.json"
MEMBERSHIPS_FILE = "memberships.json"
ORGANIZATIONS_FILE = "organizations.json"
INPUT_FILES = (PERSONS_FILE, MEMBERSHIPS_FILE, ORGANIZATIONS_FILE)
PARTITION_COLUMN = "org_name"
ORGANIZATION_PREFIX = "org_"


@dataclass(frozen=True)
class HistoryCounts:
    """Rows in each input and in the history, and where the history was written."""

    persons: int
    memberships: int
    organizations: int
    history: int
    output: str = ""

    @property
    def rows_read(self) -> int:
        return self.persons + self.memberships + self.organizations

    @property
    def rows_written(self) -> int:
        return self.history


def organizations_for_join(organizations: DataFrame) -> DataFrame:
    """Organizations without ``other_names`` and ``identifiers``, ``id`` -> ``org_id`` and
    ``name`` -> ``org_name``."""
    return (
        organizations.drop("other_names", "identifiers")
        .withColumnRenamed("id", "org_id")
        .withColumnRenamed("name", "org_name")
    )


def membership_history(
    persons: DataFrame, memberships: DataFrame, organizations: DataFrame
) -> DataFrame:
    """One row per membership of a known person in a known organization.

    Persons join memberships on ``id = person_id``; the result joins organizations on
    ``org_id = organization_id``; ``person_id`` and ``org_id`` are dropped. An organization
    column whose name a person or membership column already has (``links``, ``image``) is kept
    as ``org_<name>`` so that every output column is unique.
    """
    orgs = organizations_for_join(organizations)
    taken = set(persons.columns) | set(memberships.columns)
    for column in orgs.columns:
        if column in taken and column not in ("org_id", "org_name"):
            orgs = orgs.withColumnRenamed(column, f"{ORGANIZATION_PREFIX}{column}")
    people = persons.join(memberships, persons["id"] == memberships["person_id"])
    return people.join(orgs, orgs["org_id"] == people["organization_id"]).drop(
        "person_id", "org_id"
    )
