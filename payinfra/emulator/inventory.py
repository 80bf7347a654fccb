"""What a stack really made: each declared resource checked through its own service's API.

`take_inventory` reads a stack's processed template (what CloudFormation planned) and its
resources (ListStackResources: what CloudFormation says it made), then asks each resource's own
service whether it exists (`checkers.CHECKERS`). Per resource the status is:
- `describable`: the service describes it;
- `missing`: CloudFormation lists it but its service does not know it (or only as deleted);
- `unchecked`: no checker for the type (reported as such, never counted as fine);
- `not_materialised`: declared (and its condition true) but CloudFormation made nothing.
It works against any endpoint (the emulator or AWS), through the session and endpoint given.
`check_deleted` re-runs the checkers after a stack deletion and returns what is still there.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from .checkers import CHECKERS, Clients, Missing

if TYPE_CHECKING:
    import boto3

Status = Literal["describable", "missing", "unchecked", "not_materialised"]
STATUSES: tuple[Status, ...] = ("describable", "missing", "unchecked", "not_materialised")
_NOT_FOUND_CODES = (
    "NotFound",
    "NoSuch",
    "DoesNotExist",
    "NonExistent",
    "InvalidParameter",
    "ValidationError",
)


@dataclass(frozen=True)
class ResourceCheck:
    logical_id: str
    resource_type: str
    physical_id: str | None
    status: Status
    detail: str = ""


@dataclass(frozen=True)
class TypeCounts:
    resource_type: str
    declared: int
    created: int
    describable: int
    missing: int
    unchecked: int
    not_materialised: int


@dataclass(frozen=True)
class StackInventory:
    stack_name: str
    region: str
    checks: tuple[ResourceCheck, ...] = field(default_factory=tuple)

    def by_type(self) -> list[TypeCounts]:
        types = sorted({c.resource_type for c in self.checks})
        rows = []
        for resource_type in types:
            statuses = Counter(c.status for c in self.checks if c.resource_type == resource_type)
            declared = sum(statuses.values())
            rows.append(
                TypeCounts(
                    resource_type,
                    declared,
                    declared - statuses["not_materialised"],
                    statuses["describable"],
                    statuses["missing"],
                    statuses["unchecked"],
                    statuses["not_materialised"],
                )
            )
        return rows

    def count(self, status: Status) -> int:
        return sum(1 for c in self.checks if c.status == status)

    @property
    def created(self) -> int:
        return len(self.checks) - self.count("not_materialised")

    @property
    def complete(self) -> bool:
        """Every declared resource was created and is describable."""
        return all(c.status == "describable" for c in self.checks)

    def not_materialised(self) -> dict[str, list[str]]:
        """Resource type -> logical IDs the endpoint did not create."""
        result: dict[str, list[str]] = {}
        for c in self.checks:
            if c.status == "not_materialised":
                result.setdefault(c.resource_type, []).append(c.logical_id)
        return result

    def problems(self) -> list[ResourceCheck]:
        return [c for c in self.checks if c.status != "describable"]

    def summary(self) -> str:
        return (
            f"{self.stack_name} ({self.region}): {len(self.checks)} declared, {self.created} created, "
            f"{self.count('describable')} describable, {self.count('missing')} missing, "
            f"{self.count('unchecked')} unchecked, {self.count('not_materialised')} not materialised"
        )

    def render(self) -> str:
        """A plain-text table per type, then every resource that is not describable."""
        width = max([len(r.resource_type) for r in self.by_type()] + [4])
        lines = [
            self.summary(),
            f"  {'type':<{width}}  declared  created  describable  missing  unchecked  not-made",
        ]
        for r in self.by_type():
            lines.append(
                f"  {r.resource_type:<{width}}  {r.declared:>8}  {r.created:>7}  {r.describable:>11}  "
                f"{r.missing:>7}  {r.unchecked:>9}  {r.not_materialised:>8}"
            )
        for c in self.problems():
            lines.append(
                f"  ! {c.status}: {c.logical_id} ({c.resource_type}) "
                f"{c.physical_id or ''} {c.detail}".rstrip()
            )
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "stack_name": self.stack_name,
            "region": self.region,
            "by_type": [vars(r) for r in self.by_type()],
            "resources": [vars(c) for c in self.checks],
        }


def _clients(session: boto3.Session, endpoint_url: str | None) -> Clients:
    cache: dict[str, Any] = {}

    def client(service: str) -> Any:
        if service not in cache:
            cache[service] = session.client(service, endpoint_url=endpoint_url)  # type: ignore[call-overload]
        return cache[service]

    return client


def check_resource(
    clients: Clients, logical_id: str, resource_type: str, physical_id: str | None
) -> ResourceCheck:
    checker = CHECKERS.get(resource_type)
    if checker is None:
        return ResourceCheck(
            logical_id, resource_type, physical_id, "unchecked", "no describe-checker for this type"
        )
    if not physical_id:
        return ResourceCheck(
            logical_id, resource_type, physical_id, "missing", "CloudFormation reports no physical ID"
        )
    try:
        detail = checker(clients, physical_id)
    except Missing as exc:
        return ResourceCheck(logical_id, resource_type, physical_id, "missing", str(exc))
    except Exception as exc:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
        reason = f"{code}: {exc}" if code else f"{type(exc).__name__}: {exc}"
        if not any(marker in code for marker in _NOT_FOUND_CODES) and code:
            reason = f"describe failed: {reason}"
        return ResourceCheck(logical_id, resource_type, physical_id, "missing", reason)
    return ResourceCheck(logical_id, resource_type, physical_id, "describable", detail)


# -- conditions: which declared resources should exist --------------------------------------------
def _evaluate(expr: Any, params: dict[str, Any], conditions: dict[str, Any], seen: frozenset[str]) -> Any:
    if not (isinstance(expr, dict) and len(expr) == 1):
        return expr
    ((key, value),) = expr.items()

    def each() -> list[Any]:
        return [_evaluate(v, params, conditions, seen) for v in value]

    functions = {
        "Ref": lambda: params.get(value, value),
        "Condition": lambda: _condition(value, params, conditions, seen),
        "Fn::Equals": lambda: len({str(v) for v in each()}) == 1,
        "Fn::Not": lambda: not each()[0],
        "Fn::And": lambda: all(each()),
        "Fn::Or": lambda: any(each()),
    }
    if key not in functions:
        raise ValueError(f"cannot evaluate {key} in a condition")
    return functions[key]()


def _condition(name: str, params: dict[str, Any], conditions: dict[str, Any], seen: frozenset[str]) -> bool:
    if name in seen or name not in conditions:
        raise ValueError(f"condition {name} is unknown or circular")
    return bool(_evaluate(conditions[name], params, conditions, seen | {name}))


def declared_resources(template: dict[str, Any], parameters: dict[str, Any]) -> dict[str, str]:
    """Logical ID -> type of every resource whose condition holds (unknown conditions count as true)."""
    conditions = template.get("Conditions") or {}
    declared = {}
    for logical_id, resource in (template.get("Resources") or {}).items():
        condition = resource.get("Condition")
        if condition:
            try:
                if not _condition(condition, parameters, conditions, frozenset()):
                    continue
            except ValueError:
                pass
        declared[logical_id] = resource["Type"]
    return declared


def _template(cfn: Any, stack_name: str) -> dict[str, Any]:
    body = cfn.get_template(StackName=stack_name, TemplateStage="Processed")["TemplateBody"]
    if isinstance(body, dict):
        return body
    try:
        return json.loads(body)  # type: ignore[no-any-return]
    except ValueError:  # a YAML body (AWS returns the Original stage of a stack without transform as sent)
        from moto.cloudformation.models import Stack  # its loader reads the short-form tags

        return Stack.parse_template(body)


def take_inventory(
    stack_name: str, session: boto3.Session, *, endpoint_url: str | None = None
) -> StackInventory:
    """Check every resource of `stack_name` (in the session's region) through its own API."""
    clients = _clients(session, endpoint_url)
    cfn = clients("cloudformation")
    stack = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
    parameters = {p["ParameterKey"]: p.get("ParameterValue") for p in stack.get("Parameters", [])}
    parameters.update({"AWS::Region": session.region_name, "AWS::StackName": stack_name})
    declared = declared_resources(_template(cfn, stack_name), parameters)
    listed = {
        r["LogicalResourceId"]: r
        for page in cfn.get_paginator("list_stack_resources").paginate(StackName=stack_name)
        for r in page["StackResourceSummaries"]
    }
    checks = []
    for logical_id, resource_type in declared.items():
        summary = listed.pop(logical_id, None)
        if summary is None:
            checks.append(
                ResourceCheck(
                    logical_id,
                    resource_type,
                    None,
                    "not_materialised",
                    "declared, but the stack has no such resource",
                )
            )
        else:
            checks.append(
                check_resource(
                    clients,
                    logical_id,
                    summary["ResourceType"] or resource_type,
                    summary.get("PhysicalResourceId"),
                )
            )
    for logical_id, summary in listed.items():  # made but not declared (should not happen)
        checks.append(
            check_resource(clients, logical_id, summary["ResourceType"], summary.get("PhysicalResourceId"))
        )
    return StackInventory(stack_name, session.region_name or "", tuple(checks))


def check_deleted(
    inventory: StackInventory, session: boto3.Session, *, endpoint_url: str | None = None
) -> list[ResourceCheck]:
    """After the stack's deletion: the resources of `inventory` that their service still describes."""
    clients = _clients(session, endpoint_url)
    leftovers = []
    for c in inventory.checks:
        if c.status in ("describable", "unchecked") and c.physical_id:
            again = check_resource(clients, c.logical_id, c.resource_type, c.physical_id)
            if again.status in ("describable", "unchecked"):
                leftovers.append(again)
    return leftovers


def render_leftovers(leftovers: Iterable[ResourceCheck]) -> str:
    return "\n".join(
        f"  left: {c.logical_id} ({c.resource_type}) {c.physical_id} {c.detail}" for c in leftovers
    )
