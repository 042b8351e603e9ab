import { Packr } from 'msgpackr';
import { ActivityDump } from '../dump/activity-dump.js';
import type { DumpMetadata } from '../dump/dump-metadata.js';
import { CorruptInputError, InputTooLargeError } from '../errors.js';
import type { FlowStats, ImdsInfo, IpPort, NetworkDevice } from '../events/activity-event.js';
import type { FileInfo } from '../events/file-info.js';
import type { MatchedRule } from '../events/matched-rule.js';
import type { ProcessInfo } from '../events/process.js';
import { CapabilityNode } from '../tree/capability-node.js';
import { DnsNode, type DnsRequest } from '../tree/dns-node.js';
import { FileNode } from '../tree/file-node.js';
import type { ImageTagTimes } from '../tree/image-tags.js';
import { ImdsNode, imdsKey } from '../tree/imds-node.js';
import { deviceKey, FlowNode, flowKey, NetworkDeviceNode } from '../tree/network-device-node.js';
import { ProcessNode } from '../tree/process-node.js';
import { BindNode, SocketNode } from '../tree/socket-node.js';
import { SyscallNode } from '../tree/syscall-node.js';
import type { DecodeLimits } from './decode-limits.js';
import {
  checkShape,
  DEVICE_SHAPE,
  DNS_REQUEST_SHAPE,
  FILE_INFO_SHAPE,
  FLOW_STATS_SHAPE,
  IMDS_SHAPE,
  IP_PORT_SHAPE,
  MATCHED_RULE_SHAPE,
  METADATA_SHAPE,
  PROCESS_INFO_SHAPE,
} from './record-shapes.js';

/*
 * Layout: a MessagePack array `[MAGIC, VERSION, host, service, source, tags, metadata, roots]`.
 * Tree nodes are positional arrays (no key names), while the plain records the model already
 * holds (process info, file info, credentials, metadata, IMDS events) are packed as they are, so
 * msgpackr's record structures make them compact. 64-bit values stay `bigint` both ways.
 */

/** First element of every msgpack dump; also how `decodeDump` recognises the format. */
export const MSGPACK_MAGIC = 'activity-dump';
const VERSION = 1;

const packr = new Packr({ useRecords: true, int64AsType: 'bigint', moreTypes: false });

type Packed = unknown[];

function packTags(tags: ImageTagTimes[] | undefined): Packed | null {
  if (tags === undefined) return null;
  const out: unknown[] = new Array(tags.length * 3);
  for (let i = 0; i < tags.length; i++) {
    const t = tags[i]!;
    out[i * 3] = t.tag;
    out[i * 3 + 1] = t.firstSeen;
    out[i * 3 + 2] = t.lastSeen;
  }
  return out;
}

function packRules(rules: MatchedRule[] | undefined): MatchedRule[] | null {
  return rules ?? null;
}

function packFileNode(node: FileNode): Packed {
  const children = node.children;
  const packedChildren: Packed[] = new Array(children.length);
  for (let i = 0; i < children.length; i++) packedChildren[i] = packFileNode(children[i]!);
  const open = node.open;
  return [
    node.name,
    node.generationType,
    node.hasFile ? node.file! : null,
    open === undefined ? null : [open.retval, open.flags, open.mode],
    packTags(node.imageTags),
    packRules(node.matchedRules),
    node.firstSeen ?? null,
    packedChildren,
  ];
}

function packProcessNode(node: ProcessNode): Packed {
  return [
    node.process,
    node.generationType,
    packRules(node.matchedRules),
    packTags(node.imageTags),
    node.files.map(packFileNode),
    [...node.dnsNames.values()].map((d) => [
      d.generationType,
      d.requests,
      packRules(d.matchedRules),
      packTags(d.imageTags),
    ]),
    node.sockets.map((s) => [
      s.family,
      s.generationType,
      s.binds.map((b) => [
        b.port,
        b.ip,
        b.protocol,
        b.generationType,
        packRules(b.matchedRules),
        packTags(b.imageTags),
      ]),
    ]),
    [...node.imdsEvents.values()].map((i) => [
      i.event,
      i.generationType,
      packRules(i.matchedRules),
      packTags(i.imageTags),
    ]),
    node.syscalls.map((s) => [s.syscall, s.generationType, packTags(s.imageTags)]),
    node.capabilities.map((c) => [c.capability, c.capable, c.generationType, packTags(c.imageTags)]),
    [...node.networkDevices.values()].map((d) => [
      d.device,
      d.generationType,
      packRules(d.matchedRules),
      [...d.flows.values()].map((f) => [
        f.source,
        f.destination,
        f.l3Protocol,
        f.l4Protocol,
        f.ingress,
        f.egress,
        f.generationType,
        packTags(f.imageTags),
      ]),
    ]),
    node.children.map(packProcessNode),
  ];
}

