// Validates CycloneDX JSON documents against the official schema with the CycloneDX JavaScript library's own strict
// validator (@cyclonedx/cyclonedx-library, which ships bom-1.5 with its spdx and jsf schemas and runs them through
// ajv), offline. Prints {"results": [{"file", "errors": null | [...]}]} for the SBOM tests.
//   node sbom-schema-check.mjs NODE_MODULES_PARENT SPEC_VERSION FILE...
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";

const [modulesParent, specVersion, ...files] = process.argv.slice(2);
const require = createRequire(join(resolve(modulesParent), "node_modules", "noop.js"));
const CDX = require("@cyclonedx/cyclonedx-library");
const validator = new CDX.Validation.JsonStrictValidator(specVersion);
const results = [];
for (const file of files) {
  const errors = await validator.validate(readFileSync(file, "utf8"));
  results.push({ file, errors: errors ?? null });
}
process.stdout.write(JSON.stringify({ results }));
