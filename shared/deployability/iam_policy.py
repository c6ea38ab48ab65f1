"""An offline IAM policy evaluator: does a set of policies allow one request?

It follows AWS's evaluation logic for the parts the platform's policies use: an explicit deny
wins, else any allow, else an implicit deny. Statements match on ``Action``/``NotAction``
(case-insensitive wildcards), ``Resource``/``NotResource`` (case-sensitive wildcards),
``Principal``/``NotPrincipal`` (resource policies) and ``Condition`` (the string, ARN, boolean,
numeric and null operators, with ``...IfExists`` and the ``ForAnyValue:``/``ForAllValues:``
set qualifiers). A condition key absent from the request makes a positive operator false and a
negated one true, as in AWS. Policy variables (``${aws:username}``) are not supported.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import cache
from typing import Any

PolicyDocument = Mapping[str, Any]
ContextValue = str | Sequence[str]


class Decision(Enum):
    """The outcome of an evaluation."""

    ALLOW = "allow"
    EXPLICIT_DENY = "explicit deny"
    IMPLICIT_DENY = "implicit deny"


@dataclass(frozen=True)
class Principal:
    """Who makes a request to a resource policy: ``kind`` is ``Service`` or ``AWS``."""

    kind: str
    identifier: str

    @property
    def account(self) -> str | None:
        """The account of an ``AWS`` principal's ARN (or bare account id)."""
        if self.kind != "AWS":
            return None
        if re.fullmatch(r"\d{12}", self.identifier):
            return self.identifier
        parts = self.identifier.split(":")
        return parts[4] if len(parts) > 4 else None


@dataclass(frozen=True)
class Request:
    """One API call: the action, the resource ARN it acts on, who makes it (for resource
    policies) and its request context (condition keys, case-insensitive)."""

    action: str
    resource: str
    principal: Principal | None = None
    context: Mapping[str, ContextValue] = field(default_factory=dict)

    def value(self, key: str) -> list[str] | None:
        """The context values of ``key`` (as a list), or None when the key is absent."""
        wanted = key.lower()
        for name, value in self.context.items():
            if name.lower() == wanted:
                return [value] if isinstance(value, str) else list(value)
        return None


@dataclass(frozen=True)
class Evaluation:
    """A decision, and the statement ids that decided it."""

    decision: Decision
    statements: tuple[str, ...] = ()

    @property
    def allowed(self) -> bool:
        return self.decision is Decision.ALLOW


class PolicyError(ValueError):
    """A policy uses an element or operator this evaluator does not know."""


def evaluate(documents: Sequence[PolicyDocument], request: Request) -> Evaluation:
    """Evaluate ``request`` against every statement of ``documents``."""
    allows: list[str] = []
    denies: list[str] = []
    for document in documents:
        for index, statement in enumerate(_statements(document)):
            if not _applies(statement, request):
                continue
            sid = statement.get("Sid", f"#{index}")
            (denies if statement.get("Effect") == "Deny" else allows).append(sid)
    if denies:
        return Evaluation(Decision.EXPLICIT_DENY, tuple(denies))
    if allows:
        return Evaluation(Decision.ALLOW, tuple(allows))
    return Evaluation(Decision.IMPLICIT_DENY)


def wildcard_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM's wildcards: ``*`` any run of characters, ``?`` any one character."""
    return _compiled(pattern, ignore_case).fullmatch(value) is not None