/** Encodes a dump as MessagePack: lossless, compact and the fastest format of the library. */
export function encodeMsgpack(dump: ActivityDump): Uint8Array {
  return packr.pack([
    MSGPACK_MAGIC,
    VERSION,
    dump.host,
    dump.service,
    dump.source,
    dump.tags,
    dump.metadata ?? null,
    dump.tree.roots.map(packProcessNode),
  ]);
}

/** Reads the positional arrays back, checking every value it trusts. */
class MsgpackReader {
  private nodes = 0;

  constructor(private readonly limits: DecodeLimits) {}

  private count(path: string): void {
    if (++this.nodes > this.limits.maxNodes) {
      throw new InputTooLargeError(
        'maxNodes',
        `${path}: the dump has more than maxNodes (${this.limits.maxNodes}) nodes`,
      );
    }
  }

  read(root: unknown): ActivityDump {
    const top = array(root, '$', 8);
    if (top[0] !== MSGPACK_MAGIC) throw corrupt('$[0]', 'not an activity-dump msgpack document');
    if (top[1] !== VERSION) throw corrupt('$[1]', `unsupported msgpack layout version ${String(top[1])}`);
    const metadata =
      top[6] === null ? undefined : checkShape<DumpMetadata>(top[6], METADATA_SHAPE, '$.metadata', FORMAT);
    const dump = new ActivityDump({
      host: string(top[2], '$.host'),
      service: string(top[3], '$.service'),
      source: string(top[4], '$.source'),
      tags: list(top[5], '$.tags').map((t, i) => string(t, `$.tags[${i}]`)),
      metadata,
    });
    if (metadata !== undefined) dump.tree.differentiateArgs = metadata.differentiateArgs === true;
    list(top[7], '$.tree').forEach((n, i) => {
      dump.tree.appendRoot(this.processNode(n, `$.tree[${i}]`, 1));
    });
    dump.tree.recountNodes();
    return dump;
  }

  private depth(path: string, depth: number): void {
    if (depth > this.limits.maxDepth) {
      throw new InputTooLargeError(
        'maxDepth',
        `${path}: nesting deeper than maxDepth (${this.limits.maxDepth})`,
      );
    }
  }

