import type { IpPort, NetworkDevice, NetworkFlow } from '../events/activity-event.js';
import type { MatchedRule } from '../events/matched-rule.js';
import type { GenerationType } from './generation-type.js';
import type { ImageTagTimes } from './image-tags.js';

/** Traffic counters of one direction of a flow. */
export interface FlowCounters {
  dataSize: bigint;
  packetCount: bigint;
}

/** One network flow (5-tuple) of a process, with accumulated counters. */
export class FlowNode {
  imageTags: ImageTagTimes[] | undefined = undefined;
  readonly ingress: FlowCounters;
  readonly egress: FlowCounters;
  readonly source: IpPort;
  readonly destination: IpPort;
  readonly l3Protocol: number;
  readonly l4Protocol: number;

  constructor(
    flow: NetworkFlow,
    public generationType: GenerationType,
  ) {
    this.source = { ip: flow.source.ip, port: flow.source.port };
    this.destination = { ip: flow.destination.ip, port: flow.destination.port };
    this.l3Protocol = flow.l3Protocol ?? 0;
    this.l4Protocol = flow.l4Protocol ?? 0;
    this.ingress = { dataSize: flow.ingress?.dataSize ?? 0n, packetCount: flow.ingress?.packetCount ?? 0n };
    this.egress = { dataSize: flow.egress?.dataSize ?? 0n, packetCount: flow.egress?.packetCount ?? 0n };
  }

  /** Adds the counters of a re-seen flow. */
  addCounters(flow: NetworkFlow): void {
    this.ingress.dataSize += flow.ingress?.dataSize ?? 0n;
    this.ingress.packetCount += flow.ingress?.packetCount ?? 0n;
    this.egress.dataSize += flow.egress?.dataSize ?? 0n;
    this.egress.packetCount += flow.egress?.packetCount ?? 0n;
  }
}

/** The flows of a process on one network device. */
export class NetworkDeviceNode {
  matchedRules: MatchedRule[] | undefined = undefined;
  /** Flows keyed by their 5-tuple. */
  readonly flows = new Map<string, FlowNode>();
  readonly device: NetworkDevice;

  constructor(
    device: NetworkDevice,
    public generationType: GenerationType,
  ) {
    this.device = { netns: device.netns, ifindex: device.ifindex, ifname: device.ifname };
  }
}

/** The identity key of a device: (netns, ifindex, ifname). */
export function deviceKey(device: NetworkDevice): string {
  return `${device.netns}|${device.ifindex}|${device.ifname}`;
}

/** The identity key of a flow: its 5-tuple. */
export function flowKey(flow: NetworkFlow): string {
  return `${flow.source.ip}|${flow.source.port}|${flow.destination.ip}|${flow.destination.port}|${flow.l4Protocol ?? 0}`;
}