@cache
def _compiled(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    expression = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(expression, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def _statements(document: PolicyDocument) -> list[Mapping[str, Any]]:
    statements = document.get("Statement", [])
    return [statements] if isinstance(statements, Mapping) else list(statements)


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _applies(statement: Mapping[str, Any], request: Request) -> bool:
    return (
        _matches_action(statement, request.action)
        and _matches_resource(statement, request.resource)
        and _matches_principal(statement, request.principal)
        and _conditions_hold(statement.get("Condition", {}), request)
    )


def _matches_action(statement: Mapping[str, Any], action: str) -> bool:
    if "Action" in statement:
        return any(
            wildcard_match(p, action, ignore_case=True) for p in _as_list(statement["Action"])
        )
    if "NotAction" in statement:
        patterns = _as_list(statement["NotAction"])
        return not any(wildcard_match(p, action, ignore_case=True) for p in patterns)
    raise PolicyError(f"statement {statement.get('Sid', '')!r} has neither Action nor NotAction")


def _matches_resource(statement: Mapping[str, Any], resource: str) -> bool:
    if "Resource" in statement:
        return any(wildcard_match(p, resource) for p in _as_list(statement["Resource"]))
    if "NotResource" in statement:
        return not any(wildcard_match(p, resource) for p in _as_list(statement["NotResource"]))
    return True  # a resource policy's statements apply to the resource they are attached to


def _matches_principal(statement: Mapping[str, Any], principal: Principal | None) -> bool:
    if "Principal" in statement:
        return principal is not None and _principal_in(statement["Principal"], principal)
    if "NotPrincipal" in statement:
        return principal is not None and not _principal_in(statement["NotPrincipal"], principal)
    return True


def _principal_in(element: Any, principal: Principal) -> bool:
    if element == "*":
        return True
    for candidate in _as_list(element.get(principal.kind, [])):
        if candidate in ("*", principal.identifier):
            return True
        if principal.kind == "AWS" and _is_account_root(candidate, principal.account):
            return True
    return False


def _is_account_root(candidate: str, account: str | None) -> bool:
    if account is None:
        return False
    return (
        candidate == account
        or re.fullmatch(rf"arn:[\w-]+:iam::{account}:root", candidate) is not None
    )


def _conditions_hold(block: Mapping[str, Mapping[str, Any]], request: Request) -> bool:
    return all(
        _operator_holds(operator, key, _as_list(values), request)
        for operator, pairs in block.items()
        for key, values in pairs.items()
    )


def _operator_holds(operator: str, key: str, wanted: list[Any], request: Request) -> bool:
    qualifier, _, name = operator.rpartition(":")
    if_exists = name.endswith("IfExists")
    name = name.removesuffix("IfExists")
    present = request.value(key)
    if name == "Null":
        is_absent = present is None
        return any(str(w).lower() == str(is_absent).lower() for w in wanted)
    if name not in _COMPARISONS:
        raise PolicyError(f"condition operator {operator!r} is not supported")
    compare, negated = _COMPARISONS[name]
    if present is None:
        if qualifier == "ForAllValues":
            return True
        return if_exists or negated
    wanted_strings = [str(w) for w in wanted]

    def one(value: str) -> bool:
        matched = any(compare(w, value) for w in wanted_strings)
        return not matched if negated else matched

    if qualifier == "ForAllValues":
        return all(one(v) for v in present)
    return any(one(v) for v in present)


def _numeric(test: Callable[[float, float], bool]) -> Callable[[str, str], bool]:
    def compare(wanted: str, value: str) -> bool:
        try:
            return test(float(value), float(wanted))
        except ValueError:
            return False

    return compare


_COMPARISONS: dict[str, tuple[Callable[[str, str], bool], bool]] = {
    "StringEquals": (lambda w, v: w == v, False),
    "StringNotEquals": (lambda w, v: w == v, True),
    "StringEqualsIgnoreCase": (lambda w, v: w.lower() == v.lower(), False),
    "StringNotEqualsIgnoreCase": (lambda w, v: w.lower() == v.lower(), True),
    "StringLike": (wildcard_match, False),
    "StringNotLike": (wildcard_match, True),
    "ArnEquals": (wildcard_match, False),
    "ArnLike": (wildcard_match, False),
    "ArnNotEquals": (wildcard_match, True),
    "ArnNotLike": (wildcard_match, True),
    "Bool": (lambda w, v: w.lower() == v.lower(), False),
    "NumericEquals": (_numeric(lambda v, w: v == w), False),
    "NumericNotEquals": (_numeric(lambda v, w: v == w), True),
    "NumericLessThan": (_numeric(lambda v, w: v < w), False),
    "NumericLessThanEquals": (_numeric(lambda v, w: v <= w), False),
    "NumericGreaterThan": (_numeric(lambda v, w: v > w), False),
    "NumericGreaterThanEquals": (_numeric(lambda v, w: v >= w), False),
}
