"""ECS: clusters, task definitions and services created and deleted with the stack."""
