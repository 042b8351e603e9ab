import { GenerationType } from './generation-type.js';
import type { ProcessNode } from './process-node.js';
import { SyscallNode } from './syscall-node.js';

/**
 * Turns the packed syscall list of an old dump (field 7, before syscall nodes existed) into
 * Runtime syscall nodes, skipping numbers the node already has, so old dumps keep their syscalls.
 * Linear in the list, since a hostile list can be long. Returns how many nodes it added.
 */
export function addLegacySyscalls(node: ProcessNode, syscalls: readonly number[] | undefined): number {
  if (syscalls === undefined || syscalls.length === 0) return 0;
  const known = new Set(node.syscalls.map((s) => s.syscall));
  let added = 0;
  for (const nr of syscalls) {
    if (known.has(nr)) continue;
    known.add(nr);
    node.syscalls.push(new SyscallNode(nr, GenerationType.Runtime));
    added++;
  }
  return added;
}
