/**
 * A minimal activity tree: insert a few events, see what is new, what is already known, and what
 * is dropped.
 *
 *   npx tsx examples/basic-tree.ts
 */
// Applications import from 'activity-dump' and 'activity-dump/testing'. The examples import the
// sources instead: the package's own name resolves to its build (dist/), absent from a fresh clone.
import { type ActivityEvent, ActivityTree, renderTreeDebug } from '../src/index.js';
import { buildLineage, event } from '../src/testing/index.js';

const tree = new ActivityTree();

// An event written out in full: `ls` (pid 12) run by bash (pid 11) in a container. `ancestors` lists
// the lineage nearest first and must end with pid 1, or the tree cannot place the process.
const ls: ActivityEvent = {
  type: 'exec',
  process: {
    pid: 12,
    file: { path: '/bin/ls' },
    argv0: 'ls',
    args: ['-l', '/tmp'],
    containerId: 'c0ffee',
    ancestors: [
      { pid: 11, file: { path: '/bin/bash' }, argv0: 'bash', containerId: 'c0ffee' },
      { pid: 1, file: { path: '/sbin/init' } },
    ],
  },
};
console.log('exec ls:                ', tree.insert(ls)); // true: two new process nodes

// The same kind of lineage with the test helpers: curl, child of bash, child of /sbin/init.
const curl = buildLineage(['/bin/bash', { path: '/usr/bin/curl', args: ['-s', 'https://example.com'] }], {
  containerId: 'c0ffee',
  firstPid: 11,
});
console.log('exec curl:              ', tree.insert(event('exec', curl, {}))); // true: curl is new
console.log('curl opens /etc/hosts:  ', tree.insert(event('open', curl, { file: { path: '/etc/hosts' } })));
console.log('... and again:          ', tree.insert(event('open', curl, { file: { path: '/etc/hosts' } }))); // false
console.log('curl resolves a name:   ', tree.insert(event('dns', curl, { dns: { name: 'example.com' } })));

// `contains` is a dry run: would this event add anything?
console.log('contains /etc/hosts?    ', tree.contains(event('open', curl, { file: { path: '/etc/hosts' } })));
console.log(
  'contains /etc/passwd?   ',
  tree.contains(event('open', curl, { file: { path: '/etc/passwd' } })),
);

// `insertWithOutcome` also says why an event was dropped: here the lineage stops short of pid 1.
const orphan = buildLineage(['/usr/bin/wget'], { init: null });
console.log('exec without pid 1:     ', tree.insertWithOutcome(event('exec', orphan, {}))); // 'broken_lineage'

console.log();
console.log(renderTreeDebug(tree));
