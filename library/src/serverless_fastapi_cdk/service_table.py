"""A single-table DynamoDB design: on-demand ``TableV2`` with string partition and sort keys and TTL."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct


class ServiceTable(Construct):
    """On-demand table with point-in-time recovery, encrypted at rest.

    Public attribute: :attr:`table`.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        partition_key: str,
        sort_key: str | None = None,
        ttl_attribute: str | None = None,
        point_in_time_recovery: bool = True,
        deletion_protection: bool = True,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
    ) -> None:
        """Create the table.

        :param partition_key: name of the string partition key. Required.
        :param sort_key: name of the string sort key. Default: none.
        :param ttl_attribute: epoch-seconds attribute that DynamoDB expires items on. Default: no TTL.
        :param point_in_time_recovery: continuous backups (35 days). Default: true.
        :param deletion_protection: refuse ``DeleteTable`` until turned off. Default: true.
        :param removal_policy: what happens to the table when it leaves the stack. Default: ``RETAIN``.
        """
        super().__init__(scope, construct_id)
        string = dynamodb.AttributeType.STRING
        self.table: dynamodb.TableV2 = dynamodb.TableV2(
            self,
            "Table",
            partition_key=dynamodb.Attribute(name=partition_key, type=string),
            sort_key=dynamodb.Attribute(name=sort_key, type=string) if sort_key else None,
            billing=dynamodb.Billing.on_demand(),
            time_to_live_attribute=ttl_attribute,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=point_in_time_recovery
            ),
            deletion_protection=deletion_protection,
            removal_policy=removal_policy,
        )
