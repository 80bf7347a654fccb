"""Leave resources that a false `Condition` skipped out of a stack's resource list.

moto 5.2.5 keeps a `None` placeholder for each resource whose condition is false, and
ListStackResources / DescribeStackResources report it as an entry with an empty logical ID,
type and physical ID. CloudFormation lists only the resources it created.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from localaws._moto import Stack
from localaws.patching import Patcher


def stack_resources(self: Stack) -> Iterable[Any]:
    return [resource for resource in self.resource_map.values() if resource is not None]


def apply(patcher: Patcher) -> None:
    patcher.replace(Stack, "stack_resources", property(stack_resources))
