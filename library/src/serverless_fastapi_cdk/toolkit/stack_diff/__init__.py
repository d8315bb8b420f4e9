"""Offline diff of two CDK cloud assemblies: what a merge would change in every stack of every environment.

`python -m toolkit.stack_diff` (or `make diff`) synthesizes a base git ref and the working tree, compares
them and writes a Markdown report with a danger section (stateful resources replaced, deleted or
renamed), a security section (IAM, authorizers, resource policies, anything public) and the per-stack
resource changes.
"""
