// Loads every tapflow entry point with require(), as a CommonJS application does, and prints
// the type of each name asked for, or the error the entry point threw, on one
// `consumer-report: <JSON>` line.
// Usage: node require-entries.cjs '{"tapflow":["TapflowClient"],...}'
'use strict';

const wanted = JSON.parse(process.argv[2]);
const report = {};
for (const [entry, names] of Object.entries(wanted)) {
  try {
    const loaded = require(entry);
    report[entry] = { names: Object.fromEntries(names.map((name) => [name, typeof loaded[name]])) };
  } catch (err) {
    report[entry] = { error: { name: err.name, code: err.code, message: err.message, stack: err.stack } };
  }
}
process.stdout.write(`consumer-report: ${JSON.stringify(report)}\n`);
