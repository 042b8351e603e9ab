import { GenerationType } from './generation-type.js';
import type { ProcessNode } from './process-node.js';
import { SyscallNode } from './syscall-node.js';

/**
 * Turns the packed syscall list of an old dump (field 7, before syscall nodes existed) into
 * Runtime syscall nodes, skipping numbers the node already has, so old dumps keep their syscalls.
 */
export function addLegacySyscalls(node: ProcessNode, syscalls: readonly number[] | undefined): void {
  if (syscalls === undefined) return;
  for (const nr of syscalls) {
    if (!node.syscalls.some((s) => s.syscall === nr))
      node.syscalls.push(new SyscallNode(nr, GenerationType.Runtime));
  }
}
