"""``make deploy ENV=<env>``: pre-flight checks, then ``cdk deploy "<env>/*"``.

The checks: someone is subscribed to the alarms (prod is refused otherwise, others warn), the credentials
work and belong to the target account, the CDK bootstrap is there and recent enough.

It deploys the assembly ``make synth`` just wrote, so what is deployed is what was synthesized, scanned
and diffed.
"""
