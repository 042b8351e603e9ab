import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.js';
import { buildLineage, event } from '../../src/testing/index.js';
import { ActivityTree } from '../../src/tree/activity-tree.js';
import { renderTreeDebug } from '../../src/tree/render-debug.js';

describe('activity-dump/testing builders', () => {
  it('builds a lineage outermost first, nearest ancestor first in the context', () => {
    const proc = buildLineage(['/bin/sh', { path: '/usr/bin/python3', args: ['app.py'] }], {
      containerId: 'c1',
    });
    expect(proc.file.path).toBe('/usr/bin/python3');
    expect(proc.args).toEqual(['app.py']);
    expect(proc.containerId).toBe('c1');
    expect(proc.ancestors?.map((a) => a.file.path)).toEqual(['/bin/sh', '/sbin/init']);
    expect(proc.ancestors?.at(-1)?.pid).toBe(1);
    expect(proc.ancestors?.at(-1)?.containerId).toBe('');
    expect(proc.ppid).toBe(proc.ancestors?.[0]?.pid);
  });

  it('produces events the tree accepts', () => {
    const tree = new ActivityTree({ selector: (p) => p.containerId === 'c1' });
    const proc = buildLineage(['/bin/sh', '/usr/bin/python3'], { containerId: 'c1' });
    expect(tree.insert(event('exec', proc, {}))).toBe(true);
    expect(tree.insert(event('open', proc, { file: { path: '/app/main.py' } }))).toBe(true);
    expect(renderTreeDebug(tree)).toContain('- process: /usr/bin/python3');
  });

  it('can leave pid 1 out to model an incomplete lineage', () => {
    const tree = new ActivityTree();
    const proc = buildLineage(['/bin/sh', '/bin/ls'], { init: null });
    expect(tree.insertWithOutcome(event('exec', proc, {}))).toBe('broken_lineage');
  });

  it('rejects an empty lineage', () => {
    expect(() => buildLineage([])).toThrow(InvalidArgumentError);
  });
});
