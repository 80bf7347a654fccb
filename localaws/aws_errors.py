"""Exceptions that answer with AWS's error code, whichever way the refused request came in.

Through the API, moto serialises these with the code AWS uses. Through CloudFormation, the
`stack_failures` fix turns any resource exception into a failed stack whose reason reads
`<class name>: <message>`; each class is therefore named after the AWS error code.
"""

from __future__ import annotations

from localaws._moto import JsonRESTError, MockValidationException, RDSClientError, S3ClientError


class InvalidParameterCombination(RDSClientError):
    """RDS (query protocol): a combination of parameters the service does not allow."""

    code = "InvalidParameterCombination"


class MalformedPolicyDocumentException(JsonRESTError):
    """KMS: the key policy is refused (here: it would lock the caller out)."""

    code = 400

    def __init__(self, message: str) -> None:
        super().__init__("MalformedPolicyDocumentException", message)


class ValidationException(JsonRESTError):
    """KMS and other JSON services: a parameter outside its documented range."""

    code = 400

    def __init__(self, message: str) -> None:
        super().__init__("ValidationException", message)


class InvalidParameterValueException(JsonRESTError):
    """Lambda: a parameter value the service refuses."""

    code = 400

    def __init__(self, message: str) -> None:
        super().__init__("InvalidParameterValueException", message)


class DynamoDBValidationException(MockValidationException):
    """DynamoDB's ValidationException (named so a failed stack's reason shows the code)."""


DynamoDBValidationException.__name__ = "ValidationException"


class InvalidRequest(S3ClientError):
    """S3: a request S3 refuses with `InvalidRequest`."""

    code = "InvalidRequest"

    def __init__(self, message: str) -> None:
        super().__init__(message)
