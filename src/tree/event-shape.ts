import type { ActivityEvent } from '../events/activity-event.js';
import type { ProcessContext } from '../events/process.js';

/**
 * Whether an event has the fields the tree reads, with the right types (its ancestors aside,
 * see {@link hasWellFormedAncestors}). Events built by hand in plain JavaScript (or decoded from
 * untrusted input) that fail this are dropped as `broken_event` instead of throwing somewhere
 * inside the tree, possibly half-way through an insert.
 */
export function isWellFormed(event: ActivityEvent): boolean {
  if (!isProcessKey(event.process)) return false;
  if (!optional(event.timestamp, 'bigint')) return false;
  if (event.matchedRules !== undefined && !isRuleList(event.matchedRules)) return false;
  switch (event.type) {
    case 'exec':
    case 'fork':
    case 'exit':
      return true;
    case 'open':
      return (
        isFile(event.file) &&
        optionalInteger(event.flags) &&
        optionalInteger(event.mode) &&
        optionalInteger(event.retval)
      );
    case 'dns': {
      const dns = event.dns;
      if (!isObject(dns) || typeof dns.name !== 'string') return false;
      if (!optionalInteger(dns.type) || !optionalInteger(dns.class)) return false;
      if (!optionalInteger(dns.size) || !optionalInteger(dns.count)) return false;
      const response = dns.response;
      return (
        response === undefined ||
        (isObject(response) && optionalStrings(response.ips) && optionalStrings(response.cnames))
      );
    }
    case 'bind':
      return (
        isObject(event.bind) &&
        typeof event.bind.family === 'string' &&
        typeof event.bind.ip === 'string' &&
        Number.isInteger(event.bind.port) &&
        optionalInteger(event.bind.protocol) &&
        optionalInteger(event.bind.retval)
      );
    case 'imds': {
      const imds = event.imds;
      if (!isObject(imds) || typeof imds.type !== 'string') return false;
      for (const key of ['cloudProvider', 'url', 'host', 'userAgent', 'server'] as const) {
        if (!optional(imds[key], 'string')) return false;
      }
      const aws = imds.aws;
      if (aws === undefined) return true;
      if (!isObject(aws) || !optional(aws.isImdsV2, 'boolean')) return false;
      const creds = aws.securityCredentials;
      if (creds === undefined) return true;
      if (!isObject(creds)) return false;
      for (const key of ['code', 'type', 'accessKeyId', 'lastUpdated', 'expirationRaw'] as const) {
        if (!optional(creds[key], 'string')) return false;
      }
      return true;
    }
    case 'syscalls':
      return Array.isArray(event.syscalls) && event.syscalls.every(Number.isInteger);
    case 'capabilities':
      return typeof event.attempted === 'bigint' && typeof event.used === 'bigint';
    case 'network_flow': {
      const device = event.device;
      if (!isObject(device) || !Number.isInteger(device.netns) || !Number.isInteger(device.ifindex))
        return false;
      if (typeof device.ifname !== 'string' || !Array.isArray(event.flows)) return false;
      return event.flows.every(
        (f) =>
          isObject(f) &&
          isEndpoint(f.source) &&
          isEndpoint(f.destination) &&
          optionalInteger(f.l3Protocol) &&
          optionalInteger(f.l4Protocol) &&
          isStats(f.ingress) &&
          isStats(f.egress),
      );
    }
    default:
      return false;
  }
}

/**
 * Whether an event's process and its ancestors are well formed. Checked only when the tree
 * walks the lineage: a process it already knows by cookie reads nothing else.
 */
export function hasWellFormedLineage(process: ProcessContext): boolean {
  if (!isProcess(process)) return false;
  const ancestors = process.ancestors;
  if (ancestors === undefined) return true;
  if (!Array.isArray(ancestors)) return false;
  for (let i = 0; i < ancestors.length; i++) if (!isProcess(ancestors[i])) return false;
  return true;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function optional(value: unknown, type: 'string' | 'bigint' | 'boolean'): boolean {
  return value === undefined || typeof value === type;
}

function optionalInteger(value: unknown): boolean {
  return value === undefined || Number.isInteger(value);
}

function optionalStrings(value: unknown): boolean {
  return value === undefined || (Array.isArray(value) && value.every((v) => typeof v === 'string'));
}

function isRuleList(value: unknown): boolean {
  return (
    Array.isArray(value) &&
    value.every(
      (r) =>
        isObject(r) &&
        typeof r.ruleId === 'string' &&
        (r.ruleTags === undefined ||
          (isObject(r.ruleTags) && Object.values(r.ruleTags).every((t) => typeof t === 'string'))),
    )
  );
}

function isEndpoint(value: unknown): boolean {
  return isObject(value) && typeof value.ip === 'string' && Number.isInteger(value.port);
}

function isStats(value: unknown): boolean {
  return (
    value === undefined ||
    (isObject(value) && optional(value.dataSize, 'bigint') && optional(value.packetCount, 'bigint'))
  );
}

// The file fields the tree reads or copies, with their types.
function isFile(value: unknown): boolean {
  if (!isObject(value) || typeof value.path !== 'string') return false;
  return (
    optional(value.basename, 'string') &&
    optional(value.inode, 'bigint') &&
    optionalInteger(value.mountId) &&
    optionalInteger(value.mode) &&
    optional(value.filesystem, 'string') &&
    optional(value.ctime, 'bigint') &&
    optional(value.mtime, 'bigint') &&
    optionalStrings(value.hashes)
  );
}

// What the process cache reads before anything else.
function isProcessKey(value: unknown): boolean {
  return (
    isObject(value) &&
    isObject(value.file) &&
    optional(value.cookie, 'bigint') &&
    optional(value.execTime, 'bigint') &&
    optional(value.exitTime, 'bigint')
  );
}

// The process fields the tree reads or copies, with their types.
function isProcess(value: unknown): boolean {
  if (!isObject(value) || !Number.isInteger(value.pid) || !isFile(value.file)) return false;
  return (
    optional(value.argv0, 'string') &&
    optionalStrings(value.args) &&
    optionalStrings(value.envs) &&
    optional(value.cookie, 'bigint') &&
    optional(value.execTime, 'bigint') &&
    optional(value.exitTime, 'bigint') &&
    optional(value.forkTime, 'bigint') &&
    optional(value.containerId, 'string') &&
    optional(value.isExecExec, 'boolean') &&
    optional(value.isParentMissing, 'boolean') &&
    (value.credentials === undefined || isObject(value.credentials))
  );
}
