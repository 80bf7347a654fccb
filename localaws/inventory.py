"""What a stack really made: each declared resource checked through its own service's API.

`take_inventory` reads a stack's processed template (what CloudFormation planned) and its
resources (ListStackResources: what CloudFormation says it made), then asks each resource's own
service whether it exists (`checkers.CHECKERS`). Per resource the status is:
- `describable`: the service describes it;
- `missing`: CloudFormation lists it but its service does not know it (or only as deleted);
- `unchecked`: no checker for the type (reported as such, never counted as fine);
- `not_materialised`: declared (and its condition true) but CloudFormation made nothing.
Then, for every describable resource whose type has a `checkers.READBACKS` entry, each declared
security-relevant property (encryption keys, tracing, logging, public access, deletion protection,
replication) is read back through the same service and compared with the template's value,
`Ref`/`Fn::GetAtt`/`Fn::Sub`/`Fn::If`/`Fn::FindInMap` resolved through the stack's physical IDs,
parameters and mappings.
Each comparison is `as_declared`, `mismatch` ("<LogicalId> <Property>: declared X, described Y"),
`unresolved` (a declared value this reader cannot evaluate: never counted as holding) or `error`
(the service would not describe it).
It works against any endpoint (the emulator or AWS), through the session and endpoint given.
`check_deleted` re-runs the checkers after a stack deletion and returns what is still there.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from .checkers import ATTRIBUTES, CHECKERS, READBACKS
from .describing import Clients, Missing, Prop

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


PropertyStatus = Literal["as_declared", "mismatch", "unresolved", "error"]


@dataclass(frozen=True)
class PropertyCheck:
    """One declared property read back through the resource's own service."""

    logical_id: str
    resource_type: str
    prop: str
    status: PropertyStatus
    declared: str = ""
    described: str = ""
    detail: str = ""

    def line(self) -> str:
        if self.status == "as_declared":
            return f"{self.logical_id} {self.prop}: {self.declared}"
        if self.status == "mismatch":
            return f"{self.logical_id} {self.prop}: declared {self.declared}, described {self.described}"
        if self.status == "unresolved":
            return f"{self.logical_id} {self.prop}: declared {self.declared}, not compared: {self.detail}"
        return f"{self.logical_id} {self.prop}: not read back: {self.detail}"


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
    properties: tuple[PropertyCheck, ...] = field(default_factory=tuple)

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

    def property_problems(self) -> list[PropertyCheck]:
        """Every declared property that did not read back as declared (mismatch, unresolved, error)."""
        return [p for p in self.properties if p.status != "as_declared"]

    @property
    def properties_as_declared(self) -> bool:
        return not self.property_problems()

    def readback_summary(self) -> str:
        resources = len({p.logical_id for p in self.properties})
        return (
            f"{len(self.properties)} security-relevant properties read back on {resources} resources: "
            f"{sum(p.status == 'as_declared' for p in self.properties)} as declared, "
            f"{len(self.property_problems())} not"
        )

    def summary(self) -> str:
        return (
            f"{self.stack_name} ({self.region}): {len(self.checks)} declared, {self.created} created, "
            f"{self.count('describable')} describable, {self.count('missing')} missing, "
            f"{self.count('unchecked')} unchecked, {self.count('not_materialised')} not materialised; "
            f"{self.readback_summary()}"
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
        for p in self.property_problems():
            lines.append(f"  ! {p.status}: {p.line()}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "stack_name": self.stack_name,
            "region": self.region,
            "by_type": [vars(r) for r in self.by_type()],
            "resources": [vars(c) for c in self.checks],
            "properties": [vars(p) for p in self.properties],
        }


def _clients(session: boto3.Session, endpoint_url: str | None) -> Clients:
    cache: dict[str, Any] = {}

    def client(service: str) -> Any:
        if service not in cache:
            cache[service] = session.client(service, endpoint_url=endpoint_url)  # type: ignore[call-overload]  # stubs: literal service names only
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

    functions: dict[str, Callable[[], Any]] = {
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


# -- declared values: intrinsic functions resolved through the stack's physical IDs ---------------
class Unresolvable(Exception):
    """A declared value this reader cannot evaluate (never counted as read back)."""


NO_VALUE = object()  # `Ref: AWS::NoValue`: the property is not declared
_MISSING = object()  # a path that leads nowhere
_SUB_VARIABLE = re.compile(r"\$\{(!?)([^}]+)\}")


@dataclass
class Resolver:
    """Evaluates `Ref`, `Fn::GetAtt`, `Fn::Sub`, `Fn::Join`, `Fn::Select`, `Fn::If`,
    `Fn::FindInMap` as CloudFormation did.

    A `Ref` is a parameter's value or a resource's physical ID; `Fn::GetAtt` reads the attribute
    from the resource's own service (`checkers.ATTRIBUTES`), or is the physical ID for an `Arn`
    of a resource whose physical ID is an ARN.
    """

    clients: Clients
    parameters: dict[str, Any]
    resources: dict[str, tuple[str, str | None]]  # logical ID -> (type, physical ID)
    conditions: dict[str, Any] = field(default_factory=dict)
    mappings: dict[str, Any] = field(default_factory=dict)  # the template's Mappings section
    _attributes: dict[tuple[str, str], Any] = field(default_factory=dict)

    def shallow(self, expr: Any) -> Any:
        """Evaluate `expr` if it is an intrinsic function; leave plain dicts and lists as they are."""
        if not (isinstance(expr, dict) and len(expr) == 1):
            return expr
        ((key, arg),) = expr.items()
        functions: dict[str, Callable[[Any], Any]] = {
            "Ref": self._ref,
            "Fn::GetAtt": lambda a: self._getatt(*(a.split(".", 1) if isinstance(a, str) else a)),
            "Fn::Sub": self._sub,
            "Fn::Join": lambda a: str(a[0]).join(str(self.deep(i)) for i in self.deep(a[1])),
            "Fn::Select": lambda a: self.deep(self.deep(a[1])[int(self.deep(a[0]))]),
            "Fn::If": self._if,
            "Fn::FindInMap": self._find_in_map,
        }
        if key in functions:
            return functions[key](arg)
        if key.startswith("Fn::"):
            raise Unresolvable(f"{key} is not evaluated by the inventory")
        return expr

    def _if(self, arg: list[Any]) -> Any:
        name, when_true, when_false = arg
        try:
            holds = _condition(name, self.parameters, self.conditions, frozenset())
        except ValueError as exc:
            raise Unresolvable(str(exc)) from exc
        return self.shallow(when_true if holds else when_false)

    def _find_in_map(self, arg: list[Any]) -> Any:
        """`[map, top-level key, second-level key]`, each key itself possibly an intrinsic
        (`!Ref AWS::Region`): one template serving several regions keeps their values here.
        https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-findinmap.html
        """
        node: Any = self.mappings
        for key in arg[:3]:
            name = self.deep(key)
            if not isinstance(node, dict) or name not in node:
                raise Unresolvable(f"FindInMap {[self.deep(k) for k in arg[:3]]}: no {name!r} in the mapping")
            node = node[name]
        return node

    def deep(self, expr: Any) -> Any:
        value = self.shallow(expr)
        if isinstance(value, dict):
            return {k: v for k, v in ((k, self.deep(v)) for k, v in value.items()) if v is not NO_VALUE}
        if isinstance(value, list):
            return [v for v in (self.deep(i) for i in value) if v is not NO_VALUE]
        return value

    def _ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.parameters:
            return self.parameters[name]
        if name in self.resources:
            physical_id = self.resources[name][1]
            if physical_id:
                return physical_id
        raise Unresolvable(f"Ref {name}: no such parameter or created resource")

    def _getatt(self, logical_id: str, attribute: str) -> Any:
        if logical_id not in self.resources or not self.resources[logical_id][1]:
            raise Unresolvable(f"GetAtt {logical_id}.{attribute}: no such created resource")
        resource_type, physical_id = self.resources[logical_id]
        assert physical_id
        cache_key = (logical_id, attribute)
        if cache_key not in self._attributes:
            reader = ATTRIBUTES.get((resource_type, attribute))
            if reader is not None:
                self._attributes[cache_key] = reader(self.clients, physical_id)
            elif attribute == "Arn" and physical_id.startswith("arn:"):
                self._attributes[cache_key] = physical_id
            else:
                raise Unresolvable(f"GetAtt {logical_id}.{attribute}: no reader for {resource_type}")
        return self._attributes[cache_key]

    def _sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])

        def value(match: re.Match[str]) -> str:
            if match.group(1):  # ${!Literal}
                return "${" + match.group(2) + "}"
            name = match.group(2)
            if name in variables:
                return str(self.deep(variables[name]))
            if "." in name and not name.startswith("AWS::"):
                return str(self._getatt(*name.split(".", 1)))
            return str(self._ref(name))

        return _SUB_VARIABLE.sub(value, text)


