"""Request limits the handler and the edge share: the WAF rule in front of the ALB is rendered from
this module, so the two can never disagree.

WAF in front of an Application Load Balancer inspects at most the first 8 KB (8,192 bytes) of a
body, and the `SizeRestrictions_BODY` rule of `AWSManagedRulesCommonRuleSet` blocks anything
larger (https://docs.aws.amazon.com/waf/latest/developerguide/web-acl-setting-body-inspection-limit.html,
https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-baseline.html).
So the API accepts bodies up to exactly that, and above it the edge answers with the handler's
own 413 body (`payload_too_large_body`), byte for byte.

Standard library only: `payinfra` loads this file by path at render time without importing the
handler package, and the handler pays nothing for it per event (constants, read at import).
"""

import json

MAX_BODY_BYTES = 8 * 1024
PAYLOAD_TOO_LARGE_CODE = "payload_too_large"
PAYLOAD_TOO_LARGE_MESSAGE = f"the body must be at most {MAX_BODY_BYTES} bytes"


def payload_too_large_body(region: str) -> str:
    """The handler's 413 response body for `region`, as the ALB route serialises it (compact JSON).

    The edge's WAF custom response must be this exact text; the handler builds its copy with its
    own encoder, and a test asserts the two (and the rendered template) are identical.
    """
    error = {"code": PAYLOAD_TOO_LARGE_CODE, "message": PAYLOAD_TOO_LARGE_MESSAGE}
    return json.dumps({"error": error, "region": region}, separators=(",", ":"))
