// Entry of the kubelet simulator's worker thread (see kubelet-simulator.ts): a worker runs plain
// Node, so it loads the TypeScript module through the same require hook as the child processes.
'use strict';
require('./register-typescript.cjs');
require('./kubelet-simulator.ts');
