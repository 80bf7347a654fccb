"""A region in an outage refuses every call signed for it (503 ServiceUnavailable); others answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localaws import LocalAws
from localaws.faults import FAULTS
from localaws.faults_middleware import signed_region


def _refused(call: Callable[[], Any]) -> ClientError:
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value


def test_calls_signed_for_a_region_in_an_outage_get_503(aws: LocalAws, client: Callable[..., Any]) -> None:
    east1, east2 = client("sqs", "us-east-1"), client("sqs", "us-east-2")
    east1.create_queue(QueueName="before")
    aws.outage("us-east-1")

    error = _refused(east1.list_queues)  # query/JSON protocol
    assert error.response["Error"]["Code"] == "ServiceUnavailable"
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    ddb_error = _refused(lambda: client("dynamodb", "us-east-1").list_tables())  # JSON protocol
    assert ddb_error.response["Error"]["Code"] == "ServiceUnavailable"
    s3_error = _refused(lambda: client("s3", "us-east-1").list_buckets())  # REST-XML protocol
    assert s3_error.response["Error"]["Code"] == "ServiceUnavailable"
    assert east2.create_queue(QueueName="elsewhere")["QueueUrl"]  # another region answers
    assert aws.refused_calls("us-east-1") == 3
    assert aws.refused_calls("us-east-2") == 0


def test_route53_is_lost_with_us_east_1(aws: LocalAws, client: Callable[..., Any]) -> None:
    """Route 53's API is signed for us-east-1 whatever the client's region (its control plane)."""
    aws.outage("us-east-1")
    error = _refused(lambda: client("route53", "us-east-2").list_hosted_zones())
    assert error.response["Error"]["Code"] == "ServiceUnavailable"
    aws.restore("us-east-1")
    assert client("route53", "us-east-2").list_hosted_zones()["HostedZones"] == []


def test_restore_and_reset_end_the_outage(aws: LocalAws, client: Callable[..., Any]) -> None:
    aws.outage("us-west-2")
    aws.clock.advance(30)
    _refused(lambda: client("sqs", "us-west-2").list_queues())
    aws.restore("us-west-2")
    client("sqs", "us-west-2").list_queues()
    aws.outage("us-west-2")
    aws.reset()  # moto's reset is unsigned: it passes, and ends every fault
    assert not FAULTS.down
    assert aws.refused_calls("us-west-2") == 0
    assert aws.clock.skipped == 0
    client("sqs", "us-west-2").list_queues()


def test_isolation_keeps_answering_clients(aws: LocalAws, client: Callable[..., Any]) -> None:
    aws.isolate("us-east-2")
    assert client("sqs", "us-east-2").list_queues() is not None
    assert not FAULTS.reachable("us-east-2", "us-east-1")


def test_signed_region_reads_header_and_presigned_query() -> None:
    header = "AWS4-HMAC-SHA256 Credential=AKID/20250101/eu-west-1/s3/aws4_request, Signature=x"
    assert signed_region({"HTTP_AUTHORIZATION": header}) == "eu-west-1"
    query = "X-Amz-Credential=AKID%2F20250101%2Fus-east-2%2Fs3%2Faws4_request&X-Amz-Signature=x"
    assert signed_region({"QUERY_STRING": query}) == "us-east-2"
    assert signed_region({}) is None


def test_global_control_planes_map_to_us_east_1() -> None:
    header = "AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-2/route53/aws4_request, Signature=x"
    assert signed_region({"HTTP_AUTHORIZATION": header}) == "us-east-1"
