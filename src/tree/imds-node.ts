import type { ImdsInfo } from '../events/activity-event.js';
import type { MatchedRule } from '../events/matched-rule.js';
import type { GenerationType } from './generation-type.js';
import type { ImageTagTimes } from './image-tags.js';

/** One distinct cloud-metadata request or response of a process (every field is part of its identity). */
export class ImdsNode {
  matchedRules: MatchedRule[] | undefined = undefined;
  imageTags: ImageTagTimes[] | undefined = undefined;

  constructor(
    readonly event: ImdsInfo,
    public generationType: GenerationType,
  ) {}
}

/**
 * A normalised copy of an IMDS event: unset fields become `""`/`false`, and the AWS section is
 * kept only for the `aws` provider (as the agent's encoder does).
 */
export function normalizeImds(info: ImdsInfo): ImdsInfo {
  const out: ImdsInfo = {
    type: info.type,
    cloudProvider: info.cloudProvider ?? '',
    url: info.url ?? '',
    host: info.host ?? '',
    userAgent: info.userAgent ?? '',
    server: info.server ?? '',
  };
  if (out.cloudProvider === 'aws') {
    const creds = info.aws?.securityCredentials;
    out.aws = {
      isImdsV2: info.aws?.isImdsV2 ?? false,
      securityCredentials: {
        code: creds?.code ?? '',
        type: creds?.type ?? '',
        accessKeyId: creds?.accessKeyId ?? '',
        lastUpdated: creds?.lastUpdated ?? '',
        expirationRaw: creds?.expirationRaw ?? '',
      },
    };
  }
  return out;
}

/** The identity key of a normalised IMDS event. */
export function imdsKey(info: ImdsInfo): string {
  const c = info.aws?.securityCredentials;
  return JSON.stringify([
    info.type,
    info.cloudProvider,
    info.url,
    info.host,
    info.userAgent,
    info.server,
    info.aws?.isImdsV2 ?? null,
    c?.code,
    c?.type,
    c?.accessKeyId,
    c?.lastUpdated,
    c?.expirationRaw,
  ]);
}
