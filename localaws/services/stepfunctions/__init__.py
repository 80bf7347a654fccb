"""Step Functions: how the inventory describes a state machine."""
