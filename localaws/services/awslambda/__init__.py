"""Lambda: function settings moto drops, permissions, and the concurrency and SQS event-source rules."""
