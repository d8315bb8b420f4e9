"""Whether an environment's alarms notify anyone, read from the templates about to be deployed.

An alarm notifies through the SNS topics in its ``AlarmActions``; a topic without a subscription delivers to
nobody, so every alarm on it, the canary's rollback alarms included, fails silently for people (CodeDeploy
still rolls back on them). Prod is refused in that state; other environments deploy with a warning.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tools.deploy.targets import StackTarget

SUBSCRIBERS_REQUIRED = frozenset({"prod"})
"""Environments that are not deployed while an alarm topic has no subscription."""


@dataclass(frozen=True)
class SilentTopic:
    """An SNS topic that alarms notify and nobody is subscribed to."""

    stack: str
    topic: str
    """The topic's logical id."""
    alarms: tuple[str, ...]
    """Names (or logical ids) of the alarms that notify it."""


def silent_alarm_topics(targets: Sequence[StackTarget]) -> list[SilentTopic]:
    """Every topic of the stage's stacks that an alarm notifies and no ``AWS::SNS::Subscription`` names."""
    silent: list[SilentTopic] = []
    for target in targets:
        resources: dict[str, Any] = json.loads(target.template_file.read_text()).get("Resources", {})
        notified: dict[str, list[str]] = {}
        for logical_id, resource in resources.items():
            if resource["Type"] != "AWS::CloudWatch::Alarm":
                continue
            properties = resource.get("Properties", {})
            for action in properties.get("AlarmActions", []):
                topic = action.get("Ref") if isinstance(action, dict) else None
                if topic in resources and resources[topic]["Type"] == "AWS::SNS::Topic":
                    notified.setdefault(topic, []).append(properties.get("AlarmName", logical_id))
        subscribed = {
            resource["Properties"]["TopicArn"].get("Ref")
            for resource in resources.values()
            if resource["Type"] == "AWS::SNS::Subscription"
            and isinstance(resource["Properties"]["TopicArn"], dict)
        }
        silent.extend(
            SilentTopic(stack=target.name, topic=topic, alarms=tuple(alarms))
            for topic, alarms in notified.items()
            if topic not in subscribed
        )
    return silent


def how_to_subscribe(environment: str) -> str:
    return (
        f'name who is on call and synthesize again: make deploy ENV={environment} CDK_ARGS="-c '
        f'{environment}:alarm_emails=oncall@example.com" (comma-separated; {environment}:alarm_https_urls '
        f'for webhooks), or set "{environment}:alarm_emails" in cdk.json\'s context, or notifications in '
        "cdk_app/config.py; each address must confirm the e-mail SNS sends it"
    )


def describe(environment: str, topic: SilentTopic) -> str:
    return (
        f"{environment}: the alarm topic {topic.topic} of {topic.stack} has no subscription, so its "
        f"{len(topic.alarms)} alarms ({', '.join(topic.alarms)}) would notify nobody"
    )
