"""SNS: subscriptions pending until confirmed, as AWS keeps them (topic policies: `services.sqs`)."""
