import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  NORMALIZED_PATH_MATCH,
  type PathPatternMatchOptions,
  pathPatternMatch,
} from '../../src/tree/path-pattern.js';

type Case = [pattern: string, path: string, options: PathPatternMatchOptions, expected: boolean];

const WL1 = { wildcardLimit: 1 };

// reference-activity-tree §12.3 (the agent's TestPathPatternMatch, minus the file-pattern-builder options).
const agentCases: Case[] = [
  ['/etc/passwd', '/etc/passwd', WL1, true],
  ['/bin/baz', '/bin/baz2', WL1, true],
  ['/abc/12312/sad', '/abc/51231', WL1, false],
  ['/abc/12312/sad/', '/abc/51231', WL1, false],
  ['/abc/12312/sad/', '/abc/51231/', WL1, false],
  ['/abc/12312/sad', '/abc/51231/', WL1, false],
  ['/abc/12312', '/abc/51231/sad', WL1, false],
  ['/abc/12312', '/abc/51231/sad/', WL1, false],
  ['/abc/12312/', '/abc/51231/sad/', WL1, false],
  ['/abc/12312/', '/abc/51231/sad', WL1, false],
  ['/12312', '/51231', WL1, true],
  ['12312', '51231', WL1, false],
  ['', '', WL1, true],
  ['/bin/baz2', '/bin/baz', WL1, true],
  ['/etc/http', '/etc/passwd', WL1, true],
  ['/var/run/1234/runc.pid', '/var/run/54321/runc.pid', WL1, true],
  ['/var/run/12345/runc.pid', '/var/run/5432/runc.pid', WL1, true],
  ['/var/run/12345/12345/runc.pid', '/var/run/54321/54321/runc.pid', WL1, false],
  ['/var/run/12345/12345/runc.pid', '/var/run/54321/54321/runc.pid', { wildcardLimit: 2 }, true],
  ['/12345/12345/runc.pid', '/54321/12345/runc.pid', WL1, true],
  ['/var/runc/12345', '/var/runc/54321', WL1, true],
  ['/var/runc12345', '/var/runc54321', WL1, true],
  ['/var/run/12345/runc.pid', '/var/run/12/45/runc.pid', WL1, false],
  ['/var/run/66/45/runc.pid', '/var/run/12345/runc.pid', WL1, false],
  ['/var/run/1234/runc.pid', '/var/run/12345/runc.pid', WL1, true],
  ['/var/run/1234/runc.pid', '/var/run/4321/runc.pid', { wildcardLimit: 1, prefixNodeRequired: 2 }, true],
  ['/var/run/sdfgh/runc.pid', '/var/run/hgfds/runc.pid', { wildcardLimit: 1, prefixNodeRequired: 3 }, false],
  [
    '/var/run/1234/runc.pid',
    '/var/run/4321/runc.pid',
    { wildcardLimit: 1, prefixNodeRequired: 2, suffixNodeRequired: 1 },
    true,
  ],
  [
    '/var/run/1234/runc.pid',
    '/var/run/4321/runc.pid',
    { wildcardLimit: 1, prefixNodeRequired: 2, suffixNodeRequired: 2 },
    false,
  ],
  ['/var', '/var', { wildcardLimit: 1, prefixNodeRequired: 2 }, true],
  ['/var', '/var', { wildcardLimit: 1, suffixNodeRequired: 2 }, true],
  ['/var/run/1234/http.pid', '/var/run/4321/http.pid', { wildcardLimit: 1, nodeSizeLimit: 10 }, false],
  ['/var/run/1234/mysql.pid', '/var/run/4321/mysql.pid', { wildcardLimit: 1, nodeSizeLimit: 4 }, true],
  ['/bin/baz2', '/bin/baz', { wildcardLimit: 1, nodeSizeLimit: 6 }, false],
  ['/bin/baz2', '/bin/baz', { wildcardLimit: 1, prefixNodeRequired: 2 }, false],
  ['/bin/baz2', '/bin/baz', { wildcardLimit: 1, suffixNodeRequired: 1 }, false],
];

// The process-identity options (§5.4).
const normalizedCases: Case[] = [
  ['/tmp/123456789/script.sh', '/tmp/987654321/script.sh', NORMALIZED_PATH_MATCH, true],
  ['/var/123456789/script.sh', '/tmp/123456789/script.sh', NORMALIZED_PATH_MATCH, false], // first component
  ['/tmp/123456789/script.sh', '/tmp/123456789/script.py', NORMALIZED_PATH_MATCH, false], // basename
  ['/tmp/123456/script.sh', '/tmp/654321/script.sh', NORMALIZED_PATH_MATCH, false], // 6 characters: too short
  ['/tmp/1234567/script.sh', '/tmp/7654321/script.sh', NORMALIZED_PATH_MATCH, true], // 7 characters + `/` = 8
  ['/a/1234567/1234567/1234567/x', '/a/7654321/7654321/7654321/x', NORMALIZED_PATH_MATCH, true],
  [
    '/a/1234567/1234567/1234567/1234567/x',
    '/a/7654321/7654321/7654321/7654321/x',
    NORMALIZED_PATH_MATCH,
    false,
  ],
  // Sizes are UTF-8 bytes of the new path's component, as in the agent.
  ['/opt/abcdefghi/app', '/opt/日本語/app', NORMALIZED_PATH_MATCH, true], // 9 bytes, 3 UTF-16 units
  ['/opt/abcdefghi/app', '/opt/日本/app', NORMALIZED_PATH_MATCH, false], // 6 bytes
  ['/opt/abcdefghi/app', '/opt/😀😀/app', NORMALIZED_PATH_MATCH, true], // 8 bytes, 4 UTF-16 units
  ['/opt/日本/app', '/opt/abcdefghi/app', NORMALIZED_PATH_MATCH, true], // only the new path is measured
];

