import type { ActivityDump } from '../dump/activity-dump.js';
import { CAPABILITY_BITS, DNS_QTYPES, HASH_STATES, L4_PROTOCOLS } from '../events/cws-fields.js';
import type { FileInfo } from '../events/file-info.js';
import type { CapabilityNode } from '../tree/capability-node.js';
import type { DnsNode } from '../tree/dns-node.js';
import type { FileNode } from '../tree/file-node.js';
import { GenerationType } from '../tree/generation-type.js';
import type { ImdsNode } from '../tree/imds-node.js';
import { isBusybox } from '../tree/lineage.js';
import type { FlowNode, NetworkDeviceNode } from '../tree/network-device-node.js';
import type { ProcessNode } from '../tree/process-node.js';
import type { BindNode, SocketNode } from '../tree/socket-node.js';

/** Options of {@link encodeDot}. */
export interface DotOptions {
  /**
   * Title of the graph.
   * @default `"<metadata.name>: <selector>"`, the selector being `image_name:<n>[,image_tag:<t>]` from
   *   the dump's tags, else `container_id:<id>`, else `comm:<comm>`, else `empty_selector`
   */
  title?: string;
}

/** Border colour and per-generation-type fill colours of one node kind. */
interface Palette {
  readonly color: string;
  /** Runtime, unknown, workload warm-up and any other number. */
  readonly runtime: string;
  readonly snapshot: string;
  readonly profileDrift: string;
}

// The agent's styling constants (record era). The agent leaves workload warm-up unstyled; it gets
// the runtime fill here.
const PROCESS: Palette = { color: '#8fbbff', runtime: '#edf3ff', snapshot: 'white', profileDrift: '#c2daff' };
const FILE: Palette = { color: '#77bf77', runtime: '#e9f3e7', snapshot: 'white', profileDrift: '#c6e1c1' };
const NETWORK: Palette = {
  color: '#ff9800',
  runtime: '#ffebcd',
  snapshot: '#ffebcd',
  profileDrift: '#faddb1',
};
// Kinds the agent's dot output never drew, styled in the same scheme (a border colour, a pale fill
// for runtime, white for snapshot and a deeper tint for profile drift).
const IMDS: Palette = { color: '#b07cd8', runtime: '#f3ebfa', snapshot: 'white', profileDrift: '#dcc6f0' };
const CAPABILITY: Palette = {
  color: '#e57373',
  runtime: '#fdecea',
  snapshot: 'white',
  profileDrift: '#f6c1c1',
};
const NET_DEVICE: Palette = {
  color: '#26a69a',
  runtime: '#e0f2f1',
  snapshot: 'white',
  profileDrift: '#b2dfdb',
};

const PROCESS_SIZE = 60;
const DEFAULT_SIZE = 30;

function fillOf(palette: Palette, type: GenerationType): string {
  if (type === GenerationType.Snapshot) return palette.snapshot;
  if (type === GenerationType.ProfileDrift) return palette.profileDrift;
  return palette.runtime;
}

// Number → name tables for labels, the first name of each number winning.
function invert(table: ReadonlyMap<string, number>, keep: (name: string) => boolean = () => true) {
  const out = new Map<number, string>();
  for (const [name, value] of table) if (keep(name) && !out.has(value)) out.set(value, name);
  return out;
}
const QTYPE_NAMES = invert(DNS_QTYPES);
const CAPABILITY_NAMES = invert(CAPABILITY_BITS);
const HASH_STATE_NAMES = invert(HASH_STATES);
const L4_NAMES = invert(
  L4_PROTOCOLS,
  (name) => name !== '' && !name.startsWith('IP_PROTO_') && !name.startsWith('IPPROTO_'),
);

