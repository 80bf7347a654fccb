"""Orchestration: deploy, verify and destroy the three stacks in dependency order.

`plan` computes the order from the config, `graph` runs it, `sam` is the one module that runs
SAM CLI, `commands` ties them to the plugins. The CLI entry is `python -m payinfra`.
"""
