"""The embedded local AWS the pipeline runs against: moto's server, in-process, with fixes.

No credentials, no internet. Clients reach it exactly as they reach AWS, through the standard
`AWS_ENDPOINT_URL` variable that boto3, the AWS CLI and SAM CLI honour, so templates, plugins and
orchestration have no local-only code path.

    from localaws import LocalAws

    with LocalAws() as aws:                       # free port on 127.0.0.1; stops on exit
        aws.endpoint_url                          # "http://127.0.0.1:PORT"
        env = aws.subprocess_env(os.environ)      # for `sam build/deploy/delete`, the AWS CLI, plugins
        subprocess.run(["sam", "deploy", ...], env=env, check=True)
        aws.client("ec2", "us-east-2")            # a boto3 client on the emulator
        inv = aws.inventory("payments-primary-dev", "us-east-1")
        print(inv.render())                       # per type: declared/created/describable/...
        inv.complete                              # every declared resource created and describable
        inv.not_materialised()                    # {type: [logical ids]} the emulator did not make
        ...                                       # delete the stack, then:
        aws.leftovers(inv)                        # what its services still describe (want: [])
        aws.reset()                               # empty every service (POST /moto-api/reset)

What the emulator does not do (reported, never faked): nothing runs or moves data. Lambda is
not invoked (no container runtime), ECS tasks do not start, RDS has no engine, S3 replication
and DynamoDB global tables copy nothing. Bucket-policy statements with a `Condition` are not
enforced. moto writes server access logs into the target bucket at once, and a non-empty
bucket fails the stack's deletion (as on AWS): destroy empties buckets, versions included,
first. Change sets execute synchronously; a failed update is not rolled back
(UPDATE_ROLLBACK_FAILED). A cross-region peering stays pending-acceptance until accepted in the
accepter region, as on AWS.

`take_inventory`/`check_deleted` work against AWS too (session, no endpoint). CLI:
`python -m localaws [--port N] [--list-rules]` serves until Ctrl-C.

Layout (moto's and LocalStack's shape; nothing here imports payinfra):
    server.py           `LocalAws`: moto's server in this process, ports, lifecycle
    _moto.py            every moto name used, after the pinned-version check: a moto upgrade
                        is this one file to review
    patching.py         `Patcher` (reversible patches) and `EmulatorModel` (added resource types)
    cloudformation/     fixes to the CloudFormation engine (transforms, change sets, failures...)
    services/<service>/ that service's fixes (models, behaviour), `rules/` (strict-AWS
                        refusals, one a module, with the AWS documentation that states it) and
                        `checkers.py` (how the inventory describes and reads back its resources)
    order.py            `FIXES`: the order of application, with the reason where it matters
    rules.py            the registry of strict rules (`RULES`, `--list-rules`)
    inventory.py        declared vs created vs described, through each service's API
    checkers.py         the registry of the services' checkers; describing.py, what they are
                        written with (`ServiceCheckers`, `Prop`, `Missing`)
    testing.py          `mock_aws` and moto state for tests outside this package

Order: `LocalAws.start()` applies every fix in `order.FIXES` order, then every rule in `RULES`
order (rules wrap some fixes' models); `stop()` reverts both. A fix's module docstring says
which moto behaviour it changes and why; `LocalAws(skip_fixes={...})` leaves fixes out (the
tests use it to show what a fix repairs), `skip_rules={...}` rules.
"""

from ._moto import PINNED_MOTO_VERSION, MotoVersionError
from .inventory import ResourceCheck, StackInventory, TypeCounts, check_deleted, take_inventory
from .order import FIX_NAMES
from .rules import RULE_IDS
from .server import FAKE_ACCOUNT_ID, EmulatorError, LocalAws
from .services.sns.subscriptions import confirmation_messages

__all__ = [
    "FAKE_ACCOUNT_ID",
    "FIX_NAMES",
    "PINNED_MOTO_VERSION",
    "RULE_IDS",
    "EmulatorError",
    "LocalAws",
    "MotoVersionError",
    "ResourceCheck",
    "StackInventory",
    "TypeCounts",
    "check_deleted",
    "confirmation_messages",
    "take_inventory",
]
