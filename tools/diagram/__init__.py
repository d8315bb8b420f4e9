"""The architecture picture (docs/architecture.svg), drawn from a synthesized stage's templates.

:mod:`tools.diagram.graph` reads which resources refer to which (``Ref``, ``Fn::GetAtt``, ``Fn::Sub``,
cross-stack outputs, IAM policy statements, CodeDeploy's alias update policy); :mod:`tools.diagram.svg`
lays that graph out in columns and writes it as SVG. Nothing in the picture is typed in by hand, so it
follows the app. ``make docs`` writes it.
"""
