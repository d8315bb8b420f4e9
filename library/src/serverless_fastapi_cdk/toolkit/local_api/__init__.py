"""A local stand-in for API Gateway (HTTP API) and Lambda that serves a synthesized CDK assembly.

``python -m toolkit.local_api`` (``make run``) reads one environment's templates and assets from a cloud
assembly, starts DynamoDB and Secrets Manager in moto's server mode, a local JWT issuer, and an HTTP
front end that applies the template's routes, JWT authorizers, CORS and throttling and hands each
request, as an API Gateway payload 2.0 event, to the function's code running in isolated worker
processes laid out like Lambda execution environments. docs/local-emulator.md says what it
reproduces and what it does not.
"""
