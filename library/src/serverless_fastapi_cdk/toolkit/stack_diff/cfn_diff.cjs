// Resource impacts of a template change, from the engine `cdk diff` uses (@aws-cdk/cloudformation-diff).
// Reads requests {"stacks": [{"name", "old", "new"}]} on stdin, one JSON document a line (a missing side is
// null), and answers each with one line: per stack, every changed resource's impact (WILL_REPLACE,
// MAY_REPLACE, WILL_DESTROY, WILL_ORPHAN, ...), the properties whose change causes a replacement, and
// whether IAM or security-group permissions broaden. It exits when stdin ends, so one process loads the
// resource specification once for however many requests its caller has.
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

const lines = require("node:readline").createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on("line", (line) => {
  if (!line.trim()) return;
  const request = JSON.parse(line);
  process.stdout.write(JSON.stringify({ stacks: request.stacks.map(stackImpacts) }) + "\n");
});
