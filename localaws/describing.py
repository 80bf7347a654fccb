"""What every service's checkers (`services/<service>/checkers.py`) are written with.

A service's checkers module makes one `ServiceCheckers` and registers, per CloudFormation
resource type of that service:
- a describe-checker (`describes`): gets a client factory and the physical ID CloudFormation
  reports, returns a short description of what the service shows, and raises `Missing` when the
  resource does not exist or only exists as deleted / being deleted (a KMS key pending deletion,
  an INACTIVE ECS service, a deleted peering connection);
- a read-back (`reads_back`): how the service describes the resource (`View`, a dict as AWS
  answers) and which declared property maps to which described field (`Prop`);
- attribute readers (`reads_attribute`): the `Fn::GetAtt` values declared properties use.
`localaws.checkers` merges every service's registrations into the inventory's tables.

This module imports nothing of localaws, so the per-service modules and the registry that imports
them form no cycle.

Read-back paths (declared: into the resource's template `Properties`; described: into the view):
  `A.B`  nested keys;  `A.*.B`  every element of list A;
  `A[k]` in a list of {Key|Name|Region: ..., Value: ...} items, the item named k (its Value if it
         has one, else the item itself); `{region}` in k is the stack's region.
Kinds: `value` (booleans, numbers and strings compare as text; dicts/lists recursively),
  `key` (KMS key references: ARN, key id or alias compare by key id), `set` (order-free list),
  `member` (the declared value is one of the described list).
A property the template does not declare is not compared (AWS's default applies, and checking
defaults is the security gate's job).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from botocore.exceptions import ClientError

Clients = Callable[[str], Any]  # service name -> boto3 client
Checker = Callable[[Clients, str], str]
View = Callable[[Clients, str], dict[str, Any]]
AttributeReader = Callable[[Clients, str], Any]
ReadbackKind = Literal["value", "key", "set", "member"]

# The CloudFormation template reference: each read-back names its type's page (what each declared
# property means).
CFN_DOCS = "https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/"


class Missing(Exception):
    """The resource is not there (or is deleted / being deleted)."""


def one(items: list[Any], what: str, physical_id: str) -> Any:
    """The first item a describe call returned, or `Missing` when it returned none."""
    if not items:
        raise Missing(f"{what} {physical_id} not found")
    return items[0]


def absent_unless(call: Callable[[], dict[str, Any]], *codes: str) -> dict[str, Any]:
    """The response, or {} when the service answers that nothing is configured (`codes`)."""
    try:
        return call()
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in codes:
            return {}
        raise


@dataclass(frozen=True)
class Prop:
    """Declared path -> described path, compared as `kind`; reported under the declared path."""

    declared: str
    described: str
    kind: ReadbackKind = "value"
    # When set: declaring `declared` (any value) implies the described field reads `implies`
    # (e.g. a DB instance given a KmsKeyId is encrypted, replicas included, which do not
    # declare StorageEncrypted because they inherit it).
    implies: Any = None

    @property
    def label(self) -> str:
        if self.implies is None:
            return self.declared
        return f"{self.described} (implied by {self.declared})"


@dataclass(frozen=True)
class Readback:
    view: View
    props: tuple[Prop, ...]
    doc: str  # the CloudFormation reference page of the type: what each declared property means


@dataclass
class ServiceCheckers:
    """One service's describe-checkers, read-backs and attribute readers, filled by its module."""

    service: str  # the folder under localaws/services (moto's name for the service)
    checkers: dict[str, Checker] = field(default_factory=dict)
    readbacks: dict[str, Readback] = field(default_factory=dict)
    attributes: dict[tuple[str, str], AttributeReader] = field(default_factory=dict)

    def describes(self, *resource_types: str) -> Callable[[Checker], Checker]:
        """Register the decorated function as the describe-checker of `resource_types`."""

        def register(checker: Checker) -> Checker:
            for resource_type in resource_types:
                self.checkers[resource_type] = checker
            return checker

        return register

    def reads_back(self, resource_type: str, doc: str, *props: Prop) -> Callable[[View], View]:
        """Register the decorated view as how `resource_type`'s declared `props` are read back."""

        def register(view: View) -> View:
            self.readbacks[resource_type] = Readback(view, props, doc)
            return view

        return register

    def reads_attribute(self, resource_type: str, attribute: str, reader: AttributeReader) -> None:
        """`Fn::GetAtt <resource>.<attribute>` of a `resource_type`, read from its own service."""
        self.attributes[(resource_type, attribute)] = reader
