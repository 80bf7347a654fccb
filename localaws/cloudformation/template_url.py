"""Read a `TemplateURL` on an IP-address endpoint as a path-style S3 URL.

moto 5.2.5 (`cloudformation.utils.get_stack_from_s3_url`) treats a URL as path-style only when
it contains `localhost`; for `http://127.0.0.1:PORT/bucket/key` (what SAM CLI sends when
`AWS_ENDPOINT_URL` is an IP) it takes the first label of the host, `127`, as the bucket name and
CreateChangeSet fails with NoSuchBucket. Any host that is an IP address or carries a port is a
local endpoint and is read path-style here.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlparse

from localaws._moto import cfn_models as models
from localaws._moto import cfn_responses as responses
from localaws._moto import cfn_utils as utils
from localaws._moto import s3_backends
from localaws.patching import Patcher


def _is_local_endpoint(netloc_host: str, port: int | None) -> bool:
    if port is not None or netloc_host == "localhost":
        return True
    try:
        ipaddress.ip_address(netloc_host)
    except ValueError:
        return False
    return True


def get_stack_from_s3_url(template_url: str, account_id: str, partition: str) -> str:
    """moto's reader, with path-style addressing for local endpoints."""
    parts = urlparse(template_url)
    if not _is_local_endpoint(parts.hostname or "", parts.port):
        return ORIGINAL(template_url, account_id=account_id, partition=partition)
    bucket_name, _, key_name = parts.path.lstrip("/").partition("/")
    key = s3_backends[account_id][partition].get_object(bucket_name, key_name)
    return key.value.decode("utf-8")  # type: ignore[union-attr]  # None (no key) fails as in moto's reader


ORIGINAL = utils.get_stack_from_s3_url


def apply(patcher: Patcher) -> None:
    # Both modules imported the function by name, so both names are replaced.
    patcher.replace(responses, "get_stack_from_s3_url", get_stack_from_s3_url)
    patcher.replace(models, "get_stack_from_s3_url", get_stack_from_s3_url)
