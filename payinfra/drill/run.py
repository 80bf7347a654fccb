"""The drill, step by step, on a deployment the local job has just deployed and verified.

1. Payments at `rate` per second of the drill's clock through each region's handler (in process),
   a quarter of them through the payment queue (the asynchronous path), to the region DNS answers.
2. t0: the primary region's outage starts while one payment is in flight (written, answer lost).
3. Detection: the surviving region learns of the loss after the health checks' interval x
   failure threshold (a modelled wait: the clock jumps); meanwhile clients keep failing.
4. The unplanned failover runs from the target region (never calling the lost one: counted).
   RPO is taken when the target takes over: payments acknowledged before t0 and absent there.
5. Payments continue; the first one acknowledged in the new region ends the RTO.
6. Every payment whose answer was lost is resent with its id (a duplicate is not charged again).
7. The region is restored, replication catches up, the failback runs (stranded messages redriven).
8. Reconciliation (eventual ledger), then the final ledger is compared with what was acknowledged.
"""

from __future__ import annotations

import importlib
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from localaws import LocalAws
from localaws.clock import CLOCK
from payinfra.config import Context
from payinfra.drill.options import DrillOptionError, DrillOptions
from payinfra.drill.queues import poll_once, queue_depth
from payinfra.drill.report import DrillReport, StepTiming, modelled_aws_rto, print_summary, print_timeline
from payinfra.drill.traffic import Answer, Ledgerbook, Resolver, Unreachable, alb_post, outcome_of
from payinfra.paths import ROOT
from payinfra.topology.outputs import RegionalOutput

# One runbook step as the drill reports it: name, start (seconds since the runbook began, on its
# clock), duration, detail.
RunbookEntry = tuple[str, float, float, str]
ClientFactory = Callable[[str, str], Any]
ASYNC_EVERY = 4


def cached_clients(aws: LocalAws) -> ClientFactory:
    """One boto3 client per (service, region) for the whole drill: building one costs tens of
    milliseconds, and the drill makes thousands of calls (queue polls every simulated second)."""
    made: dict[tuple[str, str], Any] = {}

    def client(service: str, region: str) -> Any:
        if (service, region) not in made:
            made[(service, region)] = aws.client(service, region)
        return made[(service, region)]

    return client
  # every 4th payment goes through the payment queue
MAX_RESEND_ROUNDS = 20


def _payment_processor() -> Any:
    """The function's package, as Lambda imports it (functions/payment is its code root)."""
    code = str(ROOT / "functions" / "payment")
    if code not in sys.path:
        sys.path.insert(0, code)
    return importlib.import_module("payment_processor.function")


class Region:
    """One region as the drill's clients see it: its handler, its load balancer, its queue."""

    def __init__(
        self, name: str, aws: LocalAws, ctx: Context, outputs: dict[str, str], client: ClientFactory
    ) -> None:
        self.name = name
        self.aws = aws
        self.client = client
        self.alb_dns = outputs[RegionalOutput.LOAD_BALANCER_DNS_NAME]
        self.queue_url = outputs[RegionalOutput.PAYMENT_QUEUE_URL]
        self.queue_arn = outputs[RegionalOutput.PAYMENT_QUEUE_ARN]
        lam = self.client("lambda", name)
        env = lam.get_function_configuration(FunctionName=ctx.names.concrete("function"))
        variables = dict(env.get("Environment", {}).get("Variables", {}))
        variables.setdefault("DEPLOY_REGION", name)
        variables.setdefault("AWS_REGION", name)
        # The drill's clock: fast-forwarding it expires the fence and config caches as time would.
        self.function = _payment_processor().build(variables, endpoint_url=aws.endpoint_url, clock=CLOCK.now)

    def post(self, payment: dict[str, str]) -> dict[str, Any]:
        if self.aws_down():
            raise Unreachable(f"{self.name} does not answer")
        response: dict[str, Any] = self.function.handle(alb_post(payment, self.alb_dns))
        return response

    def enqueue(self, payment: dict[str, str]) -> None:
        if self.aws_down():
            raise Unreachable(f"{self.name} does not answer")
        import json

        self.client("sqs", self.name).send_message(
            QueueUrl=self.queue_url, MessageBody=json.dumps(payment)
        )

    def poll(self) -> tuple[int, int]:
        if self.aws_down():
            return 0, 0
        sqs = self.client("sqs", self.name)
        return poll_once(sqs, self.queue_url, self.queue_arn, self.name, self.function.handle)

    def aws_down(self) -> bool:
        from localaws.faults import FAULTS

        return FAULTS.is_down(self.name)


