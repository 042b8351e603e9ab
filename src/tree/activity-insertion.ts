import type {
  BindEvent,
  CapabilitiesEvent,
  DnsEvent,
  ImdsInfo,
  NetworkFlowEvent,
  SyscallsEvent,
} from '../events/activity-event.js';
import { CAP_LAST_CAP, CapabilityNode } from './capability-node.js';
import { DnsNode, mergeDnsAnswers, reduceDnsName } from './dns-node.js';
import { touchImageTag } from './image-tags.js';
import { ImdsNode, imdsKey, normalizeImds } from './imds-node.js';
import type { InsertContext } from './insert-context.js';
import { appendMatchedRules } from './matched-rules.js';
import { deviceKey, FlowNode, flowKey, NetworkDeviceNode } from './network-device-node.js';
import type { ProcessNode } from './process-node.js';
import { BindNode, SocketNode } from './socket-node.js';
import { SyscallNode } from './syscall-node.js';

/**
 * Records a DNS question (and any answers). New: an unseen name, or a new question type for a
 * known name. Merging answers is never new, so IP rotation does not look like drift.
 */
export function insertDns(
  node: ProcessNode,
  event: DnsEvent,
  treeNames: Set<string>,
  matchMaxDepth: number,
  ctx: InsertContext,
): boolean {
  const dns = event.dns;
  const type = dns.type ?? 1;
  if (ctx.dryRun) return !containsDns(node, dns.name, type, matchMaxDepth);
  treeNames.add(dns.name);
  const existing = node.dnsNames.get(dns.name);
  if (existing !== undefined) {
    existing.matchedRules = appendMatchedRules(existing.matchedRules, ctx.matchedRules);
    existing.imageTags = touchImageTag(existing.imageTags, ctx.imageTag, ctx.time);
    const request = existing.request(type);
    if (request !== undefined) {
      mergeDnsAnswers(request, dns.response?.ips, dns.response?.cnames);
      return false;
    }
    mergeDnsAnswers(existing.addRequest(dns), dns.response?.ips, dns.response?.cnames);
    return true;
  }
  const created = new DnsNode(ctx.generationType);
  mergeDnsAnswers(created.addRequest(dns), dns.response?.ips, dns.response?.cnames);
  created.matchedRules = appendMatchedRules(undefined, ctx.matchedRules);
  created.imageTags = touchImageTag(undefined, ctx.imageTag, ctx.time);
  node.dnsNames.set(dns.name, created);
  ctx.stats.dnsNodes++;
  return true;
}

// Dry-run lookup: exact name when the depth is 0 (type ignored), otherwise names compared on
// their last `depth` labels and the question type must match.
function containsDns(node: ProcessNode, name: string, type: number, depth: number): boolean {
  if (depth === 0) return node.dnsNames.has(name);
  const wanted = reduceDnsName(name, depth);
  for (const [known, dnsNode] of node.dnsNames) {
    if (reduceDnsName(known, depth) === wanted && dnsNode.request(type) !== undefined) return true;
  }
  return false;
}

/** Records a successful bind. New: a new address family or a new (port, ip, protocol). */
export function insertBind(node: ProcessNode, event: BindEvent, ctx: InsertContext): boolean {
  const bind = event.bind;
  if ((bind.retval ?? 0) !== 0) return false;
  const protocol = bind.protocol ?? 0;
  let socket: SocketNode | undefined;
  for (const s of node.sockets) if (s.family === bind.family) socket = s;
  if (socket === undefined) {
    if (ctx.dryRun) return true;
    socket = new SocketNode(bind.family, ctx.generationType);
    node.sockets.push(socket);
    ctx.stats.socketNodes++;
  }
  const existing = socket.bind(bind.port, bind.ip, protocol);
  if (existing !== undefined) {
    if (!ctx.dryRun) {
      existing.matchedRules = appendMatchedRules(existing.matchedRules, ctx.matchedRules);
      existing.imageTags = touchImageTag(existing.imageTags, ctx.imageTag, ctx.time);
    }
    return false;
  }
  if (ctx.dryRun) return true;
  const created = new BindNode(bind.port, bind.ip, protocol, ctx.generationType);
  created.matchedRules = appendMatchedRules(undefined, ctx.matchedRules);
  created.imageTags = touchImageTag(undefined, ctx.imageTag, ctx.time);
  socket.binds.push(created);
  return true;
}