// Characters of a label that need more than a copy: DOT string syntax (`"`, `\`), record-field
// syntax (`{}|<>`), entity syntax (`&`), control characters, lone surrogates, and spaces that a
// record label would otherwise collapse or trim (trailing, or next to another space; a record
// field's leading spaces are dropped even when escaped).
const LABEL_SPECIAL =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
  /[\\"{}|<>&\u0000-\u001f\u007f]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]| $|(?<= ) | (?= )/g;

/**
 * How a control character is shown: as C-style escape text, never as a line break (Graphviz
 * 16.1 corrupts its memory on a record field that starts with a line break and has a sibling).
 */
function controlText(code: number): string {
  if (code === 0x0a) return '\\n';
  if (code === 0x0d) return '\\r';
  if (code === 0x09) return '\\t';
  return `\\x${code.toString(16).padStart(2, '0')}`;
}

function escapeLabelChar(c: string): string {
  switch (c) {
    case '&':
      return '&amp;';
    case ' ':
      return '\\ ';
    case '\\':
    case '"':
    case '{':
    case '}':
    case '|':
    case '<':
    case '>':
      return `\\${c}`;
  }
  const code = c.charCodeAt(0);
  if (code >= 0xd800 && code <= 0xdfff) return '\uFFFD';
  // Shown as backslash text, its backslash escaped.
  return `\\${controlText(code)}`;
}

/**
 * Escapes text for one field of a record-shaped node's quoted label (it is also safe in any
 * other quoted label): the result displays as `text` on one line, except that control
 * characters show as `\n`, `\r`, `\t` or `\xNN`, lone surrogates as U+FFFD, and a record
 * field's leading spaces are not shown.
 */
export function escapeDotLabel(text: string): string {
  return text.replace(LABEL_SPECIAL, escapeLabelChar);
}

// Characters of HTML-like label text that need more than a copy: markup, plus `{}|\` which the
// record shape parses even in an HTML label.
const HTML_SPECIAL =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
  /[&<>"{}|\\\u0000-\u001f\u007f]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Escapes text for an HTML-like label (control characters show as in {@link escapeDotLabel}). */
function escapeHtml(text: string): string {
  return text.replace(HTML_SPECIAL, (c) => {
    const code = c.charCodeAt(0);
    if (code >= 0xd800 && code <= 0xdfff) return '\uFFFD';
    if (code < 0x20 || code === 0x7f) return `&#92;${controlText(code).slice(1)}`;
    return `&#${code};`;
  });
}

// A node in the output: its ID, label text (already escaped) and style.
interface DotNode {
  id: string;
  label: string;
  isTable: boolean;
  size: number;
  color: string;
  fill: string;
}

interface DotEdge {
  from: string;
  to: string;
  color: string;
}

class GraphBuilder {
  readonly nodes: DotNode[] = [];
  readonly edges: DotEdge[] = [];
  private next = 1;

  /** Adds a node with a record label made of these fields (escaped here), and the edge from its parent. */
  add(
    fields: readonly string[],
    palette: Palette,
    type: GenerationType,
    parent: string | undefined,
    size = DEFAULT_SIZE,
  ): string {
    const label = fields.map(escapeDotLabel).join('|');
    return this.push(label, false, size, palette.color, fillOf(palette, type), parent, palette.color);
  }

  push(
    label: string,
    isTable: boolean,
    size: number,
    color: string,
    fill: string,
    parent: string | undefined,
    edgeColor: string,
  ): string {
    const id = `node_${this.next++}`;
    this.nodes.push({ id, label, isTable, size, color, fill });
    if (parent !== undefined) this.edges.push({ from: parent, to: id, color: edgeColor });
    return id;
  }
}

/**
 * Renders a dump as the Datadog Agent's Graphviz `dot` document: the agent's graph attributes,
 * node styles and traversal order, with deterministic node IDs (`node_1`, `node_2`, … in
 * traversal order, nodes written in that order) instead of the agent's pointer-derived ones.
 *
 * For each root process, depth first: the process, its sockets and their binds, its DNS names
 * (also those without requests, which the agent skips), its files (the whole prefix tree,
 * intermediate components included, siblings sorted by name), its syscalls as one HTML-table
 * node, then (kinds the agent's dot output never drew) its IMDS events, capabilities, and
 * network devices with their flows, and finally its child processes. Every tree node becomes
 * one graph node, except that a process's syscalls share one table node; every parent/child
 * link becomes one edge, written in the same order as the nodes.
 *
 * Labels are escaped so that any string (quotes, backslashes, line breaks, `{}|<>`, `&`,
 * non-ASCII, lone surrogates) yields valid DOT; see {@link escapeDotLabel} for how it shows.
 */
export function encodeDot(dump: ActivityDump, options: DotOptions = {}): string {
  const graph = new GraphBuilder();
  const arch = dump.metadata?.arch ?? '';
  const stack: { node: ProcessNode; parent: string | undefined }[] = [];
  for (let i = dump.tree.roots.length - 1; i >= 0; i--) {
    stack.push({ node: dump.tree.roots[i]!, parent: undefined });
  }
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const id = addProcess(graph, item.node, item.parent, arch);
    const children = item.node.children;
    for (let i = children.length - 1; i >= 0; i--) stack.push({ node: children[i]!, parent: id });
  }
  return render(options.title ?? defaultTitle(dump), graph);
}

function addProcess(
  graph: GraphBuilder,
  node: ProcessNode,
  parent: string | undefined,
  arch: string,
): string {
  const id = graph.add(processFields(node), PROCESS, node.generationType, parent, PROCESS_SIZE);
  for (const socket of node.sockets) addSocket(graph, socket, id);
  for (const [name, dns] of node.dnsNames) graph.add([dnsLabel(name, dns)], NETWORK, dns.generationType, id);
  addFiles(graph, node.files, id);
  if (node.syscalls.length > 0) {
    graph.push(syscallsTable(node, arch), true, DEFAULT_SIZE, PROCESS.color, 'white', id, PROCESS.color);
  }
  for (const imds of node.imdsEvents.values()) graph.add(imdsFields(imds), IMDS, imds.generationType, id);
  for (const cap of node.capabilities) graph.add(capabilityFields(cap), CAPABILITY, cap.generationType, id);
  for (const device of node.networkDevices.values()) addNetworkDevice(graph, device, id);
  return id;
}

function addSocket(graph: GraphBuilder, socket: SocketNode, parent: string): void {
  const id = graph.add([socket.family], NETWORK, socket.generationType, parent);
  for (const bind of socket.binds) graph.add([bindLabel(bind)], NETWORK, bind.generationType, id);
}

function addFiles(graph: GraphBuilder, files: readonly FileNode[], parent: string): void {
  const stack: { node: FileNode; parent: string }[] = [];
  const pushSorted = (nodes: readonly FileNode[], parentId: string) => {
    const sorted = [...nodes].sort(byName);
    for (let i = sorted.length - 1; i >= 0; i--) stack.push({ node: sorted[i]!, parent: parentId });
  };
  pushSorted(files, parent);
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const id = graph.add(fileFields(item.node), FILE, item.node.generationType, item.parent);
    if (item.node.childCount > 0) pushSorted(item.node.children, id);
  }
}