def _dig(node: Any, steps: list[str | tuple[str]], resolve: Callable[[Any], Any]) -> Any:
    """Follow a read-back path (see `describing`) through `node`; `_MISSING` where it leads nowhere."""
    node = resolve(node)
    if not steps:
        return node
    step, rest = steps[0], steps[1:]
    if step == "*" and isinstance(node, list):
        found = [v for v in (_dig(item, rest, resolve) for item in node) if v is not _MISSING]
        return found or _MISSING
    if isinstance(step, tuple) and isinstance(node, list):
        for item in map(resolve, node):
            if isinstance(item, dict) and any(
                resolve(item.get(k)) == step[0] for k in ("Key", "Name", "Region", "key", "name")
            ):
                target = next((item[k] for k in ("Value", "value") if k in item), item)
                return _dig(target, rest, resolve)
    if isinstance(step, str) and isinstance(node, dict) and step in node:
        return _dig(node[step], rest, resolve)
    return _MISSING


_STEP = re.compile(r"\[([^\]]*)\]|([^.\[\]]+)")


def _steps(path: str, region: str) -> list[str | tuple[str]]:
    return [(keyed.replace("{region}", region),) if keyed else plain for keyed, plain in _STEP.findall(path)]


def _text(value: Any) -> Any:
    """Compare-ready form: booleans, numbers and 'true'/'false' strings as lowercase text."""
    if isinstance(value, list):
        return [_text(v) for v in value]
    if isinstance(value, dict):
        return {k: _text(v) for k, v in value.items()}
    if isinstance(value, bool) or (isinstance(value, str) and value.lower() in ("true", "false")):
        return str(value).lower()
    if isinstance(value, int | float) and float(value).is_integer():
        return str(int(value))
    return str(value) if isinstance(value, float) else value


