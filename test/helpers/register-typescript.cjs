// Lets a child `node` process run the app from its TypeScript sources, as Jest does (transpile
// only, no type check), with the `nest-health` alias of tsconfig.json:
//   node --require ./test/helpers/register-typescript.cjs apps/example/src/main.ts
// Specs use it to run main.ts in a process of its own.
'use strict';
const fs = require('node:fs');
const Module = require('node:module');
const path = require('node:path');
const ts = require('typescript');

const root = path.resolve(__dirname, '../..');
const { config } = ts.readConfigFile(path.join(root, 'tsconfig.json'), ts.sys.readFile);
const { options } = ts.parseJsonConfigFileContent(config, ts.sys, root);
const compilerOptions = {
  ...options,
  module: ts.ModuleKind.CommonJS,
  sourceMap: false,
  inlineSourceMap: true,
  inlineSources: true,
  declaration: false,
};

require.extensions['.ts'] = (module, filename) => {
  const source = fs.readFileSync(filename, 'utf8');
  const { outputText } = ts.transpileModule(source, { compilerOptions, fileName: filename });
  module._compile(outputText, filename);
};

const libraryRoot = path.join(root, 'libs/health/src');
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === 'nest-health' || request.startsWith('nest-health/')) {
    request = path.join(libraryRoot, request.slice('nest-health'.length));
  }
  return resolveFilename.call(this, request, ...rest);
};
