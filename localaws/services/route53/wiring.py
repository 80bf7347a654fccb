"""Where moto's Route 53 request handling lives, found from the names `localaws._moto` exports.

moto routes a REST request by the URL patterns of the service's `urls` module (read on every
in-process request, and when the server builds its routes), to methods of its response class.
Two operations this package answers have no pattern there (TestDNSAnswer,
GetHealthCheckLastFailureReason), so the patterns are added, and the methods, to that class.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from localaws._moto import Route53Backend, cfn_parsing


def urls_module() -> ModuleType:
    """moto's `route53.urls` (the package of the backend's module)."""
    return importlib.import_module(Route53Backend.__module__.rsplit(".", 1)[0] + ".urls")


def response_class() -> type[Any]:
    """The class whose `dispatch` every Route 53 URL pattern routes to."""
    dispatch = next(iter(urls_module().url_paths.values()))
    owner: type[Any] = dispatch.__self__
    return owner


def health_check_class() -> type[Any]:
    """moto's Route 53 health check (its CloudFormation model for AWS::Route53::HealthCheck)."""
    model: type[Any] = cfn_parsing.get_model_map()["AWS::Route53::HealthCheck"]
    return model
