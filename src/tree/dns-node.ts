import type { DnsQuestion } from '../events/activity-event.js';
import type { MatchedRule } from '../events/matched-rule.js';
import type { GenerationType } from './generation-type.js';
import type { ImageTagTimes } from './image-tags.js';

/** Most resolved addresses kept per request (the agent's bound). */
export const MAX_DNS_RESPONSE_IPS = 32;
/** Most CNAME targets kept per request (the agent's bound). */
export const MAX_DNS_RESPONSE_CNAMES = 8;

/** One DNS question type seen for a name, with the answers seen for it. */
export interface DnsRequest {
  name: string;
  type: number;
  class: number;
  size: number;
  count: number;
  /** Union of the resolved addresses seen (at most {@link MAX_DNS_RESPONSE_IPS}). */
  ips: string[];
  /** Union of the CNAME targets seen (at most {@link MAX_DNS_RESPONSE_CNAMES}). */
  cnames: string[];
}

/** A DNS name a process asked for: one request per question type. */
export class DnsNode {
  /** At most one entry per question type, in the order first seen. */
  readonly requests: DnsRequest[] = [];
  matchedRules: MatchedRule[] | undefined = undefined;
  imageTags: ImageTagTimes[] | undefined = undefined;

  constructor(public generationType: GenerationType) {}

  /** The request of this question type, if seen. */
  request(type: number): DnsRequest | undefined {
    for (const r of this.requests) if (r.type === type) return r;
    return undefined;
  }

  /** Adds a request built from a question (the caller checked its type is not present). */
  addRequest(question: DnsQuestion): DnsRequest {
    const request: DnsRequest = {
      name: question.name,
      type: question.type ?? 1,
      class: question.class ?? 1,
      size: question.size ?? 0,
      count: question.count ?? 1,
      ips: [],
      cnames: [],
    };
    this.requests.push(request);
    return request;
  }
}

/** Unions answers into a request, within the agent's bounds. Never counts as new. */
export function mergeDnsAnswers(
  request: DnsRequest,
  ips: readonly string[] | undefined,
  cnames: readonly string[] | undefined,
): void {
  if (ips !== undefined) unionInto(request.ips, ips, MAX_DNS_RESPONSE_IPS);
  if (cnames !== undefined) unionInto(request.cnames, cnames, MAX_DNS_RESPONSE_CNAMES);
}

function unionInto(target: string[], values: readonly string[], max: number): void {
  for (const v of values) {
    if (target.length >= max) return;
    if (!target.includes(v)) target.push(v);
  }
}

/** Keeps the last `depth` labels of a DNS name (names with fewer labels are kept whole). */
export function reduceDnsName(name: string, depth: number): string {
  let cut = name.length;
  for (let i = 0; i < depth; i++) {
    cut = name.lastIndexOf('.', cut - 1);
    if (cut < 0) return name;
  }
  return name.slice(cut + 1);
}
