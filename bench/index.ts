import { runFormatsBench } from './formats.js';
import { runManagerBench } from './manager.js';
import { runProcfsBench } from './procfs.js';
import { runStorageBench } from './storage.js';
import { runTreeInsertBench } from './tree-insert.js';

// Prints one JSON document so results can be diffed and tracked over time.
const results = {
  node: process.version,
  arch: process.arch,
  date: new Date().toISOString(),
  treeInsert: await runTreeInsertBench(),
  formats: await runFormatsBench(),
  storage: await runStorageBench(),
  manager: await runManagerBench(),
  procfs: await runProcfsBench(),
};
process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
