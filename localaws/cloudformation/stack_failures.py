"""Report a failing resource the way CloudFormation does: as a failed stack with a reason.

In moto 5.2.5 an exception while creating a resource escapes the request: ExecuteChangeSet and
DeleteStack answer HTTP 500 (SAM CLI shows a parser error), the stack stays "in progress", and a
`KeyError` inside a resource model is even swallowed by the lazy resource map and resurfaces
later as "Fn::GetAtt references undefined resource". Here:
- a resource that fails to create raises a ValidationError naming its logical ID, type and cause;
- a change set whose execution fails leaves the stack ROLLBACK_COMPLETE (create: the resources
  made so far are deleted) or UPDATE_ROLLBACK_FAILED (update: moto cannot roll back), with the
  reason in the stack events, which SAM CLI prints;
- a deletion that fails leaves the stack DELETE_FAILED with the reason.
"""

from __future__ import annotations

from typing import Any, cast

from localaws._moto import ChangeSet, CloudFormationBackend, Stack, ValidationError
from localaws._moto import cfn_parsing as parsing
from localaws.patching import Patcher


def _describe(exc: BaseException) -> str:
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return message if isinstance(exc, ValidationError) else f"{type(exc).__name__}: {message}"


def _fail(stack: Stack, status: str, reason: str) -> None:
    stack._add_stack_event(status, resource_status_reason=reason)
    stack.status = status


def apply(patcher: Patcher) -> None:
    create_resource = parsing.parse_and_create_resource
    execute_change_set = CloudFormationBackend.execute_change_set
    delete_stack = CloudFormationBackend.delete_stack

    def patched_create_resource(
        logical_id: str, resource_json: dict[str, Any], *args: Any, **kwargs: Any
    ) -> Any:
        try:
            return create_resource(logical_id, resource_json, *args, **kwargs)
        except ValidationError:
            raise
        except Exception as exc:
            raise ValidationError(
                message=f"Resource {logical_id} ({resource_json.get('Type')}) failed to create: "
                f"{_describe(exc)}"
            ) from exc

    def patched_execute(
        self: CloudFormationBackend, change_set_name: str, stack_name: str | None = None
    ) -> None:
        # moto annotates `ChangeSet | None` but raises ValidationError rather than return None.
        change_set = cast(ChangeSet, self.describe_change_set(change_set_name))
        stack = self.stacks[change_set.stack_id]
        try:
            execute_change_set(self, change_set_name, stack_name)
        except Exception as exc:
            reason = _describe(exc)
            change_set.execution_status = "EXECUTE_FAILED"
            if change_set.change_set_type == "CREATE":
                _fail(stack, "CREATE_FAILED", reason)
                try:
                    stack.resource_map.delete()
                except Exception as rollback_exc:
                    _fail(stack, "ROLLBACK_FAILED", f"rollback failed: {_describe(rollback_exc)}")
                else:
                    _fail(stack, "ROLLBACK_COMPLETE", reason)
            else:
                _fail(
                    stack, "UPDATE_ROLLBACK_FAILED", f"{reason} (the local emulator cannot roll back updates)"
                )

    def patched_delete_stack(self: CloudFormationBackend, name_or_stack_id: str) -> None:
        stack = next((s for s in self.stacks.values() if name_or_stack_id in (s.name, s.stack_id)), None)
        try:
            delete_stack(self, name_or_stack_id)
        except Exception as exc:
            if stack is None:
                raise
            # moto took the stack out of `stacks` before deleting its resources: put it back.
            self.stacks[stack.stack_id] = stack
            self.deleted_stacks.pop(stack.stack_id, None)
            _fail(stack, "DELETE_FAILED", _describe(exc))

    patcher.replace(parsing, "parse_and_create_resource", patched_create_resource)
    patcher.replace(CloudFormationBackend, "execute_change_set", patched_execute)
    patcher.replace(CloudFormationBackend, "delete_stack", patched_delete_stack)
