"""The inputs of ``make docs`` made from the session's synthesized app, not from a synthesis of their own."""

from __future__ import annotations

import pytest

from tests.support.cdk_synthesis import ENVIRONMENTS, ROOT, STACK_KINDS, SynthesizedApp
from tools.docs.nag import acknowledgements, app_with_subscribers
from tools.docs.pages import Sources


@pytest.fixture(scope="session")
def docs_sources(synthesized_app: SynthesizedApp) -> Sources:
    """What ``make docs`` reads: every environment's templates, and the acknowledgements of the app built
    with alarm subscribers (only that brings the notification dead-letter queue)."""
    stages = {
        environment: {
            synthesized_app.stack(environment, kind).stack_name: synthesized_app.template_json(
                environment, kind
            )
            for kind in STACK_KINDS
        }
        for environment in ENVIRONMENTS
    }
    return Sources(root=ROOT, stages=stages, acknowledgements=acknowledgements(app_with_subscribers()))
