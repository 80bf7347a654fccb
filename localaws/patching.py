"""Reversible monkey-patches of moto internals, and the one registry of extra CloudFormation models.

moto is process-global state, so every fix changes it for the whole process. Recording each
replacement lets a test run the same scenario with and without a fix (and proves the fix is
what makes it pass), and lets `LocalAws` leave moto as it found it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

from localaws._moto import CloudFormationModel
from localaws._moto import cfn_parsing as parsing

_MISSING = object()


class Patcher:
    """Replaces attributes and remembers the originals so `revert()` restores them exactly."""

    def __init__(self) -> None:
        self._undo: list[tuple[object, str, object]] = []

    def replace(self, owner: object, attr: str, new: object) -> None:
        """Set `owner.attr = new`, keeping the attribute as `owner` itself held it (or its absence)."""
        own = vars(owner) if isinstance(owner, type) else getattr(owner, "__dict__", {})
        self._undo.append((owner, attr, own.get(attr, _MISSING)))
        setattr(owner, attr, new)

    def wrap_classmethod(self, cls: type, name: str, wrapper: Callable[..., Callable[..., Any]]) -> None:
        """Replace classmethod `name` with `wrapper(original_bound_function)` (also a classmethod)."""
        original = getattr(cls, name).__func__

        def patched(klass: type, /, *args: Any, **kwargs: Any) -> Any:
            return wrapper(functools.partial(original, klass))(*args, **kwargs)

        self.replace(cls, name, classmethod(patched))

    def register_models(self, models: Iterable[type[CloudFormationModel]]) -> None:
        """Make moto's CloudFormation parser know `models` (the types it otherwise skips).

        moto finds models through `CloudFormationModel.__subclasses__()` behind `lru_cache`d
        lookups; our models derive from `EmulatorModel`, so they are found only through this
        registration, which `revert()` undoes.
        """
        extra = tuple(models)
        previous = parsing.get_model_list

        @functools.lru_cache
        def get_model_list() -> list[type[CloudFormationModel]]:
            return [*previous(), *extra]

        self.replace(parsing, "get_model_list", get_model_list)
        _clear_model_caches()

    def revert(self) -> None:
        """Undo every replacement, newest first."""
        while self._undo:
            owner, attr, original = self._undo.pop()
            if original is _MISSING:
                delattr(owner, attr)
            else:
                setattr(owner, attr, original)
        _clear_model_caches()


def _clear_model_caches() -> None:
    for cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        clear = getattr(cached, "cache_clear", None)
        if clear is not None:
            clear()


class EmulatorModel(CloudFormationModel):
    """Base of the CloudFormation models the emulator adds (not a direct moto subclass on purpose).

    Subclasses implement a resource type over a moto service backend that already exists.
    `physical_resource_id` is what `Ref` returns and what DescribeStackResources reports.
    """

    physical_resource_id: str

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in getattr(cls, "ATTRIBUTES", ())

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        from localaws._moto import UnformattedGetAttTemplateException

        attributes: dict[str, Any] = getattr(self, "attributes", {})
        if attribute_name not in attributes:
            raise UnformattedGetAttTemplateException()
        return attributes[attribute_name]

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> Any:
        """Replace: delete the old resource, create the new one (correct for every type here)."""
        original_resource.delete(account_id, region_name)
        return cls.create_from_cloudformation_json(
            new_resource_name, cloudformation_json, account_id, region_name
        )

    def delete(self, account_id: str, region_name: str) -> None:  # pragma: no cover - abstract
        raise NotImplementedError
