/**
 * The first lines of a script run with `node -e`, that make `require()` fail for `packages` as
 * it fails in an app that never installed them (`MODULE_NOT_FOUND`, Node's message), then load
 * `reflect-metadata`: what a spec of an optional peer dependency runs before booting the module.
 */
export function withoutPackagesPrelude(packages: readonly string[]): string {
  return `
const hidden = ${JSON.stringify(packages)};
const Module = require('node:module');
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (hidden.some((name) => request === name || request.startsWith(name + '/'))) {
    const error = new Error("Cannot find module '" + request + "'");
    error.code = 'MODULE_NOT_FOUND';
    throw error;
  }
  return resolveFilename.call(this, request, ...rest);
};
require('reflect-metadata');
`;
}
