import type { ActivityTree } from './activity-tree.js';
import type { FileNode } from './file-node.js';
import type { ProcessNode } from './process-node.js';

/**
 * The agent's debug text of a tree: per process its executable, argv0 and exec-child flag, its
 * files (sorted by name, nested), DNS names and IMDS events (sorted), then its children in
 * order. Two trees are equivalent for the agent's shared test suite when these texts are equal.
 */
export function renderTreeDebug(tree: ActivityTree): string {
  const lines: string[] = [];
  for (const root of tree.roots) renderProcess(root, '', lines);
  return lines.join('\n');
}

function renderProcess(node: ProcessNode, prefix: string, lines: string[]): void {
  const p = node.process;
  lines.push(
    `${prefix}- process: ${p.file.path} (argv0: ${p.argv0 ?? ''}) (is_exec_exec:${node.isExecExec})`,
  );
  if (node.files.length > 0) {
    lines.push(`${prefix}  files:`);
    for (const file of byName(node.files)) renderFile(file, `${prefix}    `, lines);
  }
  if (node.dnsNames.size > 0) {
    lines.push(`${prefix}  dns:`);
    for (const name of [...node.dnsNames.keys()].sort()) lines.push(`${prefix}    - ${name}`);
  }
  if (node.imdsEvents.size > 0) {
    lines.push(`${prefix}  imds:`);
    const entries = [...node.imdsEvents.values()].map(
      (n) => `${n.event.cloudProvider ?? ''} | ${n.event.type}`,
    );
    for (const entry of entries.sort()) lines.push(`${prefix}    - ${entry}`);
  }
  if (node.children.length > 0) {
    lines.push(`${prefix}  children:`);
    for (const child of node.children) renderProcess(child, `${prefix}    `, lines);
  }
}

function renderFile(node: FileNode, prefix: string, lines: string[]): void {
  lines.push(`${prefix}- ${node.name}`);
  for (const child of byName(node.children)) renderFile(child, `${prefix}  `, lines);
}

function byName(nodes: readonly FileNode[]): FileNode[] {
  return [...nodes].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
