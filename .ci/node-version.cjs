// Preloaded (`node -r`) by CI's runs on other Node versions: prints the Node that runs the
// command, and fails when it is not the major version CI asked for (CI_NODE_MAJOR).
'use strict';
const wanted = process.env.CI_NODE_MAJOR;
process.stderr.write(`running on node ${process.version} (${process.execPath})\n`);
if (wanted && process.versions.node.split('.')[0] !== wanted) {
  process.stderr.write(`expected node ${wanted}, got ${process.version}\n`);
  process.exit(1);
}
