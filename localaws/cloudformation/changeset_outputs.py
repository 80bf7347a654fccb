"""Refresh a stack's template, parameters, outputs, exports and description when a change set executes.

moto 5.2.5 builds a stack's `OutputMap` once, when the stack object is created; a stack made
through CreateChangeSet (what `sam deploy` always does) is created with an empty template, and
ExecuteChangeSet only updates the resources. DescribeStacks then has no Outputs: `sam deploy
--resolve-s3` fails with "Stack aws-sam-cli-managed-default is missing Tags and/or Outputs
information", and nothing downstream (plugins, peering, verify) can read an output. The stack
also keeps the parameters it was created with, so after an update that changed a parameter,
redeploying the same values is not recognised as "no changes".
"""

from __future__ import annotations

from typing import Any, cast

from localaws._moto import ChangeSet, CloudFormationBackend
from localaws.patching import Patcher


def apply(patcher: Patcher) -> None:
    execute_change_set = CloudFormationBackend.execute_change_set

    def patched(self: CloudFormationBackend, change_set_name: str, stack_name: str | None = None) -> Any:
        result = execute_change_set(self, change_set_name, stack_name)
        # moto annotates `ChangeSet | None` but raises ValidationError rather than return None.
        change_set = cast(ChangeSet, self.describe_change_set(change_set_name))
        stack = self.stacks[change_set.stack_id]
        stack.parameters = dict(change_set.parameters)
        stack._parse_template()
        stack.output_map = stack._create_output_map()
        stack.description = stack.template_dict.get("Description")
        for name in [n for n, e in self.exports.items() if e.exporting_stack_id == stack.stack_id]:
            del self.exports[name]
        self._validate_export_uniqueness(stack)
        for export in stack.exports:
            self.exports[export.name] = export
        return result

    patcher.replace(CloudFormationBackend, "execute_change_set", patched)
