// Preloaded by the probe benchmark's servers (node --require), which run the TypeScript sources
// compiled by `tsc -p bench/tsconfig.json` into dist/bench: resolves `nest-health` to the
// compiled library there, as tsconfig.json's `paths` does for the sources.
'use strict';
const Module = require('node:module');
const path = require('node:path');

const library = path.join(__dirname, '..', 'dist', 'bench', 'libs', 'health', 'src');
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === 'nest-health' || request.startsWith('nest-health/')) {
    request = path.join(library, request.slice('nest-health'.length));
  }
  return resolveFilename.call(this, request, ...rest);
};
