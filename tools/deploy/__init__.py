"""``make deploy ENV=<env>``: pre-flight checks (credentials, CDK bootstrap), then ``cdk deploy "<env>/*"``.

It deploys the assembly ``make synth`` just wrote, so what is deployed is what was synthesized, scanned
and diffed.
"""