  private processNode(value: unknown, path: string, depth: number): ProcessNode {
    this.depth(path, depth);
    this.count(path);
    const a = array(value, path, 12);
    const process = checkShape<ProcessInfo>(a[0], PROCESS_INFO_SHAPE, path, FORMAT, 'process');
    const node = new ProcessNode(process, int(a[1], path, 'generationType'));
    node.matchedRules = rules(a[2], path, 'matchedRules');
    node.imageTags = imageTags(a[3], path, 'imageTags');
    list(a[4], path, 'files').forEach((f, i) => {
      node.setFile(this.fileNode(f, `${path}.files[${i}]`, depth + 1));
    });
    list(a[5], path, 'dns').forEach((d, i) => {
      const p = `${path}.dns[${i}]`;
      this.count(p);
      const e = array(d, p, 4);
      const dns = new DnsNode(int(e[0], p, 'generationType'));
      list(e[1], p, 'requests').forEach((r, j) => {
        dns.requests.push(checkShape<DnsRequest>(r, DNS_REQUEST_SHAPE, `${p}.requests[${j}]`, FORMAT));
      });
      dns.matchedRules = rules(e[2], p, 'matchedRules');
      dns.imageTags = imageTags(e[3], p, 'imageTags');
      const first = dns.requests[0];
      if (first !== undefined) node.dnsNames.set(first.name, dns);
    });
    list(a[6], path, 'sockets').forEach((s, i) => {
      const p = `${path}.sockets[${i}]`;
      this.count(p);
      const e = array(s, p, 3);
      const socket = new SocketNode(string(e[0], p, 'family'), int(e[1], p, 'generationType'));
      list(e[2], p, 'binds').forEach((b, j) => {
        const q = `${p}.binds[${j}]`;
        this.count(q);
        const f = array(b, q, 6);
        const bind = new BindNode(
          int(f[0], q, 'port'),
          string(f[1], q, 'ip'),
          int(f[2], q, 'protocol'),
          int(f[3], q, 'generationType'),
        );
        bind.matchedRules = rules(f[4], q, 'matchedRules');
        bind.imageTags = imageTags(f[5], q, 'imageTags');
        socket.binds.push(bind);
      });
      node.sockets.push(socket);
    });
    list(a[7], path, 'imds').forEach((m, i) => {
      const p = `${path}.imds[${i}]`;
      this.count(p);
      const e = array(m, p, 4);
      const event = checkShape<ImdsInfo>(e[0], IMDS_SHAPE, `${p}.event`, FORMAT);
      const imds = new ImdsNode(event, int(e[1], p, 'generationType'));
      imds.matchedRules = rules(e[2], p, 'matchedRules');
      imds.imageTags = imageTags(e[3], p, 'imageTags');
      node.imdsEvents.set(imdsKey(imds.event), imds);
    });
    list(a[8], path, 'syscalls').forEach((s, i) => {
      const p = `${path}.syscalls[${i}]`;
      this.count(p);
      const e = array(s, p, 3);
      const syscall = new SyscallNode(int(e[0], p, 'syscall'), int(e[1], p, 'generationType'));
      syscall.imageTags = imageTags(e[2], p, 'imageTags');
      node.syscalls.push(syscall);
    });
    list(a[9], path, 'capabilities').forEach((c, i) => {
      const p = `${path}.capabilities[${i}]`;
      this.count(p);
      const e = array(c, p, 4);
      if (typeof e[1] !== 'boolean') throw corrupt(`${p}.capable`, 'expected a boolean');
      const cap = new CapabilityNode(int(e[0], p, 'capability'), e[1], int(e[2], p, 'generationType'));
      cap.imageTags = imageTags(e[3], p, 'imageTags');
      node.capabilities.push(cap);
    });
    list(a[10], path, 'devices').forEach((d, i) => {
      const p = `${path}.devices[${i}]`;
      this.count(p);
      const e = array(d, p, 4);
      const device = new NetworkDeviceNode(
        checkShape<NetworkDevice>(e[0], DEVICE_SHAPE, `${p}.device`, FORMAT),
        int(e[1], p, 'generationType'),
      );
      device.matchedRules = rules(e[2], p, 'matchedRules');
      list(e[3], p, 'flows').forEach((f, j) => {
        const q = `${p}.flows[${j}]`;
        this.count(q);
        const g = array(f, q, 8);
        const flow = new FlowNode(
          {
            source: checkShape<IpPort>(g[0], IP_PORT_SHAPE, `${q}.source`, FORMAT),
            destination: checkShape<IpPort>(g[1], IP_PORT_SHAPE, `${q}.destination`, FORMAT),
            l3Protocol: int(g[2], `${q}.l3Protocol`),
            l4Protocol: int(g[3], `${q}.l4Protocol`),
            ingress: checkShape<FlowStats>(g[4], FLOW_STATS_SHAPE, `${q}.ingress`, FORMAT),
            egress: checkShape<FlowStats>(g[5], FLOW_STATS_SHAPE, `${q}.egress`, FORMAT),
          },
          int(g[6], q, 'generationType'),
        );
        flow.imageTags = imageTags(g[7], q, 'imageTags');
        device.flows.set(flowKey(flow), flow);
      });
      node.networkDevices.set(deviceKey(device.device), device);
    });
    list(a[11], path, 'children').forEach((c, i) => {
      node.appendChild(this.processNode(c, `${path}.children[${i}]`, depth + 1));
    });
    return node;
  }

