import { describe, expect, it } from 'vitest';
import { ActivityTree } from '../../src/tree/activity-tree.js';
import { extractFirstParent } from '../../src/tree/file-insertion.js';
import type { FileNode } from '../../src/tree/file-node.js';
import { lineage, open, proc } from '../support/builders.js';

const shell = lineage(proc(12, '/bin/sh'), proc(1, '/sbin/init'));

function names(nodes: readonly FileNode[]): string {
  return [...nodes]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((n) => (n.childCount === 0 ? n.name : `${n.name}(${names(n.children)})`))
    .join(',');
}

describe('first path segment (agent T3)', () => {
  it.each([
    ['', '', 0],
    ['/', '', 0],
    ['/h', 'h', 2],
    ['h', 'h', 1],
    ['/hello', 'hello', 6],
    ['hello', 'hello', 5],
    ['/hello/there/', 'hello', 6],
    ['hello/there/', 'hello', 5],
    ['/tmp/foo', 'tmp', 4],
    ['tmp', 'tmp', 3],
  ])('%j → (%j, %i)', (path, first, index) => {
    expect(extractFirstParent(path)).toEqual([first, index]);
  });
});

describe('file prefix tree', () => {
  it('builds the agent package-test tree (§6.2)', () => {
    const tree = new ActivityTree({ pathsReducer: null });
    for (const path of ['/tmp/foo', '/tmp/bar', '/test/a/b/c/d/e/', '/hello', '/tmp/bar/test']) {
      expect(tree.insert(open(shell, path))).toBe(true);
    }
    const node = tree.roots[0]!;
    expect(names(node.files)).toBe('hello,test(a(b(c(d(e))))),tmp(bar(test),foo)');
    const bar = node.file('tmp')!.child('bar')!;
    expect(bar.file?.path).toBe('/tmp/bar');
    expect(bar.file?.basename).toBe('bar');
    expect(node.file('tmp')!.file).toBeUndefined();
    expect(node.file('test')!.child('a')!.file).toBeUndefined();
    // Counting quirk of the agent: top-level components and leaves below them.
    expect(tree.stats.fileNodes).toBe(7);
  });

  it('ORs open flags and modes and keeps the first retval', () => {
    const tree = new ActivityTree({ pathsReducer: null });
    expect(tree.insert(open(shell, '/etc/passwd', { flags: 0o1, mode: 0o600, retval: 3 }))).toBe(true);
    expect(tree.insert(open(shell, '/etc/passwd', { flags: 0o100, mode: 0o044, retval: 5 }))).toBe(false);
    expect(tree.roots[0]!.file('etc')!.child('passwd')!.open).toEqual({
      retval: 3,
      flags: 0o101,
      mode: 0o644,
    });
  });

  it('gives an intermediate directory opened later an open node but no file', () => {
    const tree = new ActivityTree({ pathsReducer: null });
    tree.insert(open(shell, '/var/lib/dpkg/status'));
    expect(tree.insert(open(shell, '/var/lib', { flags: 0o200000 }))).toBe(false);
    const lib = tree.roots[0]!.file('var')!.child('lib')!;
    expect(lib.open?.flags).toBe(0o200000);
    expect(lib.file).toBeUndefined();
  });

  it('ignores empty paths and "/"', () => {
    const tree = new ActivityTree();
    tree.insert(open(shell, '/bin/true'));
    expect(tree.insert(open(shell, ''))).toBe(false);
    expect(tree.insert(open(shell, '/'))).toBe(false);
  });

  it('reduces paths before inserting them', () => {
    const tree = new ActivityTree();
    tree.insert(open(shell, '/proc/12/status'));
    tree.insert(open(shell, '/proc/4242/status'));
    expect(tree.insert(open(shell, '/proc/777/status'))).toBe(false);
    const proc = tree.roots[0]!.file('proc')!;
    expect(names(proc.children)).toBe('*(status),self(status)');
    expect(proc.child('self')!.child('status')!.file?.path).toBe('/proc/self/status');
  });

  it('indexes large directories without changing lookups', () => {
    const tree = new ActivityTree({ pathsReducer: null });
    for (let i = 0; i < 50; i++) expect(tree.insert(open(shell, `/usr/lib/lib${i}.so`))).toBe(true);
    for (let i = 0; i < 50; i++) expect(tree.insert(open(shell, `/usr/lib/lib${i}.so`))).toBe(false);
    expect(tree.roots[0]!.file('usr')!.child('lib')!.childCount).toBe(50);
  });
});
