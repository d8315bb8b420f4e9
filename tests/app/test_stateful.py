"""The stateful stack: table, user pool and client, cursor-signing secret, and how each is protected."""

from __future__ import annotations

from typing import Any

from runtime import contract
from tests.support.cdk_synthesis import SynthesizedApp, logical_id

RETAINED = {"dev": False, "staging": True, "prod": True}
DELETION_PROTECTED = {"dev": False, "staging": False, "prod": True}
TERMINATION_PROTECTED = {"dev": False, "staging": False, "prod": True}


def resource(app: SynthesizedApp, environment: str, construct: Any) -> dict[str, Any]:
    found: dict[str, Any] = app.template_json(environment, "Stateful")["Resources"][logical_id(construct)]
    return found


def test_table_is_on_demand_with_the_runtime_key_schema_and_ttl(synthesized_app, environment):
    table = resource(synthesized_app, environment, synthesized_app.stages[environment].stateful.table)
    properties = table["Properties"]

    assert table["Type"] == "AWS::DynamoDB::GlobalTable"
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["KeySchema"] == [
        {"AttributeName": contract.TABLE_PARTITION_KEY, "KeyType": "HASH"},
        {"AttributeName": contract.TABLE_SORT_KEY, "KeyType": "RANGE"},
    ]
    assert properties["AttributeDefinitions"] == [
        {"AttributeName": contract.TABLE_PARTITION_KEY, "AttributeType": "S"},
        {"AttributeName": contract.TABLE_SORT_KEY, "AttributeType": "S"},
    ]
    assert properties["TimeToLiveSpecification"] == {
        "AttributeName": contract.TABLE_TTL_ATTRIBUTE,
        "Enabled": True,
    }
    assert "GlobalSecondaryIndexes" not in properties


def test_table_has_point_in_time_recovery_everywhere(synthesized_app, environment):
    table = resource(synthesized_app, environment, synthesized_app.stages[environment].stateful.table)
    (replica,) = table["Properties"]["Replicas"]

    assert replica["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}


def test_table_deletion_protection_and_retention_follow_the_environment(synthesized_app, environment):
    table = resource(synthesized_app, environment, synthesized_app.stages[environment].stateful.table)
    (replica,) = table["Properties"]["Replicas"]
    policy = "Retain" if RETAINED[environment] else "Delete"

    assert replica["DeletionProtectionEnabled"] is DELETION_PROTECTED[environment]
    assert table["DeletionPolicy"] == policy
    assert table["UpdateReplacePolicy"] == policy


def test_user_pool_is_invitation_only_with_mfa_and_a_strong_password_policy(synthesized_app, environment):
    identity = synthesized_app.stages[environment].stateful.identity
    pool = resource(synthesized_app, environment, identity.user_pool)
    properties = pool["Properties"]

    assert properties["AdminCreateUserConfig"] == {"AllowAdminCreateUserOnly": True}
    assert properties["MfaConfiguration"] == "ON"
    assert properties["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    assert properties["Policies"]["PasswordPolicy"] == {
        "MinimumLength": 12,
        "RequireLowercase": True,
        "RequireNumbers": True,
        "RequireSymbols": True,
        "RequireUppercase": True,
        "TemporaryPasswordValidityDays": 3,
    }
    assert properties["DeletionProtection"] == ("ACTIVE" if DELETION_PROTECTED[environment] else "INACTIVE")
    assert pool["DeletionPolicy"] == ("Retain" if RETAINED[environment] else "Delete")


def test_app_client_is_public_srp_only_and_hides_user_existence(synthesized_app, environment):
    identity = synthesized_app.stages[environment].stateful.identity
    properties = resource(synthesized_app, environment, identity.client)["Properties"]

    assert properties["UserPoolId"] == {"Ref": logical_id(identity.user_pool)}
    assert properties["GenerateSecret"] is False
    assert properties["ExplicitAuthFlows"] == ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    assert properties["PreventUserExistenceErrors"] == "ENABLED"


def test_app_client_has_no_oauth_flows_scopes_or_callback(synthesized_app, environment):
    """CDK's client defaults to the code and implicit grants, every scope and https://example.com."""
    identity = synthesized_app.stages[environment].stateful.identity
    properties = resource(synthesized_app, environment, identity.client)["Properties"]

    assert properties["AllowedOAuthFlowsUserPoolClient"] is False
    oauth = {"AllowedOAuthFlows", "AllowedOAuthScopes", "CallbackURLs", "LogoutURLs", "DefaultRedirectURI"}
    assert oauth & set(properties) == set()


def test_cursor_secret_is_generated_and_kept_with_the_data(synthesized_app, environment):
    secret = resource(
        synthesized_app, environment, synthesized_app.stages[environment].stateful.cursor_secret
    )

    assert secret["Properties"]["GenerateSecretString"] == {"ExcludePunctuation": True, "PasswordLength": 64}
    assert "SecretString" not in secret["Properties"]
    assert secret["DeletionPolicy"] == ("Retain" if RETAINED[environment] else "Delete")


def test_termination_protection_only_guards_prod_stateful(synthesized_app, environment):
    nested = synthesized_app.assembly.get_nested_assembly(f"assembly-{environment}")
    protection = {stack.hierarchical_id: stack.termination_protection for stack in nested.stacks}

    assert protection == {
        f"{environment}/Stateful": TERMINATION_PROTECTED[environment],
        f"{environment}/Stateless": False,
    }
