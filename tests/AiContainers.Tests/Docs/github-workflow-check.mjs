// Checks a GitHub Actions workflow with GitHub's own parser and schema, @actions/workflow-parser (npm; the parser
// of the Actions language service), offline: parseWorkflow validates against workflow-v1.0 (keys, types, where
// each expression context is allowed), convertWorkflowTemplate builds the job graph (needs, outputs, steps).
// Prints {"errors": [...], "jobs": [{"id", "steps": [{"id", "uses"|"run"}]}]} for CiExamplesTests.
//   node github-workflow-check.mjs NODE_MODULES_PARENT WORKFLOW_FILE
import { readFileSync } from "node:fs";
import { register } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [modulesParent, workflowPath] = process.argv.slice(2);
// The package imports its schema (workflow-v1.0.min.json) without `with { type: "json" }`, which bundlers accept and
// Node 20 refuses (ERR_IMPORT_ASSERTION_TYPE_MISSING): a load hook supplies the attribute for .json files.
register("data:text/javascript," + encodeURIComponent(`
  export async function load(url, context, nextLoad) {
    if (url.endsWith(".json")) return nextLoad(url, { ...context, importAttributes: { ...context.importAttributes, type: "json" } });
    return nextLoad(url, context);
  }`));
// The package is ESM with an exports map: imported by file URL from the folder build/test.sh installs it into.
const parser = await import(pathToFileURL(join(modulesParent, "node_modules", "@actions", "workflow-parser", "dist", "index.js")));
const trace = { info() {}, verbose() {}, error() {} };

const parsed = parser.parseWorkflow({ name: workflowPath, content: readFileSync(workflowPath, "utf8") }, trace);
const errors = parsed.context.errors.getErrors().map((e) => e.message);
let jobs = [];
if (parsed.value !== undefined && errors.length === 0) {
  const template = await parser.convertWorkflowTemplate(parsed.context, parsed.value);
  errors.push(...(template.errors ?? []).map((e) => e.Message ?? e.message ?? String(e)));
  jobs = (template.jobs ?? []).map((job) => ({
    id: job.id?.value ?? String(job.id),
    steps: (job.steps ?? []).map((step) => ({
      id: step.id,
      uses: step.uses?.value,
      run: step.run?.value ?? (step.run ? String(step.run) : undefined),
    })),
  }));
}
console.log(JSON.stringify({ errors, jobs }, null, 2));
