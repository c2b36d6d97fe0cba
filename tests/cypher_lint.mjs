// Lint Cypher files with Neo4j's own front end (@neo4j-cypher/language-support, pinned in
// package.json). Adapted from shared reference/cypher-portability.md, Appendix A.
//
//   node tests/cypher_lint.mjs [--json] [--strict] [--no-apoc] [--version "CYPHER 5"] FILE_OR_DIR...
//
// Prints `file:line:col: severity: message` (or one JSON object with --json) and exits 1 when there
// is an error (or a warning with --strict), 2 on usage errors. `$param` "not defined" diagnostics
// are dropped: parameters are runtime values declared in each file's header.
import { readFileSync, statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { lintCypherQuery, isNotParamError, testData } from '@neo4j-cypher/language-support';

const args = process.argv.slice(2);
const opt = { json: false, strict: false, noApoc: false, schema: null, version: 'CYPHER 5' };
const files = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--json') opt.json = true;
  else if (a === '--strict') opt.strict = true;
  else if (a === '--no-apoc') opt.noApoc = true;
  else if (a === '--schema') opt.schema = args[++i];
  else if (a === '--version') opt.version = args[++i];
  else files.push(a);
}
if (!files.length) {
  console.error('usage: cypher_lint.mjs [--json] [--strict] [--no-apoc] [--schema FILE] [--version V] paths...');
  process.exit(2);
}
const mock = testData.mockSchema;  // Neo4j 5 (+APOC) function and procedure signatures
const keep = (reg) => Object.fromEntries(
  Object.entries(reg).filter(([k]) => !(opt.noApoc && k.startsWith('apoc.'))));
const schema = {
  defaultLanguage: opt.version,
  functions: Object.fromEntries(Object.entries(mock.functions).map(([v, r]) => [v, keep(r)])),
  procedures: Object.fromEntries(Object.entries(mock.procedures).map(([v, r]) => [v, keep(r)])),
};
if (opt.schema) Object.assign(schema, JSON.parse(readFileSync(opt.schema, 'utf8')));
const walk = (p) => statSync(p).isDirectory()
  ? readdirSync(p).sort().flatMap((f) => walk(join(p, f)))
  : (/\.(cypher|cyp|cql)$/.test(p) ? [p] : []);
const sev = { 1: 'error', 2: 'warning', 3: 'info', 4: 'hint' };
let nErr = 0, nWarn = 0, nFiles = 0;
const out = [];
for (const f of files.flatMap(walk)) {
  nFiles++;
  let { diagnostics } = lintCypherQuery(readFileSync(f, 'utf8'), schema);
  if (!schema.parameters) diagnostics = diagnostics.filter(isNotParamError);
  for (const d of diagnostics) {
    const s = sev[d.severity] ?? String(d.severity);
    if (s === 'error') nErr++; else if (s === 'warning') nWarn++;
    const rec = { file: f, line: d.range.start.line + 1, col: d.range.start.character + 1,
                  severity: s, message: d.message.replace(/\s+/g, ' ').trim() };
    out.push(rec);
    if (!opt.json) console.log(`${rec.file}:${rec.line}:${rec.col}: ${rec.severity}: ${rec.message}`);
  }
}
if (opt.json) console.log(JSON.stringify({ files: nFiles, diagnostics: out, errors: nErr, warnings: nWarn }));
process.exit(nErr || (opt.strict && nWarn) ? 1 : 0);