function addNetworkDevice(graph: GraphBuilder, device: NetworkDeviceNode, parent: string): void {
  const d = device.device;
  const id = graph.add(
    [d.ifname, `ifindex ${d.ifindex}, netns ${d.netns}`],
    NET_DEVICE,
    device.generationType,
    parent,
  );
  for (const flow of device.flows.values()) graph.add(flowFields(flow), NET_DEVICE, flow.generationType, id);
}

function byName(a: FileNode, b: FileNode): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

// ---- labels (raw text; escaped when the node is added) ----

function processFields(node: ProcessNode): string[] {
  const p = node.process;
  const head = isBusybox(p.file.path) ? (p.argv0 ?? '') : p.file.path;
  const args = p.args ?? [];
  const command = args.length === 0 ? head : `${head} ${args.join(' ')}`;
  return [`${command}${packageSuffix(p.file)}`, ...hashFields(p.file)];
}

function fileFields(node: FileNode): string[] {
  const open = node.open === undefined ? '' : ' [open]';
  const file = node.file;
  if (file === undefined) return [`${node.name}${open}`];
  return [`${node.name}${open}${packageSuffix(file)}`, ...hashFields(file)];
}

function packageSuffix(file: FileInfo): string {
  const name = file.packageName ?? '';
  return name === '' ? '' : ` {${name} ${file.packageVersion ?? ''}}`;
}

function hashFields(file: FileInfo): string[] {
  const hashes = file.hashes ?? [];
  if (hashes.length > 0) return hashes;
  const state = file.hashState ?? 0;
  return [`(${HASH_STATE_NAMES.get(state) ?? `HashState(${state})`})`];
}

