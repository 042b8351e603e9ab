import type { FileInfo } from './file-info.js';
import type { MatchedRule } from './matched-rule.js';
import type { ProcessContext } from './process.js';

/** Every event type the library records, in a stable order. */
export const EVENT_TYPES = [
  'exec',
  'fork',
  'exit',
  'open',
  'dns',
  'bind',
  'imds',
  'syscalls',
  'capabilities',
  'network_flow',
] as const;

/** The `type` of an {@link ActivityEvent}. */
export type EventType = (typeof EVENT_TYPES)[number];

/** Fields shared by every event. */
export interface EventBase {
  /** The process the event belongs to, with its ancestors. */
  process: ProcessContext;
  /** When the event happened, ns since the Unix epoch. @default 0n */
  timestamp?: bigint;
  /** Rules that matched this event. @default [] */
  matchedRules?: MatchedRule[];
}

/** A process executed a new image. The process context describes the new image. */
export interface ExecEvent extends EventBase {
  type: 'exec';
}

/** A process forked. The process context describes the child. */
export interface ForkEvent extends EventBase {
  type: 'fork';
}

/** A process exited. */
export interface ExitEvent extends EventBase {
  type: 'exit';
  /** How it ended, when known. */
  exit?: { cause?: string; code?: number };
}

/** A file was opened. */
export interface OpenEvent extends EventBase {
  type: 'open';
  /** The opened file (its `path` is the resolved absolute path). */
  file: FileInfo;
  /** `open(2)` flags. @default 0 */
  flags?: number;
  /** `open(2)` mode. @default 0 */
  mode?: number;
  /** Return value of the syscall (the fd, or a negative errno). @default 0 */
  retval?: number;
}

/** The answers of a DNS response, when the collector sees them. */
export interface DnsResponse {
  /** Resolved addresses. @default [] */
  ips?: string[];
  /** CNAME targets. @default [] */
  cnames?: string[];
}

/** A DNS question (one per event). */
export interface DnsQuestion {
  /** Question name, such as `example.com`. */
  name: string;
  /** Question type number (A=1, AAAA=28, …). @default 1 */
  type?: number;
  /** Question class number (IN=1). @default 1 */
  class?: number;
  /** Size of the question in bytes. @default 0 */
  size?: number;
  /** Number of questions in the packet. @default 1 */
  count?: number;
}

/** A DNS request (and, when known, its response). */
export interface DnsEvent extends EventBase {
  type: 'dns';
  dns: DnsQuestion & {
    /** DNS message id. @default 0 */
    id?: number;
    /** The response, for response events. */
    response?: DnsResponse;
  };
}

/** A socket was bound to a local address. */
export interface BindEvent extends EventBase {
  type: 'bind';
  bind: {
    /** Address family name: `AF_INET` or `AF_INET6` are recorded, others are dropped. */
    family: string;
    /** Bound address in its textual form (`0.0.0.0`, `::1`, …). */
    ip: string;
    /** Bound port. */
    port: number;
    /** IP protocol number (TCP=6, UDP=17). @default 0 */
    protocol?: number;
    /** Return value of `bind(2)`; failed binds are ignored. @default 0 */
    retval?: number;
  };
}

/** Security credentials returned by the AWS instance metadata service. */
export interface AwsSecurityCredentials {
  code?: string;
  type?: string;
  accessKeyId?: string;
  lastUpdated?: string;
  /** Expiration as the raw RFC 3339 text the service returned. */
  expirationRaw?: string;
}

/** One cloud instance-metadata (IMDS) request or response. */
export interface ImdsInfo {
  /** `request` or `response`. */
  type: string;
  /** `aws`, `gcp`, `azure`, `ibm`, `oracle`. @default "" */
  cloudProvider?: string;
  url?: string;
  host?: string;
  userAgent?: string;
  server?: string;
  /** AWS specifics (kept only when `cloudProvider` is `aws`). */
  aws?: { isImdsV2?: boolean; securityCredentials?: AwsSecurityCredentials };
}

/** A cloud metadata service was queried or answered. */
export interface ImdsEvent extends EventBase {
  type: 'imds';
  imds: ImdsInfo;
}

/** A batch of syscall numbers a process was seen using. */
export interface SyscallsEvent extends EventBase {
  type: 'syscalls';
  /** Syscall numbers (architecture specific). */
  syscalls: number[];
}

/** Capability use: bit `n` of each mask is capability number `n`. */
export interface CapabilitiesEvent extends EventBase {
  type: 'capabilities';
  /** Capabilities the process attempted to use. */
  attempted: bigint;
  /** Of those, the ones it actually held. */
  used: bigint;
}

/** An IP address and port. */
export interface IpPort {
  ip: string;
  port: number;
}

/** Traffic counters of one direction of a flow. */
export interface FlowStats {
  /** @default 0n */
  dataSize?: bigint;
  /** @default 0n */
  packetCount?: bigint;
}

/** One network flow, identified by its 5-tuple. */
export interface NetworkFlow {
  source: IpPort;
  destination: IpPort;
  /** L3 protocol number (IPv4=0x0800). @default 0 */
  l3Protocol?: number;
  /** L4 protocol number (TCP=6). @default 0 */
  l4Protocol?: number;
  ingress?: FlowStats;
  egress?: FlowStats;
}

/** The network device flows were seen on. */
export interface NetworkDevice {
  netns: number;
  ifindex: number;
  ifname: string;
}

/** Network flows observed for a process on one device. */
export interface NetworkFlowEvent extends EventBase {
  type: 'network_flow';
  device: NetworkDevice;
  flows: NetworkFlow[];
}

/** Everything the activity tree records, discriminated by `type`. */
export type ActivityEvent =
  | ExecEvent
  | ForkEvent
  | ExitEvent
  | OpenEvent
  | DnsEvent
  | BindEvent
  | ImdsEvent
  | SyscallsEvent
  | CapabilitiesEvent
  | NetworkFlowEvent;
