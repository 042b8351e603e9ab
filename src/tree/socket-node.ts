import type { MatchedRule } from '../events/matched-rule.js';
import type { GenerationType } from './generation-type.js';
import type { ImageTagTimes } from './image-tags.js';

/** A local address a socket was bound to; identity is (port, ip, protocol). */
export class BindNode {
  matchedRules: MatchedRule[] | undefined = undefined;
  imageTags: ImageTagTimes[] | undefined = undefined;

  constructor(
    readonly port: number,
    readonly ip: string,
    readonly protocol: number,
    public generationType: GenerationType,
  ) {}
}

/** The sockets of one address family (`AF_INET`, `AF_INET6`) of a process. */
export class SocketNode {
  readonly binds: BindNode[] = [];

  constructor(
    readonly family: string,
    public generationType: GenerationType,
  ) {}

  /** The bind with this identity, if recorded. */
  bind(port: number, ip: string, protocol: number): BindNode | undefined {
    for (const b of this.binds) {
      if (b.port === port && b.ip === ip && b.protocol === protocol) return b;
    }
    return undefined;
  }
}