/** Records an IMDS request or response. New: an unseen combination of its fields. */
export function insertImds(node: ProcessNode, info: ImdsInfo, ctx: InsertContext): boolean {
  const normalized = normalizeImds(info);
  const key = imdsKey(normalized);
  const existing = node.imdsEvents.get(key);
  if (existing !== undefined) {
    if (!ctx.dryRun) {
      existing.matchedRules = appendMatchedRules(existing.matchedRules, ctx.matchedRules);
      existing.imageTags = touchImageTag(existing.imageTags, ctx.imageTag, ctx.time);
    }
    return false;
  }
  if (ctx.dryRun) return true;
  const created = new ImdsNode(normalized, ctx.generationType);
  created.matchedRules = appendMatchedRules(undefined, ctx.matchedRules);
  created.imageTags = touchImageTag(undefined, ctx.imageTag, ctx.time);
  node.imdsEvents.set(key, created);
  ctx.stats.imdsNodes++;
  return true;
}

/** Records syscall numbers. New: any number the process was not seen using. */
export function insertSyscalls(
  node: ProcessNode,
  event: SyscallsEvent,
  treeSyscalls: Set<number>,
  ctx: InsertContext,
): boolean {
  let added = false;
  for (const nr of event.syscalls) {
    const existing = node.syscalls.find((s) => s.syscall === nr);
    if (existing !== undefined) {
      if (!ctx.dryRun) existing.imageTags = touchImageTag(existing.imageTags, ctx.imageTag, ctx.time);
      continue;
    }
    if (ctx.dryRun) return true;
    // Syscall nodes are always Runtime, whatever the insert's generation type (agent behaviour).
    const created = new SyscallNode(nr, 1);
    created.imageTags = touchImageTag(undefined, ctx.imageTag, ctx.time);
    node.syscalls.push(created);
    treeSyscalls.add(nr);
    ctx.stats.syscallNodes++;
    added = true;
  }
  return added;
}

/** Records capability use. New: an unseen (capability, capable) pair. */
export function insertCapabilities(node: ProcessNode, event: CapabilitiesEvent, ctx: InsertContext): boolean {
  let added = false;
  for (let cap = 0; cap <= CAP_LAST_CAP; cap++) {
    const bit = 1n << BigInt(cap);
    if ((event.attempted & bit) === 0n) continue;
    const capable = (event.used & bit) !== 0n;
    const existing = node.capabilities.find((c) => c.capability === cap && c.capable === capable);
    if (existing !== undefined) {
      if (!ctx.dryRun) existing.imageTags = touchImageTag(existing.imageTags, ctx.imageTag, ctx.time);
      continue;
    }
    if (ctx.dryRun) return true;
    const created = new CapabilityNode(cap, capable, 1);
    created.imageTags = touchImageTag(undefined, ctx.imageTag, ctx.time);
    node.capabilities.push(created);
    ctx.stats.capabilityNodes++;
    added = true;
  }
  return added;
}

/** Records network flows on a device. New: an unseen 5-tuple; a re-seen flow adds its counters. */
export function insertNetworkFlows(node: ProcessNode, event: NetworkFlowEvent, ctx: InsertContext): boolean {
  const key = deviceKey(event.device);
  let device = node.networkDevices.get(key);
  let added = false;
  for (const flow of event.flows) {
    const existing = device?.flows.get(flowKey(flow));
    if (existing !== undefined) {
      if (!ctx.dryRun) {
        existing.addCounters(flow);
        existing.imageTags = touchImageTag(existing.imageTags, ctx.imageTag, ctx.time);
      }
      continue;
    }
    if (ctx.dryRun) return true;
    if (device === undefined) {
      device = new NetworkDeviceNode(event.device, ctx.generationType);
      device.matchedRules = appendMatchedRules(undefined, ctx.matchedRules);
      node.networkDevices.set(key, device);
    }
    const created = new FlowNode(flow, ctx.generationType);
    created.imageTags = touchImageTag(undefined, ctx.imageTag, ctx.time);
    device.flows.set(flowKey(flow), created);
    ctx.stats.flowNodes++;
    added = true;
  }
  return added;
}
