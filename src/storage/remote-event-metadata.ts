import type { ActivityDump } from '../dump/activity-dump.js';

const NS_PER_SECOND = 1_000_000_000n;

/**
 * A time in Go's JSON form (RFC 3339 with nanoseconds, trailing zeros trimmed, UTC as `Z`);
 * 0 is Go's zero time, `0001-01-01T00:00:00Z`.
 */
export function goTimeJson(ns: bigint): string {
  if (ns <= 0n) return '0001-01-01T00:00:00Z';
  const seconds = ns / NS_PER_SECOND;
  const fraction = ns % NS_PER_SECOND;
  const base = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  if (fraction === 0n) return `${base}Z`;
  return `${base}.${fraction.toString().padStart(9, '0').replace(/0+$/, '')}Z`;
}

/**
 * The `event` part of an upload (the agent's event metadata, in its key order): who recorded
 * the dump, its tags as `ddtags`, its DNS names and metadata. `size` is the uncompressed size
 * of the dump part.
 */
export function remoteEventMetadata(
  dump: ActivityDump,
  format: string,
  size: number,
): Record<string, unknown> {
  const m = dump.metadata;
  const out: Record<string, unknown> = {};
  if (dump.host !== '') out.host = dump.host;
  if (dump.service !== '') out.service = dump.service;
  if (dump.source !== '') out.ddsource = dump.source;
  if (dump.tags.length > 0) out.ddtags = dump.tags.join(',');
  out.dns_names = [...dump.tree.dnsNames];
  out.agent_version = m?.agentVersion ?? '';
  out.agent_commit = m?.agentCommit ?? '';
  out.kernel_version = m?.kernelVersion ?? '';
  out.linux_distribution = m?.linuxDistribution ?? '';
  out.arch = m?.arch ?? '';
  out.name = m?.name ?? '';
  out.protobuf_version = m?.protobufVersion || 'v1';
  out.differentiate_args = m?.differentiateArgs ?? false;
  if ((m?.comm ?? '') !== '') out.comm = m!.comm;
  out.start = goTimeJson(m?.start ?? 0n);
  out.end = goTimeJson(m?.end ?? 0n);
  if (size > 0) out.activity_dump_size = size;
  out.serialization = format;
  return out;
}