  private fileNode(value: unknown, path: string, depth: number): FileNode {
    this.depth(path, depth);
    this.count(path);
    const a = array(value, path, 8);
    const leaf = a[2];
    const node = new FileNode(
      string(a[0], path, 'name'),
      int(a[1], path, 'generationType'),
      leaf === null ? undefined : checkShape<FileInfo>(leaf, FILE_INFO_SHAPE, path, FORMAT, 'file'),
    );
    if (a[3] !== null) {
      const o = array(a[3], `${path}.open`, 3);
      node.open = {
        retval: int(o[0], path, 'open.retval'),
        flags: int(o[1], path, 'open.flags'),
        mode: int(o[2], path, 'open.mode'),
      };
    }
    node.imageTags = imageTags(a[4], path, 'imageTags');
    node.matchedRules = rules(a[5], path, 'matchedRules');
    if (a[6] !== null) node.firstSeen = bigint(a[6], path, 'firstSeen');
    list(a[7], path, 'children').forEach((c, i) => {
      node.setChild(this.fileNode(c, `${path}.children[${i}]`, depth + 1));
    });
    return node;
  }
}

const FORMAT = 'msgpack';

function corrupt(path: string, message: string): CorruptInputError {
  return new CorruptInputError(`${FORMAT} ${path}: ${message}`);
}

// Field paths are only put together when something is wrong: decoding a large dump would
// otherwise build a string for every field it reads.
function at(path: string, field: string | undefined): string {
  return field === undefined ? path : `${path}.${field}`;
}

function array(value: unknown, path: string, length: number): unknown[] {
  if (!Array.isArray(value) || value.length !== length) throw corrupt(path, `expected an array of ${length}`);
  return value;
}

function list(value: unknown, path: string, field?: string): unknown[] {
  if (!Array.isArray(value)) throw corrupt(at(path, field), 'expected an array');
  return value;
}

function string(value: unknown, path: string, field?: string): string {
  if (typeof value !== 'string') throw corrupt(at(path, field), 'expected a string');
  return value;
}

function int(value: unknown, path: string, field?: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value))
    throw corrupt(at(path, field), 'expected an integer');
  return value;
}

function bigint(value: unknown, path: string, field?: string): bigint {
  if (typeof value !== 'bigint') throw corrupt(at(path, field), 'expected a 64-bit integer');
  return value;
}

function rules(value: unknown, path: string, field: string): MatchedRule[] | undefined {
  if (value === null) return undefined;
  return list(value, path, field).map((r, i) =>
    checkShape<MatchedRule>(r, MATCHED_RULE_SHAPE, `${at(path, field)}[${i}]`, FORMAT),
  );
}

function imageTags(value: unknown, path: string, field: string): ImageTagTimes[] | undefined {
  if (value === null) return undefined;
  const flat = list(value, path, field);
  if (flat.length % 3 !== 0) throw corrupt(at(path, field), 'expected (tag, first seen, last seen) triples');
  const out: ImageTagTimes[] = [];
  for (let i = 0; i < flat.length; i += 3) {
    const tag = flat[i];
    const firstSeen = flat[i + 1];
    const lastSeen = flat[i + 2];
    if (typeof tag !== 'string' || typeof firstSeen !== 'bigint' || typeof lastSeen !== 'bigint') {
      throw corrupt(`${at(path, field)}[${i}]`, 'expected a (string, 64-bit, 64-bit) triple');
    }
    out.push({ tag, firstSeen, lastSeen });
  }
  return out;
}

/**
 * Decodes a dump written by {@link encodeMsgpack}.
 * @throws {CorruptInputError} when the bytes are not such a dump.
 * @throws {InputTooLargeError} past `maxNodes` or `maxDepth`.
 */
export function decodeMsgpack(bytes: Uint8Array, limits: DecodeLimits): ActivityDump {
  let root: unknown;
  try {
    root = packr.unpack(bytes);
  } catch (error) {
    if (error instanceof RangeError && /call stack/i.test(error.message)) {
      throw new InputTooLargeError('maxDepth', 'msgpack: nesting too deep to decode');
    }
    throw new CorruptInputError(`msgpack: ${error instanceof Error ? error.message : String(error)}`);
  }
  return new MsgpackReader(limits).read(root);
}
