// Preloaded (`node -r`) by CI's runs on other Node versions: prints the Node that runs the
// command, and fails when it is not the major version CI asked for (CI_NODE_MAJOR). Forked child
// processes inherit the preload: they check too, silently.
'use strict';
const wanted = process.env.CI_NODE_MAJOR;
if (wanted && process.versions.node.split('.')[0] !== wanted) {
  process.stderr.write(`expected node ${wanted}, got ${process.version} (${process.execPath})\n`);
  process.exit(1);
}
if (!process.env.CI_NODE_VERSION_PRINTED) {
  process.env.CI_NODE_VERSION_PRINTED = '1';
  process.stderr.write(`running on node ${process.version} (${process.execPath})\n`);
}