def _show(value: Any) -> str:
    if value is _MISSING or value is None:
        return "(none)"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return str(_text(value))


def _key_id(clients: Clients, value: Any) -> Any:
    """A KMS key reference (key ARN, key id, alias name or alias ARN) as its key id."""
    if isinstance(value, list):
        return [_key_id(clients, v) for v in value]
    if not isinstance(value, str):
        return value
    if ":key/" in value:
        return value.rsplit(":key/", 1)[1]
    if value.startswith("alias/") or ":alias/" in value:
        try:
            return clients("kms").describe_key(KeyId=value)["KeyMetadata"]["KeyId"]
        except Exception:  # an alias that does not resolve compares as written
            return value
    return value


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def _same(prop: Prop, declared: Any, described: Any, clients: Clients) -> bool:
    if described is _MISSING:
        described = None
    if prop.kind == "key":
        declared, described = _key_id(clients, declared), _key_id(clients, described)
    declared, described = _text(declared), _text(described)
    if prop.kind == "member":
        return isinstance(described, list) and declared in described
    if prop.kind == "set":
        return sorted(map(json.dumps, _as_list(declared))) == sorted(map(json.dumps, _as_list(described)))
    if prop.kind == "key" and isinstance(declared, list) and isinstance(described, list):
        return sorted(declared) == sorted(described)
    return bool(declared == described)


