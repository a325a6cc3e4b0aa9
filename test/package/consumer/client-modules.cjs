// Loads `tapflow` (the client entry point) alone and prints the packages whose modules it loaded,
// on one `consumer-report: <JSON>` line: a script that only starts and inspects runs must not pay
// for the worker's native bridge, webpack, the HTTP server, the database driver or metrics.
'use strict';

require('tapflow');
const packages = new Set();
for (const file of Object.keys(require.cache)) {
  const at = file.lastIndexOf('/node_modules/');
  if (at === -1) continue;
  const parts = file.slice(at + '/node_modules/'.length).split('/');
  packages.add(parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]);
}
process.stdout.write(`consumer-report: ${JSON.stringify([...packages].sort())}\n`);