function dnsLabel(name: string, dns: DnsNode): string {
  const types = dns.requests.map((r) => QTYPE_NAMES.get(r.type) ?? `qtype(${r.type})`);
  return `${dns.requests[0]?.name ?? name} (${types.join(', ')})`;
}

function bindLabel(bind: BindNode): string {
  return `[${bind.ip}]:${bind.port}`;
}

function imdsFields(node: ImdsNode): string[] {
  const e = node.event;
  const provider = e.cloudProvider ?? '';
  const fields = [provider === '' ? `IMDS ${e.type}` : `IMDS ${e.type} (${provider})`];
  const add = (label: string, value: string | undefined) => {
    if (value !== undefined && value !== '') fields.push(`${label}: ${value}`);
  };
  add('url', e.url);
  add('host', e.host);
  add('user agent', e.userAgent);
  add('server', e.server);
  if (e.aws !== undefined) {
    fields.push(e.aws.isImdsV2 === true ? 'IMDSv2' : 'IMDSv1');
    const creds = e.aws.securityCredentials;
    add('credentials type', creds?.type);
    add('credentials code', creds?.code);
  }
  return fields;
}

function capabilityFields(node: CapabilityNode): string[] {
  const name = CAPABILITY_NAMES.get(node.capability) ?? `CAP_${node.capability}`;
  return [name, node.capable ? 'capable' : 'not capable'];
}

function flowFields(flow: FlowNode): string[] {
  const l4 = L4_NAMES.get(flow.l4Protocol) ?? `proto ${flow.l4Protocol}`;
  const s = flow.source;
  const d = flow.destination;
  return [
    `${l4} [${s.ip}]:${s.port} -> [${d.ip}]:${d.port}`,
    `ingress: ${flow.ingress.dataSize} B, ${flow.ingress.packetCount} packets`,
    `egress: ${flow.egress.dataSize} B, ${flow.egress.packetCount} packets`,
  ];
}

function syscallsTable(node: ProcessNode, arch: string): string {
  const rows = ['<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="1">'];
  if (arch !== '') rows.push(`<TR><TD><b>arch: ${escapeHtml(arch)}</b></TD></TR>`);
  for (const s of node.syscalls) rows.push(`<TR><TD>${s.syscall}</TD></TR>`);
  rows.push('</TABLE>>');
  return rows.join('');
}

// ---- document ----

function defaultTitle(dump: ActivityDump): string {
  const name = dump.metadata?.name ?? '';
  const selector = selectorString(dump);
  return name === '' ? selector : `${name}: ${selector}`;
}

function selectorString(dump: ActivityDump): string {
  const tag = (key: string) => dump.tags.find((t) => t.startsWith(key))?.slice(key.length);
  const image = tag('image_name:');
  if (image !== undefined) {
    const imageTag = tag('image_tag:');
    return imageTag === undefined ? `image_name:${image}` : `image_name:${image},image_tag:${imageTag}`;
  }
  const containerId = dump.metadata?.containerId ?? '';
  if (containerId !== '') return `container_id:${containerId}`;
  const comm = dump.metadata?.comm ?? '';
  if (comm !== '') return `comm:${comm}`;
  return 'empty_selector';
}

function render(title: string, graph: GraphBuilder): string {
  const out = [
    'digraph {',
    `\t\tlabel = "${escapeDotLabel(title)}"`,
    '\t\tlabelloc =  "t"',
    '\t\tfontsize = 75',
    '\t\tfontcolor = "black"',
    '\t\tfontname = "arial"',
    '\t\tratio = expand',
    '\t\tranksep = 2',
    '',
    '\t\tgraph [pad=2]',
    '\t\tnode [margin=0.3, padding=1, penwidth=3]',
    '\t\tedge [penwidth=2]',
    '',
  ];
  for (const n of graph.nodes) {
    const label = n.isTable ? n.label : `"${n.label}"`;
    out.push(
      `\t\t${n.id} [label=${label}, fontsize=${n.size}, shape=record, fontname = "arial", color="${n.color}", fillcolor="${n.fill}", style="filled"]`,
    );
  }
  out.push('');
  for (const e of graph.edges) out.push(`\t\t${e.from} -> ${e.to} [arrowhead=none, color="${e.color}"]`);
  out.push('}', '');
  return out.join('\n');
}
