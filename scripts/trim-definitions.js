// Writes the parts of R4's StructureDefinition bundles that Kangyun reads (src/fhir/definitions.cpp:
// each base type's snapshot elements with their cardinality, types, bindings and constraints, and
// the OperationDefinitions), without the narrative, differentials, mappings and definitions text
// that make up nine tenths of the official files. Every server start parses these bundles, so
// their size is paid on every start (a few seconds under the sanitizers).
//
// usage: node trim-definitions.js IN.json OUT.json
'use strict';
const fs = require('fs');

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  console.error('usage: node trim-definitions.js IN.json OUT.json');
  process.exit(2);
}

const KEEP_SD = ['resourceType', 'id', 'url', 'name', 'kind', 'abstract', 'type', 'baseDefinition',
                 'derivation'];
const KEEP_ELEMENT = ['id', 'path', 'min', 'max', 'type', 'isSummary', 'contentReference'];

function pick(object, keys) {
  const out = {};
  for (const k of keys) if (object[k] !== undefined) out[k] = object[k];
  return out;
}

function trimElement(element) {
  const out = pick(element, KEEP_ELEMENT);
  if (element.binding) out.binding = pick(element.binding, ['strength', 'valueSet']);
  if (element.constraint) {
    out.constraint =
        element.constraint.map((c) => pick(c, ['key', 'severity', 'human', 'expression']));
  }
  return out;
}

const bundle = JSON.parse(fs.readFileSync(input, 'utf8'));
const entries = [];
for (const entry of bundle.entry || []) {
  const r = entry.resource;
  if (!r) continue;
  if (r.resourceType === 'OperationDefinition') {
    entries.push({fullUrl: entry.fullUrl, resource: r});
  } else if (r.resourceType === 'StructureDefinition' && r.derivation !== 'constraint' &&
             r.kind !== 'logical') {
    const sd = pick(r, KEEP_SD);
    if (r.snapshot) sd.snapshot = {element: r.snapshot.element.map(trimElement)};
    entries.push({fullUrl: entry.fullUrl, resource: sd});
  }
}
const trimmed = {resourceType: 'Bundle', id: bundle.id, type: bundle.type, entry: entries};
fs.writeFileSync(output + '.tmp', JSON.stringify(trimmed));
fs.renameSync(output + '.tmp', output);
