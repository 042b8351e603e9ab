import type { ActivityDump } from '../../src/dump/activity-dump.js';
import { basenameOf, type FileInfo } from '../../src/events/file-info.js';
import type { MatchedRule } from '../../src/events/matched-rule.js';
import type { Credentials, ProcessInfo } from '../../src/events/process.js';
import type { FileNode } from '../../src/tree/file-node.js';
import type { ImageTagTimes } from '../../src/tree/image-tags.js';
import type { ProcessNode } from '../../src/tree/process-node.js';

/**
 * A plain, deep-comparable picture of a dump: every field with its documented default filled in
 * (zero values; `tid` is the pid and `basename` comes from the path), and
 * the collections that come from maps in the agent (files, DNS names, IMDS events, devices,
 * flows, matched-rule tags, image tags) sorted, so two dumps compare equal whatever format
 * they went through. Process children keep their order.
 */
export function canonicalDump(dump: ActivityDump, options: CanonicalOptions = {}): unknown {
  dnsAnswers = options.dnsAnswers ?? true;
  return {
    host: dump.host,
    service: dump.service,
    source: dump.source,
    tags: dump.tags,
    metadata: dump.metadata === undefined ? null : { ...dump.metadata },
    tree: dump.tree.roots.map(canonicalProcessNode),
  };
}

/** What to leave out of the comparison. */
export interface CanonicalOptions {
  /**
   * Compare DNS answers (IPs, CNAMEs). The agent's published schema has no field for them, so
   * `json`, `protobuf` and `profile` cannot keep them.
   * @default true
   */
  dnsAnswers?: boolean;
}

let dnsAnswers = true;

