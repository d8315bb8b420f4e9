"""Evaluate CloudFormation intrinsic functions against local stand-ins for deployed resources.

A deployed stack learns physical ids (table names, secret ARNs, function ARNs) from CloudFormation;
locally they are the values of the resources the emulator really created (moto tables and secrets)
and deterministic placeholders for everything else. Cross-stack references (``Fn::ImportValue`` of
an export, ``Fn::GetStackOutput`` of an output) are answered from the ``Outputs`` of the other stacks
of the same stage, as CloudFormation would.
"""

from __future__ import annotations

import base64
import hashlib
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from serverless_fastapi_cdk.toolkit.cloud_assembly import AssemblyError, StackTemplate

__all__ = [
    "CrossStack",
    "Physical",
    "Resolver",
    "StackTemplate",
    "TemplateError",
    "default_physical",
    "local_id",
]

_NO_VALUE = object()
"""``Ref: AWS::NoValue``: the property or list element disappears."""


class TemplateError(AssemblyError):
    """A template uses something the emulator cannot evaluate; the message names where."""


def local_id(seed: str, *, length: int, alphabet: str = string.ascii_lowercase + string.digits) -> str:
    """A stable identifier shaped like an AWS-generated one, derived from ``seed``."""
    number = int.from_bytes(hashlib.sha256(seed.encode()).digest(), "big")
    chars = []
    for _ in range(length):
        number, index = divmod(number, len(alphabet))
        chars.append(alphabet[index])
    return "".join(chars)


class CrossStack(Protocol):
    """Answers references to values that other stacks of the stage publish."""

    def export(self, name: str) -> Any:
        """The value of the output exported as ``name`` (``Fn::ImportValue``)."""

    def output(self, stack_name: str, output_name: str) -> Any:
        """The value of output ``output_name`` of stack ``stack_name`` (``Fn::GetStackOutput``)."""


@dataclass(frozen=True)
class Physical:
    """What ``Ref`` and ``Fn::GetAtt`` return for one resource."""

    ref: str
    attributes: Mapping[str, str] = field(default_factory=dict)


def default_physical(
    stack: StackTemplate, logical_id: str, resource: Mapping[str, Any], *, region: str, account: str
) -> Physical:
    """The local stand-in for a resource nobody created for real: names follow CloudFormation's rules.

    Resources without an explicit name get ``<stack name>-<logical id>`` where CloudFormation would add
    a random suffix, so every value is the same on every run.
    """
    kind = resource.get("Type", "")
    generated = f"{stack.stack_name}-{logical_id}"[:64]
    properties = resource.get("Properties", {})
    lambda_arn = f"arn:aws:lambda:{region}:{account}:function"
    match kind:
        case "AWS::Lambda::Function":
            name = properties.get("FunctionName")
            name = name if isinstance(name, str) else generated
            return Physical(name, {"Arn": f"{lambda_arn}:{name}"})
        case "AWS::ApiGatewayV2::Api":
            return Physical(local_id(generated, length=10))
        case "AWS::Cognito::UserPool":
            pool_id = f"{region}_{local_id(generated, length=9, alphabet=string.ascii_letters)}"
            provider = f"cognito-idp.{region}.amazonaws.com/{pool_id}"
            return Physical(
                pool_id,
                {
                    "Arn": f"arn:aws:cognito-idp:{region}:{account}:userpool/{pool_id}",
                    "ProviderName": provider,
                    "ProviderURL": f"https://{provider}",
                    "UserPoolId": pool_id,
                },
            )
        case "AWS::Cognito::UserPoolClient":
            return Physical(local_id(generated, length=26), {"ClientId": local_id(generated, length=26)})
        case "AWS::Logs::LogGroup":
            name = properties.get("LogGroupName")
            name = name if isinstance(name, str) else generated
            return Physical(name, {"Arn": f"arn:aws:logs:{region}:{account}:log-group:{name}:*"})
        case _:
            return Physical(
                f"local-{generated}",
                {"Arn": f"arn:aws:local:{region}:{account}:{stack.stack_name}/{logical_id}"},
            )


