"""List the resources a parameter-only change modifies in a change set, as CloudFormation does.

moto 5.2.5's ChangeSet compares the templates only: a deploy that changes a parameter (an
alarm threshold, say) shows an empty change set although executing it modifies the resources
that reference the parameter. SAM CLI prints that list before executing, so the operator saw
"nothing" for a real change. Here the diff also counts the resources whose parameters changed
(moto's own `build_resource_diff(template, parameters)`, which the execution already uses).
"""

from __future__ import annotations

from localaws._moto import Change, ChangeSet
from localaws.patching import Patcher


def diff(self: ChangeSet) -> list[Change]:
    resource_map = self.stack.resource_map
    by_action = resource_map.build_resource_diff(self.template_dict, self.parameters)
    new, old = self.template_dict.get("Resources", {}), resource_map._resource_json_map
    changes = []
    for action, names in by_action.items():
        for name in names:
            resource = new.get(name) or old.get(name) or {}
            changes.append(
                Change(action=action, logical_resource_id=name, resource_type=resource.get("Type", ""))
            )
    return changes


def apply(patcher: Patcher) -> None:
    patcher.replace(ChangeSet, "diff", diff)
