"""IaC scanners over every synthesized template: cfn-lint (with the serverless rules) and checkov.

They run from their own virtualenv (``.venv-scan/``, pinned in ``requirements.txt`` beside this file)
so that their dependencies never clash with the project's. A finding passes only when the flagged
resource acknowledges it in its ``Metadata`` with a reason
(see ``serverless_fastapi_cdk.scanner_acknowledgements``).
"""
