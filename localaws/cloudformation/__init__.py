"""Fixes to moto's CloudFormation engine, one a module: what CloudFormation does that moto does not.

Template processing (`template_hook`: the SAM and Secrets Manager transforms, `Fn::GetAZs`,
`Fn::GetStackOutput`, dotted `GetAtt` names, `TemplateURL`), change sets (`changeset_*`), stack
failures and resource lists, deletion, dynamic references and wait condition handles. Models of a
service's own resource types live with that service, in `localaws.services`.
"""
