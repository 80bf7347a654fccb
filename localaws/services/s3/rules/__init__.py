"""The strict-AWS rules of this service, one refusal a module (registry: `localaws.rules`)."""
