// Classified differences between two OpenAPI documents, by api-smart-diff (pinned in package.json).
// stdin: {"old": <document>, "new": <document>}; stdout: {"diffs": [{action, type, path, description,
// before, after}]}, values reduced to short JSON text (a whole removed operation is not repeated).
"use strict";
const { apiCompare } = require("api-smart-diff");

const MAX_VALUE = 200;

function text(value) {
  if (value === undefined) return null;
  let rendered;
  try {
    rendered = JSON.stringify(value);
  } catch {
    rendered = String(value);
  }
  return rendered.length > MAX_VALUE ? rendered.slice(0, MAX_VALUE) + "…" : rendered;
}

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const request = JSON.parse(input);
  const { diffs } = apiCompare(request.old, request.new);
  const answer = diffs.map((diff) => ({
    action: diff.action,
    type: diff.type,
    path: diff.path.map(String),
    description: diff.description || "",
    before: text(diff.before),
    after: text(diff.after),
  }));
  process.stdout.write(JSON.stringify({ diffs: answer }));
});
