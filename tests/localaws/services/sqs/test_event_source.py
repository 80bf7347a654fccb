"""A queue with a Lambda event source mapping keeps each sent message untouched (moto received it
in line, tried Docker and counted a receive toward maxReceiveCount)."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from localaws import LocalAws


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return {}\n")
    return buffer.getvalue()


@pytest.mark.parametrize("fixed", [True, False])
def test_a_sent_message_waits_for_the_poller_with_no_receive_counted(fixed: bool) -> None:
    with LocalAws(skip_fixes=set() if fixed else {"sqs_event_source"}) as aws:
        iam, sqs, lam = (aws.client(s, "us-east-1") for s in ("iam", "sqs", "lambda"))
        role = iam.create_role(
            RoleName="fn",
            AssumeRolePolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "lambda.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
        )["Role"]["Arn"]
        fn = lam.create_function(
            FunctionName="fn",
            Runtime="python3.11",
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": _zip()},
        )["FunctionArn"]
        url = sqs.create_queue(QueueName="payments")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=fn, BatchSize=10)
        sqs.send_message(QueueUrl=url, MessageBody="{}")
        (message,) = sqs.receive_message(QueueUrl=url, AttributeNames=["All"])["Messages"]
        count = int(message["Attributes"]["ApproximateReceiveCount"])
        assert count == (1 if fixed else 2)  # moto alone received it once already