describe('pathPatternMatch', () => {
  it.each(agentCases)('agent case %j vs %j with %j → %s', (pattern, path, options, expected) => {
    expect(pathPatternMatch(pattern, path, options)).toBe(expected);
  });

  it.each(normalizedCases)('normalized %j vs %j → %s', (pattern, path, options, expected) => {
    expect(pathPatternMatch(pattern, path, options)).toBe(expected);
  });

  it('uses the Go zero values for missing options: no wildcard allowed', () => {
    expect(pathPatternMatch('/bin/baz', '/bin/baz', {})).toBe(true);
    expect(pathPatternMatch('/bin/baz', '/bin/baz2', {})).toBe(false);
  });

  it('NORMALIZED_PATH_MATCH has the agent values and is frozen', () => {
    expect(NORMALIZED_PATH_MATCH).toEqual({
      wildcardLimit: 3,
      prefixNodeRequired: 1,
      suffixNodeRequired: 1,
      nodeSizeLimit: 8,
    });
    expect(Object.isFrozen(NORMALIZED_PATH_MATCH)).toBe(true);
  });
});

const segment = fc.string({ unit: fc.constantFrom('a', 'b', '1', '2', '.', '-', 'é', '😀'), maxLength: 9 });
const absolutePath = fc.array(segment, { maxLength: 6 }).map((segments) => `/${segments.join('/')}`);
const anyPath = fc.string({ unit: fc.constantFrom('/', 'a', 'b', '1', 'é'), maxLength: 16 });
const options = fc.record(
  {
    wildcardLimit: fc.integer({ min: -1, max: 4 }),
    prefixNodeRequired: fc.integer({ min: -1, max: 4 }),
    suffixNodeRequired: fc.integer({ min: -1, max: 4 }),
    nodeSizeLimit: fc.integer({ min: -1, max: 12 }),
  },
  { requiredKeys: [] },
);

const componentCount = (path: string): number => path.split('/').length;

// The definition written the obvious (allocating) way, to check the in-place walk against.
function splitMatch(pattern: string, path: string, opts: PathPatternMatchOptions): boolean {
  if ((pattern !== '' && !pattern.startsWith('/')) || (path !== '' && !path.startsWith('/'))) return false;
  const a = pattern.split('/');
  const b = path.split('/');
  if (a.length !== b.length) return false;
  let wildcards = 0;
  let suffix = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) {
      suffix++;
      continue;
    }
    wildcards++;
    const size = Buffer.byteLength(b[i] ?? '', 'utf8') + 1;
    if (wildcards > (opts.wildcardLimit ?? 0)) return false;
    if (i - 1 < (opts.prefixNodeRequired ?? 0)) return false;
    if ((opts.nodeSizeLimit ?? 0) !== 0 && size < (opts.nodeSizeLimit ?? 0)) return false;
    suffix = 0;
  }
  const required = opts.suffixNodeRequired ?? 0;
  return required === 0 || suffix >= required;
}

describe('pathPatternMatch properties', () => {
  it('an absolute path always matches itself unless more identical suffix nodes are required than it has', () => {
    fc.assert(
      fc.property(absolutePath, options, (path, opts) => {
        fc.pre((opts.suffixNodeRequired ?? 0) <= componentCount(path));
        expect(pathPatternMatch(path, path, opts)).toBe(true);
      }),
    );
  });

  it('never matches when the component counts differ', () => {
    fc.assert(
      fc.property(anyPath, anyPath, options, (pattern, path, opts) => {
        fc.pre(componentCount(pattern) !== componentCount(path));
        expect(pathPatternMatch(pattern, path, opts)).toBe(false);
      }),
    );
  });

  it('agrees with the component-by-component definition', () => {
    const pathLike = fc.oneof(absolutePath, anyPath);
    fc.assert(
      fc.property(pathLike, pathLike, options, (pattern, path, opts) => {
        expect(pathPatternMatch(pattern, path, opts)).toBe(splitMatch(pattern, path, opts));
      }),
      { numRuns: 500 },
    );
  });

  it('agrees with the definition on paths sharing most components', () => {
    const pair = fc
      .tuple(
        fc.array(segment, { minLength: 1, maxLength: 6 }),
        fc.array(fc.option(segment, { nil: undefined })),
      )
      .map(([segments, changes]) => {
        const changed = segments.map((s, i) => changes[i] ?? s);
        return [`/${segments.join('/')}`, `/${changed.join('/')}`] as const;
      });
    fc.assert(
      fc.property(pair, options, ([pattern, path], opts) => {
        expect(pathPatternMatch(pattern, path, opts)).toBe(splitMatch(pattern, path, opts));
      }),
      { numRuns: 500 },
    );
  });
});