function sortBy<T>(items: T[], key: (item: T) => string): T[] {
  return items.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

function rules(list: MatchedRule[] | undefined): unknown {
  return (list ?? []).map((r) => ({
    ruleId: r.ruleId,
    ruleVersion: r.ruleVersion ?? '',
    policyName: r.policyName ?? '',
    policyVersion: r.policyVersion ?? '',
    ruleTags: Object.fromEntries(sortBy(Object.entries(r.ruleTags ?? {}), ([k]) => k)),
  }));
}

function tags(list: ImageTagTimes[] | undefined): unknown {
  return sortBy(
    (list ?? []).map((t) => ({ tag: t.tag, firstSeen: t.firstSeen, lastSeen: t.lastSeen })),
    (t) => t.tag,
  );
}

export function canonicalFile(file: FileInfo | undefined): unknown {
  if (file === undefined) return null;
  return {
    path: file.path,
    basename: file.basename ?? basenameOf(file.path),
    inode: file.inode ?? 0n,
    mountId: file.mountId ?? 0,
    mode: file.mode ?? 0,
    uid: file.uid ?? 0,
    gid: file.gid ?? 0,
    user: file.user ?? '',
    group: file.group ?? '',
    ctime: file.ctime ?? 0n,
    mtime: file.mtime ?? 0n,
    filesystem: file.filesystem ?? '',
    inUpperLayer: file.inUpperLayer ?? false,
    packageName: file.packageName ?? '',
    packageVersion: file.packageVersion ?? '',
    packageSrcVersion: file.packageSrcVersion ?? '',
    packageEpoch: file.packageEpoch ?? null,
    packageRelease: file.packageRelease ?? null,
    packageSrcEpoch: file.packageSrcEpoch ?? null,
    packageSrcRelease: file.packageSrcRelease ?? null,
    hashes: file.hashes ?? [],
    hashState: file.hashState ?? 0,
  };
}

function canonicalCredentials(c: Credentials | undefined): unknown {
  return {
    uid: c?.uid ?? 0,
    gid: c?.gid ?? 0,
    user: c?.user ?? '',
    group: c?.group ?? '',
    effectiveUid: c?.effectiveUid ?? 0,
    effectiveGid: c?.effectiveGid ?? 0,
    effectiveUser: c?.effectiveUser ?? '',
    effectiveGroup: c?.effectiveGroup ?? '',
    fsUid: c?.fsUid ?? 0,
    fsGid: c?.fsGid ?? 0,
    fsUser: c?.fsUser ?? '',
    fsGroup: c?.fsGroup ?? '',
    capEffective: c?.capEffective ?? 0n,
    capPermitted: c?.capPermitted ?? 0n,
  };
}

export function canonicalProcess(p: ProcessInfo): unknown {
  return {
    pid: p.pid,
    tid: p.tid ?? p.pid,
    ppid: p.ppid ?? 0,
    cookie: p.cookie ?? 0n,
    isThread: p.isThread ?? false,
    file: canonicalFile(p.file),
    containerId: p.containerId ?? '',
    tty: p.tty ?? '',
    comm: p.comm ?? '',
    forkTime: p.forkTime ?? 0n,
    execTime: p.execTime ?? 0n,
    exitTime: p.exitTime ?? 0n,
    credentials: canonicalCredentials(p.credentials),
    argv0: p.argv0 ?? '',
    args: p.args ?? [],
    argsTruncated: p.argsTruncated ?? false,
    envs: p.envs ?? [],
    envsTruncated: p.envsTruncated ?? false,
    isExecExec: p.isExecExec ?? false,
  };
}

function canonicalFileNode(node: FileNode): unknown {
  return {
    name: node.name,
    generationType: node.generationType,
    file: canonicalFile(node.file),
    open: node.open === undefined ? null : { ...node.open },
    firstSeen: node.firstSeen ?? 0n,
    matchedRules: rules(node.matchedRules),
    imageTags: tags(node.imageTags),
    children: sortBy([...node.children], (c) => c.name).map(canonicalFileNode),
  };
}

function canonicalProcessNode(node: ProcessNode): unknown {
  return {
    process: canonicalProcess(node.process),
    generationType: node.generationType,
    matchedRules: rules(node.matchedRules),
    imageTags: tags(node.imageTags),
    files: sortBy([...node.files], (f) => f.name).map(canonicalFileNode),
    dnsNames: sortBy([...node.dnsNames.entries()], ([k]) => k).map(([name, dns]) => ({
      name,
      matchedRules: rules(dns.matchedRules),
      imageTags: tags(dns.imageTags),
      requests: dns.requests.map((r) => (dnsAnswers ? { ...r } : { ...r, ips: [], cnames: [] })),
    })),
    sockets: node.sockets.map((s) => ({
      family: s.family,
      binds: s.binds.map((b) => ({
        port: b.port,
        ip: b.ip,
        protocol: b.protocol,
        matchedRules: rules(b.matchedRules),
        imageTags: tags(b.imageTags),
      })),
    })),
    imdsEvents: sortBy([...node.imdsEvents.entries()], ([k]) => k).map(([key, imds]) => ({
      key,
      matchedRules: rules(imds.matchedRules),
      imageTags: tags(imds.imageTags),
    })),
    syscalls: node.syscalls.map((s) => ({ syscall: s.syscall, imageTags: tags(s.imageTags) })),
    capabilities: node.capabilities.map((c) => ({
      capability: c.capability,
      capable: c.capable,
      imageTags: tags(c.imageTags),
    })),
    networkDevices: sortBy([...node.networkDevices.entries()], ([k]) => k).map(([key, device]) => ({
      key,
      matchedRules: rules(device.matchedRules),
      flows: sortBy([...device.flows.entries()], ([k]) => k).map(([flowKey, flow]) => ({
        flowKey,
        l3Protocol: flow.l3Protocol,
        l4Protocol: flow.l4Protocol,
        ingress: { ...flow.ingress },
        egress: { ...flow.egress },
        imageTags: tags(flow.imageTags),
      })),
    })),
    children: node.children.map(canonicalProcessNode),
  };
}
