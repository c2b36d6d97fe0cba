// Lint Cypher files with Neo4j's own front end (@neo4j-cypher/language-support, pinned in
// package.json); see docs/architecture.md, "Portable Cypher".
//
//   node tests/cypher_lint.mjs [--json] [--strict] [--no-apoc] [--version "CYPHER 5"] FILE_OR_DIR...
//   node tests/cypher_lint.mjs --serve [--no-apoc]    (one JSON request per stdin line, see below)
//
// --serve keeps one process (and its warmed-up parser) for a whole test session: each stdin line
// is {"text": "..."} and gets one stdout line {"diagnostics": [{line, col, severity, message}]}.
// Prints `file:line:col: severity: message` (or one JSON object with --json) and exits 1 when there
// is an error (or a warning with --strict), 2 on usage errors. `$param` "not defined" diagnostics
// are dropped: parameters are runtime values declared in each file's header.
import { readFileSync, statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
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
  else if (a === '--serve') opt.serve = true;
  else files.push(a);
}
if (!files.length && !opt.serve) {
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
const lint = (text) => {
  let { diagnostics } = lintCypherQuery(text, schema);
  if (!schema.parameters) diagnostics = diagnostics.filter(isNotParamError);
  return diagnostics.map((d) => ({
    line: d.range.start.line + 1, col: d.range.start.character + 1,
    severity: sev[d.severity] ?? String(d.severity), message: d.message.replace(/\s+/g, ' ').trim() }));
};
if (opt.serve) {
  const rl = createInterface({ input: process.stdin, terminal: false });
  for await (const line of rl) {
    if (!line.trim()) continue;
    let reply;
    try { reply = { diagnostics: lint(JSON.parse(line).text) }; }
    catch (e) { reply = { error: String(e && e.stack || e) }; }
    process.stdout.write(JSON.stringify(reply) + '\n');
  }
  process.exit(0);
}
let nErr = 0, nWarn = 0, nFiles = 0;
const out = [];
for (const f of files.flatMap(walk)) {
  nFiles++;
  for (const d of lint(readFileSync(f, 'utf8'))) {
    const s = d.severity;
    if (s === 'error') nErr++; else if (s === 'warning') nWarn++;
    const rec = { file: f, ...d };
    out.push(rec);
    if (!opt.json) console.log(`${rec.file}:${rec.line}:${rec.col}: ${rec.severity}: ${rec.message}`);
  }
}
if (opt.json) console.log(JSON.stringify({ files: nFiles, diagnostics: out, errors: nErr, warnings: nWarn }));
process.exit(nErr || (opt.strict && nWarn) ? 1 : 0);
