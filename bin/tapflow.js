#!/usr/bin/env node
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const entry = join(__dirname, '..', 'dist', 'cli', 'main.js');
if (!existsSync(entry)) {
  // A published package ships dist/; only a checkout (or a git install whose build failed) lacks it.
  process.stderr.write(`tapflow is not built (${entry} is missing): in a checkout run "npm run setup"; for an installed package, reinstall tapflow\n`);
  process.exit(2);
}
require(entry).main(process.argv).then((code) => {
  process.exitCode = code;
});
