// Reads an hf-cache weights layout with a real Hugging Face client, @huggingface/hub (npm), offline, and prints
// what the client sees as JSON for ModelLayoutTests to assert on.
//   node hf-cache-check.mjs NODE_MODULES_PARENT HUB_CACHE_DIR REPO_ID COMMIT FILE...
// NODE_MODULES_PARENT is the folder whose node_modules has @huggingface/hub (build/test.sh: artifacts/node).
// The client's cache helpers cover: scanCacheDir (repos, snapshots, files, refs) and downloadFileToCacheDir with a
// commit revision, which returns the snapshot file when it is cached and asks the Hub only when it is not. The
// client has no offline snapshot download and does not read trees/<commit>.json (huggingface_hub's Python client
// does), so the trees file is checked by the C# test itself.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative } from "node:path";

const [modulesParent, cacheDir, repoId, commit, ...files] = process.argv.slice(2);
const require = createRequire(join(modulesParent, "package.json"));
const hub = require("@huggingface/hub");
// The package exports no ./package.json, so its version is read from the file.
const version = JSON.parse(readFileSync(join(modulesParent, "node_modules", "@huggingface", "hub", "package.json"), "utf8")).version;

// Every request the client would make goes through this fetch; the layout must need none.
const networkCalls = [];
const noNetwork = async (url) => {
  networkCalls.push(String(url));
  throw new Error("offline: the image has no Hub to ask (" + url + ")");
};

const scan = await hub.scanCacheDir(cacheDir);
const repos = scan.repos.map((repo) => ({
  id: repo.id.name,
  type: repo.id.type,
  filesCount: repo.filesCount,
  size: repo.size,
  revisions: repo.revisions.map((revision) => ({
    commit: revision.commitOid,
    refs: [...revision.refs].sort(),
    // scanCachedRepo lists the snapshot's top-level files only (it skips folders), with the blob each resolves to.
    files: revision.files.map((f) => ({ path: relative(revision.path, f.path), blob: relative(repo.path, f.blob.path), size: f.blob.size })),
  })),
}));

const resolved = {};
for (const path of files) {
  try {
    const pointer = await hub.downloadFileToCacheDir({ repo: { type: "model", name: repoId }, path, revision: commit, cacheDir, fetch: noNetwork });
    resolved[path] = { path: pointer };
  } catch (error) {
    resolved[path] = { error: String(error && error.message ? error.message : error) };
  }
}

process.stdout.write(JSON.stringify({ client: "@huggingface/hub@" + version, repos, warnings: scan.warnings.map(String), resolved, networkCalls }) + "\n");
