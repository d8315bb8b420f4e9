"""Helpers shared by every test suite.

- :mod:`tests.support.aws_emulator`: moto's server on a loopback port, and the service's table and
  secret created in it from :mod:`runtime.contract`.
- :mod:`tests.support.apigw`: API Gateway HTTP API (payload 2.0) events, a Lambda context, and the
  decoded response of an invocation.
- :mod:`tests.support.faults`: AWS error responses injected through botocore's event hooks.
- :mod:`tests.support.aws_calls`: the responses of the AWS calls the code under test makes.
- :mod:`tests.support.observability`: the JSON log lines and EMF metric blobs a test produced.
"""