class Drill:
    def __init__(
        self,
        aws: LocalAws,
        ctx: Context,
        options: DrillOptions,
        outputs: Callable[[str], dict[str, str]],
        echo: Callable[[str], None],
    ) -> None:
        secondaries = list(ctx.project.secondary_regions)
        target = options.to or secondaries[0]
        if target not in secondaries:
            raise DrillOptionError(
                f"--to {target}: not a secondary region of this context ({', '.join(secondaries)})"
            )
        self.aws, self.ctx, self.options, self.echo = aws, ctx, options, echo
        self.primary, self.target = ctx.project.primary_region, target
        self.client = cached_clients(aws)
        self.regions = {
            name: Region(name, aws, ctx, outputs(name), self.client) for name in ctx.project.region_names
        }
        self.by_alb = {r.alb_dns: r for r in self.regions.values()}
        self.book = Ledgerbook()
        self.report = DrillReport(
            ledger_consistency=ctx.recovery.ledger_consistency,
            primary=self.primary,
            failover_to=target,
            payments=options.payments,
            rate=options.rate,
            lag_ms=options.lag_ms,
            modelled_aws_rto=modelled_aws_rto(ctx),
        )
        self.start = CLOCK.now()
        self._last_poll = self.start
        self.dns = Resolver(answer=self._dns_answer, now=CLOCK.now)
        self.run_id = datetime.now(UTC).strftime("%H%M%S")
        self.created_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    # -- time ------------------------------------------------------------------------------------
    def t(self) -> float:
        return CLOCK.now() - self.start

    def step(self, name: str, began: float, detail: str = "") -> None:
        self.report.steps.append(StepTiming(name, round(began, 3), round(self.t() - began, 3), detail))
        self.echo(f"  [drill {self.t():7.1f}s] {name}{': ' + detail if detail else ''}")

    def wait_until(self, t: float) -> None:
        """Let the drill's clock reach `t`, polling the queues once per simulated second."""
        while self.t() < t:
            CLOCK.advance(min(1.0, t - self.t()))
            if CLOCK.now() - self._last_poll >= 1.0:
                self._last_poll = CLOCK.now()
                for region in self.regions.values():
                    region.poll()

    # -- clients ---------------------------------------------------------------------------------
    def _dns_answer(self) -> list[str]:
        from localaws.services.route53.resolver import answer

        return list(answer(self.ctx.api_name))

    def payment(self, i: int) -> dict[str, str]:
        return {
            "payment_id": f"drill-{self.run_id}-{i:06d}",
            "account_id": "acct_drill",
            "amount": "10.00",
            "currency": "USD",
            "type": "capture",
            "created_at": self.created_at,
        }

    def send(
        self,
        payment: dict[str, str],
        *,
        asynchronous: bool = False,
        lose_answer: Callable[[], None] | None = None,
    ) -> None:
        targets = self.dns.resolve()
        region = self.by_alb.get(targets[0]) if targets else None
        if region is None:
            self.book.record(payment, Answer(payment["payment_id"], "", 0, self.t(), "no DNS answer"))
            return
        try:
            if asynchronous:
                region.enqueue(payment)
                answer = Answer(payment["payment_id"], region.name, 202, self.t(), "queued")
            else:
                status, outcome = outcome_of(region.post(payment))
                answer = Answer(payment["payment_id"], region.name, status, self.t(), outcome)
        except Unreachable:
            answer = Answer(payment["payment_id"], region.name, 0, self.t(), "unreachable")
        except (ClientError, BotoCoreError) as exc:
            answer = Answer(payment["payment_id"], region.name, 0, self.t(), f"error {exc}")
        if lose_answer is not None:  # the outage starts while this answer is on its way
            lose_answer()
            answer = Answer(payment["payment_id"], region.name, 0, self.t(), "answer lost at t0")
        if answer.outcome == "fenced":
            self.report.fenced_refusals += 1
        if asynchronous and answer.status == 202:
            self.queued[payment["payment_id"]] = answer
            self.book.unanswered.pop(payment["payment_id"], None)
        else:
            self.book.record(payment, answer)
        if (
            answer.acknowledged
            and region.name == self.target
            and self.report.first_ack_in_new_region_s is None
            and answer.at > self.report.t0_s > 0
        ):
            self.report.first_ack_in_new_region_s = answer.at
            self.report.rto_s = round(answer.at - self.report.t0_s, 3)

    queued: dict[str, Answer]

    # -- the drill -------------------------------------------------------------------------------
    def inject_outage(self) -> None:
        self.aws.outage(self.primary)
        self.report.t0_s = round(self.t(), 3)
        self.echo(
            f"  [drill {self.t():7.1f}s] t0: outage of {self.primary} injected (one answer in flight is lost)"
        )

    def run(
        self,
        failover: Callable[[Callable[[str], None]], list[RunbookEntry]],
        failback: Callable[[], list[RunbookEntry]],
        reconcile: Callable[[], Any],
    ) -> DrillReport:
        """`failover(after_step)`: the runbook calls `after_step(step_name)` after each step; the
        drill measures RPO after the fence and keeps paying after the notification, while the
        runbook's remaining steps (the database promotion) wait: they are off the payment path."""
        wall = time.monotonic()
        self.queued = {}
        self.next_payment = 0
        n = self.options.payments
        self.outage_index = int(n * self.options.outage_at)
        detection = float(
            self.ctx.recovery.health_check_interval_s * self.ctx.recovery.health_check_failure_threshold
        )
        self.pump(stop=lambda: bool(self.report.t0_s) and self.t() >= self.report.t0_s + detection)
        self.wait_until(self.report.t0_s + detection)
        self.report.steps.append(
            StepTiming("detection (health checks fail: modelled wait)", self.report.t0_s, detection)
        )
        refused_before = self.aws.refused_calls(self.primary)
        began = self.t()
        entries = failover(self.after_runbook_step)
        for name, start, duration, detail in entries:
            self.report.steps.append(
                StepTiming(f"failover: {name}", round(began + start, 3), round(duration, 3), detail)
            )
        self.report.calls_to_lost_region_during_failover = (
            self.aws.refused_calls(self.primary) - refused_before
        )
        self.step(f"failover to {self.target} (unplanned) done", began)
        self.resend_lost("resend every payment still unanswered")
        self.restore_and_fail_back(failback)
        self.finish(reconcile)
        self.report.wall_s = round(time.monotonic() - wall, 2)
        return self.report

    def pump(self, stop: Callable[[], bool]) -> None:
        """Send the scheduled payments (rate per second of the drill's clock) until `stop()`."""
        spacing = 1.0 / self.options.rate
        began = self.t()
        while self.next_payment < self.options.payments and not stop():
            i = self.next_payment
            self.next_payment += 1
            self.wait_until(i * spacing)
            if i == self.outage_index:
                self.step(
                    "payments before the outage",
                    began,
                    f"{i} sent, {len(self.book.acknowledged)} acknowledged",
                )
                self.send(self.payment(i), lose_answer=self.inject_outage)
                continue
            self.send(self.payment(i), asynchronous=i % ASYNC_EVERY == ASYNC_EVERY - 1)

    def after_runbook_step(self, step: str) -> None:
        if step == "fence":  # the target has taken over: what it does not hold now is the RPO
            self.measure_rpo()
        elif step == "notify":  # traffic is switched; payments go on while the database promotes
            began = self.t()
            self.pump(stop=lambda: False)
            self.step("payments after the switch", began, f"up to payment {self.next_payment}")
            self.resend_lost("resend every payment whose answer was lost")

    def measure_rpo(self) -> None:
        """Payments acknowledged by the old primary before t0 that the new one does not hold."""
        ledger = self.client("dynamodb", self.target)
        table = self.ctx.names.concrete("ledger_table")
        missing: list[Answer] = []
        for answer in self.book.acknowledged.values():
            if answer.region != self.primary or answer.at > self.report.t0_s:
                continue
            item = ledger.get_item(
                TableName=table, Key={"payment_id": {"S": answer.payment_id}}, ConsistentRead=True
            )
            if "Item" not in item:
                missing.append(answer)
        self.report.rpo_payments = sorted(a.payment_id for a in missing)
        self.report.rpo_s = round(self.report.t0_s - min(a.at for a in missing), 3) if missing else 0.0

    def resend_lost(self, what: str) -> None:
        began = self.t()
        resent = 0
        for _ in range(MAX_RESEND_ROUNDS * 60):
            if not self.book.unanswered:
                break
            for payment in list(self.book.unanswered.values()):
                resent += 1
                self.send(payment)
            self.wait_until(self.t() + 1.0)
        self.report.answers_lost = len({a.payment_id for a in self.book.answers if not a.acknowledged})
        self.report.resent_as_duplicate = sum(1 for a in self.book.answers if a.outcome == "duplicate")
        self.step(what, began, f"{resent} resends, {len(self.book.unanswered)} still unanswered")

    def restore_and_fail_back(self, failback: Callable[[], list[RunbookEntry]]) -> None:
        began = self.t()
        self.aws.restore(self.primary)
        old = self.regions[self.primary]
        self.report.stranded_messages = queue_depth(self.client("sqs", self.primary), old.queue_url)
        self.step(
            f"{self.primary} restored",
            began,
            f"{self.report.stranded_messages} messages stranded in its queue",
        )
        began = self.t()
        for name, start, duration, detail in failback():
            self.report.steps.append(
                StepTiming(f"failback: {name}", round(began + start, 3), round(duration, 3), detail)
            )
        self.step("failback (planned switch back to " + self.primary + ")", began)
        began = self.t()
        for _ in range(600):
            self.wait_until(self.t() + 1.0)
            depth = sum(
                queue_depth(self.client("sqs", r.name), r.queue_url) for r in self.regions.values()
            )
            if depth == 0:
                break
        self.report.redriven_messages = self.report.stranded_messages - queue_depth(
            self.client("sqs", self.primary), old.queue_url
        )
        self.step("queues drained", began)

    def finish(self, reconcile: Callable[[], Any]) -> None:
        began = self.t()
        result = reconcile()
        ledger = self.client("dynamodb", self.primary)
        table = self.ctx.names.concrete("ledger_table")
        acknowledged = set(self.book.acknowledged) | set(self.queued)
        self.report.acknowledged = len(acknowledged)
        self.report.lost = sorted(
            p
            for p in acknowledged
            if "Item"
            not in ledger.get_item(TableName=table, Key={"payment_id": {"S": p}}, ConsistentRead=True)
        )
        created_twice = sorted(p for p, regions in self.book.created_in.items() if len(regions) > 1)
        if result.needed:
            self.report.double_recorded = result.double_recorded
            self.report.duplicates = result.duplicates
            self.report.reconciliation = {
                "double_recorded": result.double_recorded,
                "voided": result.voided,
                "missing": result.missing,
                "restored": result.restored,
                "lost": result.lost,
            }
        else:
            self.report.double_recorded = created_twice
            self.report.duplicates = created_twice
            self.report.reconciliation = {"needed": False, "why": "strongly consistent ledger"}
        self.step(
            "reconcile and compare the ledger with every acknowledged payment",
            began,
            f"{len(self.report.lost)} lost, {len(self.report.duplicates)} duplicates",
        )


def print_report(report: DrillReport, echo: Callable[[str], None]) -> None:
    print_timeline(report, echo)
    print_summary(report, echo)
