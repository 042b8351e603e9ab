import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.js';
import type { ProcessInfo } from '../../src/events/process.js';
import { ActivityTree } from '../../src/tree/activity-tree.js';
import { GenerationType } from '../../src/tree/generation-type.js';
import { renderTreeDebug } from '../../src/tree/render-debug.js';
import { exec, lineage, proc, shape } from '../support/builders.js';

// The agent's CreateProcessNode table (reference-activity-tree §12.1): P (pid 42) child of
// Q (pid 41) child of systemd; P and Q in container "c1", systemd outside unless stated.
const CONTAINER = 'c1';
const inContainer = (p: ProcessInfo): ProcessInfo => ({ ...p, containerId: CONTAINER });
const fileless = (p: ProcessInfo): ProcessInfo => ({ ...p, file: { ...p.file, mountId: 0 } });

function systemd(complete = true, extra: Partial<ProcessInfo> = {}): ProcessInfo {
  return proc(complete ? 1 : 40, '/usr/bin/systemd', extra);
}

function newTree(selectorContainer = CONTAINER): ActivityTree {
  return new ActivityTree({ selector: (p) => p.containerId === selectorContainer });
}

const GENERATIONS = [
  GenerationType.Runtime,
  GenerationType.Snapshot,
  GenerationType.ProfileDrift,
  GenerationType.WorkloadWarmup,
];

interface Case {
  name: string;
  p: ProcessInfo;
  q: ProcessInfo;
  gp?: ProcessInfo;
  selector?: string;
  outcome: string;
  tree: string;
}

const P = (path: string) => inContainer(proc(42, path));
const Q = (path: string) => inContainer(proc(41, path));

const CASES: Case[] = [
  {
    name: 'incomplete lineage',
    p: P('/bin/bar'),
    q: Q('/bin/foo'),
    gp: systemd(false),
    outcome: 'broken_lineage',
    tree: '',
  },
  {
    name: 'selector of another container',
    p: P('/bin/bar'),
    q: Q('/bin/foo'),
    selector: 'other',
    outcome: 'process_node_not_created',
    tree: '',
  },
  { name: 'plain parent and child', p: P('/bin/bar'), q: Q('/bin/foo'), outcome: 'added', tree: 'foo(bar)' },
  {
    name: 'fileless parent',
    p: P('/bin/bar'),
    q: fileless(Q('/bin/foo')),
    outcome: 'added',
    tree: 'foo(bar)',
  },
  {
    name: 'fileless child',
    p: fileless(P('/bin/bar')),
    q: Q('/bin/foo'),
    outcome: 'added',
    tree: 'foo(bar)',
  },
  {
    name: 'systemd inside the container',
    p: P('/bin/bar'),
    q: Q('/bin/foo'),
    gp: inContainer(systemd()),
    outcome: 'added',
    tree: 'foo(bar)',
  },
  {
    name: 'runc below a normal parent',
    p: P('/bin/runc'),
    q: Q('/bin/foo'),
    outcome: 'added',
    tree: 'foo(runc)',
  },
  { name: 'runc exec runc', p: P('/bin/runc'), q: Q('/bin/runc'), outcome: 'invalid_root_node', tree: '' },
  { name: 'child of runc', p: P('/bin/bar'), q: Q('/bin/runc'), outcome: 'added', tree: 'bar' },
  {
    name: 'child of fileless runc',
    p: P('/bin/bar'),
    q: fileless(Q('/bin/runc')),
    outcome: 'added',
    tree: 'bar',
  },
  {
    name: 'fileless child of runc',
    p: fileless(P('/bin/bar')),
    q: Q('/bin/runc'),
    outcome: 'invalid_root_node',
    tree: '',
  },
  {
    name: 'same binary, fileless child',
    p: fileless(P('/bin/foo')),
    q: Q('/bin/foo'),
    outcome: 'added',
    tree: 'foo',
  },
];

describe('process node creation table', () => {
  for (const generationType of GENERATIONS) {
    describe(`generation type ${generationType}`, () => {
      it.each(CASES)('$name', (c) => {
        const event = exec(lineage(c.p, c.q, c.gp ?? systemd()));

        const dry = newTree(c.selector);
        const before = renderTreeDebug(dry);
        expect(dry.insertWithOutcome(event, { generationType, dryRun: true })).toBe(c.outcome);
        expect(renderTreeDebug(dry)).toBe(before);
        expect(dry.stats.processNodes).toBe(0);

        const tree = newTree(c.selector);
        expect(tree.insertWithOutcome(event, { generationType })).toBe(c.outcome);
        expect(shape(tree)).toBe(c.tree);
        for (const node of tree.processNodes()) expect(node.generationType).toBe(generationType);
      });

      it('re-inserting the same lineage adds nothing, with or without cookies', () => {
        const tree = newTree();
        const p = P('/bin/bar');
        const q = Q('/bin/foo');
        expect(tree.insert(exec(lineage(p, q, systemd())), { generationType })).toBe(true);
        expect(tree.insert(exec(lineage(p, q, systemd())), { generationType })).toBe(false);
        const withCookies = lineage({ ...p, cookie: 7n, execTime: 9n }, { ...q, cookie: 8n }, systemd());
        expect(tree.contains(exec(withCookies), { generationType })).toBe(true);
        expect(tree.insert(exec(withCookies), { generationType })).toBe(false);
        expect(tree.insert(exec(withCookies), { generationType })).toBe(false);
        expect(shape(tree)).toBe('foo(bar)');
      });

      it('siblings with other binaries are new', () => {
        const tree = newTree();
        const q = Q('/bin/foo');
        expect(tree.insert(exec(lineage(P('/bin/bar'), q, systemd())), { generationType })).toBe(true);
        expect(tree.insert(exec(lineage(P('/bin/baz'), q, systemd())), { generationType })).toBe(true);
        expect(tree.insert(exec(lineage(P('/bin/baz2'), q, systemd())), { generationType })).toBe(true);
        expect(shape(tree)).toBe('foo(bar,baz,baz2)');
        expect(tree.stats.processNodes).toBe(4);
        expect(tree.stats.added('exec', generationType)).toBe(4 + 3);
      });
    });
  }

  it.each([0, 5, 1.5, Number.NaN])('rejects generation type %s as a programming error', (generationType) => {
    const tree = newTree();
    expect(() =>
      tree.insert(exec(lineage(P('/bin/bar'), Q('/bin/foo'), systemd())), { generationType }),
    ).toThrow(InvalidArgumentError);
  });
});
