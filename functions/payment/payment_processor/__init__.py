"""Payment-event processor: transport-independent core plus thin SQS and ALB adapters."""
