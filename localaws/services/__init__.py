"""One package per AWS service: the fixes that make moto's models of it behave as AWS does, and,
in its `rules` package, the strict-AWS rules (one refusal a module, with its AWS documentation).

A folder is named after moto's package for the service (`awslambda`, as `lambda` is a keyword).
The order in which all of them are applied is `localaws.order`.
"""
