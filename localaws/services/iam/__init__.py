"""IAM: a role's managed policies, attached and detached with the stack."""
