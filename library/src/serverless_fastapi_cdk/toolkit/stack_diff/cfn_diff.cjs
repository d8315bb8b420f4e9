// Resource impacts of a template change, from the engine `cdk diff` uses (@aws-cdk/cloudformation-diff).
// Reads {"stacks": [{"name", "old", "new"}]} on stdin (a missing side is null) and writes, per stack, every
// changed resource's impact (WILL_REPLACE, MAY_REPLACE, WILL_DESTROY, WILL_ORPHAN, ...), the properties
// whose change causes a replacement, and whether IAM or security-group permissions broaden.
"use strict";
const { fullDiff, ResourceImpact } = require("@aws-cdk/cloudformation-diff");

const REPLACING = new Set([ResourceImpact.WILL_REPLACE, ResourceImpact.MAY_REPLACE]);

function stackImpacts(stack) {
  const diff = fullDiff(stack.old || {}, stack.new || {});
  const resources = [];
  diff.resources.forEachDifference((logicalId, change) => {
    const replacing = Object.entries(change.propertyUpdates)
      .filter(([, property]) => REPLACING.has(property.changeImpact))
      .map(([name, property]) => ({ name, impact: property.changeImpact }));
    resources.push({
      logicalId,
      impact: change.changeImpact,
      oldType: change.oldResourceType || null,
      newType: change.newResourceType || null,
      replacing,
    });
  });
  return {
    name: stack.name,
    resources,
    permissionsBroadened: diff.permissionsBroadened,
    securityGroupRulesAdded: diff.securityGroupChanges.rulesAdded,
  };
}

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const request = JSON.parse(input);
  process.stdout.write(JSON.stringify({ stacks: request.stacks.map(stackImpacts) }));
});