def read_back(
    resolver: Resolver, region: str, check: ResourceCheck, properties: dict[str, Any]
) -> list[PropertyCheck]:
    """Compare each declared security-relevant property of one resource with its description."""
    logical_id, resource_type, physical_id = check.logical_id, check.resource_type, check.physical_id or ""
    readback = READBACKS.get(resource_type)
    if readback is None:
        return []
    declared: list[tuple[Prop, Any]] = []
    results: list[PropertyCheck] = []
    for prop in readback.props:
        try:
            value = _dig(properties, _steps(prop.declared, region), resolver.shallow)
            if value is not _MISSING:
                value = resolver.deep(value)
        except Unresolvable as exc:
            raw = _dig(properties, _steps(prop.declared, region), lambda v: v)
            results.append(
                PropertyCheck(logical_id, resource_type, prop.label, "unresolved", _show(raw), "", str(exc))
            )
            continue
        if value is not _MISSING and value is not NO_VALUE:
            declared.append((prop, value if prop.implies is None else prop.implies))
    if not declared:
        return results
    try:
        view = readback.view(resolver.clients, physical_id)
    except Exception as exc:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
        reason = f"{code or type(exc).__name__}: {exc}"
        return results + [
            PropertyCheck(logical_id, resource_type, prop.label, "error", _show(value), "", reason)
            for prop, value in declared
        ]
    for prop, value in declared:
        described = _dig(view, _steps(prop.described, region), lambda v: v)
        status: PropertyStatus = (
            "as_declared" if _same(prop, value, described, resolver.clients) else "mismatch"
        )
        results.append(
            PropertyCheck(logical_id, resource_type, prop.label, status, _show(value), _show(described))
        )
    return results


def _pseudo_parameters(stack: dict[str, Any], region: str, stack_name: str) -> dict[str, str]:
    """AWS::* pseudo parameters; partition and account from the stack's own ARN."""
    arn = stack.get("StackId", "")
    parts = arn.split(":")
    partition, account = (parts[1], parts[4]) if len(parts) > 5 else ("aws", "")
    return {
        "AWS::Region": region,
        "AWS::StackName": stack_name,
        "AWS::StackId": arn,
        "AWS::AccountId": account,
        "AWS::Partition": partition,
        "AWS::URLSuffix": "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com",
    }


def _template(cfn: Any, stack_name: str) -> dict[str, Any]:
    body = cfn.get_template(StackName=stack_name, TemplateStage="Processed")["TemplateBody"]
    if isinstance(body, dict):
        return body
    try:
        result: dict[str, Any] = json.loads(body)
        return result
    except ValueError:  # a YAML body (AWS returns the Original stage of a stack without transform as sent)
        from localaws._moto import Stack  # its loader reads the short-form tags

        return Stack.parse_template(body)


def take_inventory(
    stack_name: str, session: boto3.Session, *, endpoint_url: str | None = None
) -> StackInventory:
    """Check every resource of `stack_name` (in the session's region) through its own API, then
    read back each declared security-relevant property of the describable ones."""
    clients = _clients(session, endpoint_url)
    cfn = clients("cloudformation")
    region = session.region_name or ""
    stack = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
    template = _template(cfn, stack_name)
    parameters = {
        name: spec["Default"]
        for name, spec in (template.get("Parameters") or {}).items()
        if isinstance(spec, dict) and "Default" in spec
    }
    parameters.update({p["ParameterKey"]: p.get("ParameterValue") for p in stack.get("Parameters", [])})
    parameters.update(_pseudo_parameters(stack, region, stack_name))
    declared = declared_resources(template, parameters)
    listed = {
        r["LogicalResourceId"]: r
        for page in cfn.get_paginator("list_stack_resources").paginate(StackName=stack_name)
        for r in page["StackResourceSummaries"]
    }
    physical = {lid: (r["ResourceType"], r.get("PhysicalResourceId")) for lid, r in listed.items()}
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
    resolver = Resolver(
        clients, parameters, physical, template.get("Conditions") or {}, template.get("Mappings") or {}
    )
    resources = template.get("Resources") or {}
    properties = [
        result
        for c in checks
        if c.status == "describable" and c.physical_id and c.logical_id in resources
        for result in read_back(resolver, region, c, resources[c.logical_id].get("Properties") or {})
    ]
    return StackInventory(stack_name, region, tuple(checks), tuple(properties))


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
