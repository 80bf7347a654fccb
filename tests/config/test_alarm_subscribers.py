"""alarms.subscriber_emails / subscriber_https_endpoint: each bad value is one line naming the key."""

from __future__ import annotations

import pytest

from payinfra.config import ConfigError, load_context


def problems(*overrides: str) -> list[str]:
    with pytest.raises(ConfigError) as err:
        load_context(overrides=list(overrides))
    return err.value.problems


def test_defaults_notify_an_ops_address_in_each_region() -> None:
    ctx = load_context()
    for region in ctx.regions.values():
        assert region.alarms.subscriber_emails == ("payments-oncall@example.com",)
        assert region.alarms.subscriber_https_endpoint == ""


def test_a_region_can_add_its_own_subscribers() -> None:
    ctx = load_context(
        overrides=[
            "us-east-2.alarms.subscriber_emails=['dr@example.com']",
            "us-east-2.alarms.subscriber_https_endpoint=https://hooks.example.com:8443/sns",
        ]
    )
    assert ctx.secondaries["us-east-2"].alarms.subscriber_emails == ("dr@example.com",)
    assert ctx.secondaries["us-east-2"].alarms.subscriber_https_endpoint == "https://hooks.example.com:8443/sns"
    assert ctx.primary.alarms.subscriber_emails == ("payments-oncall@example.com",)


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("us-east-2.alarms.subscriber_emails=['oncall']",
         "us-east-2.alarms.subscriber_emails: not an email address: 'oncall'"),
        ("us-east-1.alarms.subscriber_emails=['Ops <ops@example.com>']",
         "us-east-1.alarms.subscriber_emails: not an email address: 'Ops <ops@example.com>'"),
        ("us-east-1.alarms.subscriber_emails=['a@example.com', 'A@example.com']",
         "us-east-1.alarms.subscriber_emails: contains duplicates "
         "(SNS subscribes an endpoint once per topic)"),
        ("us-east-2.alarms.subscriber_https_endpoint=http://hooks.example.com",
         "us-east-2.alarms.subscriber_https_endpoint: 'http://hooks.example.com' must be empty or an "
         "https:// URL (SNS https protocol)"),
    ],
)
def test_bad_subscribers_name_the_key(override: str, expected: str) -> None:
    assert problems(override) == [expected]


def test_a_region_nobody_is_told_about_is_refused() -> None:
    assert problems("us-east-2.alarms.subscriber_emails=[]") == [
        "us-east-2.alarms.subscriber_emails: no subscriber: set subscriber_emails and/or "
        "subscriber_https_endpoint, or every alarm notifies nobody"
    ]