class Resolver:
    """Resolves intrinsic functions within one stack of a stage."""

    def __init__(
        self,
        stack: StackTemplate,
        *,
        region: str,
        account: str,
        physical: Callable[[StackTemplate, str], Physical],
        cross_stack: CrossStack,
    ) -> None:
        """``physical(stack, logical_id)`` gives a resource's stand-in."""
        self.stack = stack
        self._physical = physical
        self._cross_stack = cross_stack
        self._pseudo = {
            "AWS::Region": region,
            "AWS::AccountId": account,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": stack.stack_name,
            "AWS::StackId": f"arn:aws:cloudformation:{region}:{account}:stack/{stack.stack_name}/local",
        }

    def resolve(self, value: Any, *, where: str = "") -> Any:
        """``value`` with every intrinsic function evaluated; ``where`` names it in error messages."""
        result = self._resolve(value, where or self.stack.stack_name)
        return None if result is _NO_VALUE else result

    def resolve_str(self, value: Any, *, where: str) -> str:
        result = self.resolve(value, where=where)
        if not isinstance(result, str):
            raise TemplateError(f"{where}: expected a string, the template gives {result!r}")
        return result

    def _resolve(self, value: Any, where: str) -> Any:
        if isinstance(value, list):
            items = [self._resolve(item, where) for item in value]
            return [item for item in items if item is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, argument), *_ = value.items()
            handler = self._functions.get(key)
            if handler is not None:
                return handler(self, argument, where)
            if key.startswith("Fn::"):
                raise TemplateError(f"{where}: the emulator cannot evaluate {key}")
        resolved = {key: self._resolve(item, f"{where}.{key}") for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not _NO_VALUE}

    def _ref(self, name: Any, where: str) -> Any:
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name in self._pseudo:
            return self._pseudo[name]
        parameters = self.stack.template.get("Parameters", {})
        if name in parameters:
            if "Default" not in parameters[name]:
                raise TemplateError(f"{where}: parameter {name} has no default to use locally")
            return parameters[name]["Default"]
        if name in self.stack.resources:
            return self._physical(self.stack, name).ref
        raise TemplateError(f"{where}: Ref to unknown {name!r}")

    def _get_att(self, argument: Any, where: str) -> str:
        logical_id, attribute = argument.split(".", 1) if isinstance(argument, str) else argument
        attribute = self._resolve(attribute, where)
        if logical_id not in self.stack.resources:
            raise TemplateError(f"{where}: Fn::GetAtt of unknown resource {logical_id!r}")
        physical = self._physical(self.stack, logical_id)
        if attribute not in physical.attributes:
            kind = self.stack.resources[logical_id].get("Type")
            raise TemplateError(
                f"{where}: the emulator has no local value for {kind} {logical_id}.{attribute}"
            )
        return physical.attributes[attribute]

    def _join(self, argument: Any, where: str) -> str:
        delimiter, items = argument
        parts = self._resolve(items, where)
        return str(delimiter).join(str(part) for part in parts)

    def _sub(self, argument: Any, where: str) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        values = {name: self._resolve(item, where) for name, item in variables.items()}

        def lookup(name: str) -> str:
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in values:
                return str(values[name])
            if "." in name:
                return self._get_att(name, where)
            return str(self._ref(name, where))

        out: list[str] = []
        rest = text
        while "${" in rest:
            before, _, after = rest.partition("${")
            name, closed, rest = after.partition("}")
            if not closed:
                raise TemplateError(f"{where}: unterminated ${{ in Fn::Sub {text!r}")
            out += [before, lookup(name)]
        out.append(rest)
        return "".join(out)

    def _select(self, argument: Any, where: str) -> Any:
        index, items = argument
        resolved = self._resolve(items, where)
        return resolved[int(self._resolve(index, where))]

    def _split(self, argument: Any, where: str) -> list[str]:
        delimiter, text = argument
        return str(self._resolve(text, where)).split(delimiter)

    def _import(self, argument: Any, where: str) -> Any:
        return self._cross_stack.export(self.resolve_str(argument, where=where))

    def _stack_output(self, argument: Any, where: str) -> Any:
        reference = self._resolve(argument, where)
        return self._cross_stack.output(str(reference["StackName"]), str(reference["OutputName"]))

    def _find_in_map(self, argument: Any, where: str) -> Any:
        name, top, second = (self._resolve(part, where) for part in argument)
        try:
            return self.stack.template["Mappings"][name][top][second]
        except KeyError as missing:
            raise TemplateError(f"{where}: Fn::FindInMap {name}/{top}/{second} has no entry") from missing

    def _condition(self, name: str, where: str) -> bool:
        conditions = self.stack.template.get("Conditions", {})
        if name not in conditions:
            raise TemplateError(f"{where}: unknown condition {name!r}")
        return bool(self._resolve(conditions[name], where))

    def _if(self, argument: Any, where: str) -> Any:
        name, if_true, if_false = argument
        return self._resolve(if_true if self._condition(name, where) else if_false, where)

    def _equals(self, argument: Any, where: str) -> bool:
        left, right = (self._resolve(part, where) for part in argument)
        return bool(left == right)

    _functions: Mapping[str, Callable[[Resolver, Any, str], Any]] = {
        "Ref": _ref,
        "Fn::GetAtt": _get_att,
        "Fn::Join": _join,
        "Fn::Sub": _sub,
        "Fn::Select": _select,
        "Fn::Split": _split,
        "Fn::ImportValue": _import,
        "Fn::GetStackOutput": _stack_output,
        "Fn::FindInMap": _find_in_map,
        "Fn::If": _if,
        "Fn::Equals": _equals,
        "Fn::Not": lambda self, argument, where: not self._resolve(argument[0], where),
        "Fn::And": lambda self, argument, where: all(self._resolve(item, where) for item in argument),
        "Fn::Or": lambda self, argument, where: any(self._resolve(item, where) for item in argument),
        "Condition": lambda self, argument, where: self._condition(argument, where),
        "Fn::Base64": lambda self, argument, where: base64.b64encode(
            self.resolve_str(argument, where=where).encode()
        ).decode(),
    }
