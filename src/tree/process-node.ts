import type { MatchedRule } from '../events/matched-rule.js';
import type { ProcessInfo } from '../events/process.js';
import type { CapabilityNode } from './capability-node.js';
import type { DnsNode } from './dns-node.js';
import { FileNode } from './file-node.js';
import type { GenerationType } from './generation-type.js';
import type { ImageTagTimes } from './image-tags.js';
import type { ImdsNode } from './imds-node.js';
import type { NetworkDeviceNode } from './network-device-node.js';
import type { SocketNode } from './socket-node.js';
import type { SyscallNode } from './syscall-node.js';

/**
 * The activity of one process identity: its executable (and, with argument differentiation,
 * its arguments), the files it opened, the DNS names it asked for, its sockets, IMDS requests,
 * syscalls, capabilities, network flows, and its child processes in the order they appeared.
 */
export class ProcessNode {
  /** The process image as first recorded (arguments scrubbed, environment reduced). */
  process: ProcessInfo;
  /** Parent process node; `undefined` for a root of the tree. */
  parent: ProcessNode | undefined = undefined;
  /** How this node entered the tree. */
  generationType: GenerationType;
  /** Rules that matched this process's exec, one per rule id. */
  matchedRules: MatchedRule[] | undefined = undefined;
  /** Image tags the node was seen under. */
  imageTags: ImageTagTimes[] | undefined = undefined;
  /** Child processes, in the order they were first seen. */
  readonly children: ProcessNode[] = [];
  /** DNS names, keyed by the exact question name. */
  readonly dnsNames = new Map<string, DnsNode>();
  /** IMDS events, keyed by their identity. */
  readonly imdsEvents = new Map<string, ImdsNode>();
  /** Network devices, keyed by (netns, ifindex, ifname). */
  readonly networkDevices = new Map<string, NetworkDeviceNode>();
  /** At most one socket node per address family. */
  readonly sockets: SocketNode[] = [];
  /** One node per syscall number. */
  readonly syscalls: SyscallNode[] = [];
  /** One node per (capability, capable) pair. */
  readonly capabilities: CapabilityNode[] = [];
  // The file prefix tree hangs off an unnamed root so both levels share one child container.
  private readonly fileRoot = new FileNode('', 0);

  constructor(process: ProcessInfo, generationType: GenerationType) {
    this.process = process;
    this.generationType = generationType;
  }

  /** Top-level file components (first path segments), in insertion order. */
  get files(): readonly FileNode[] {
    return this.fileRoot.children;
  }

  /** The top-level file component with exactly this name. */
  file(name: string): FileNode | undefined {
    return this.fileRoot.child(name);
  }

  /** The top-level file component named `text.slice(start, end)`. */
  fileIn(text: string, start: number, end: number): FileNode | undefined {
    return this.fileRoot.childIn(text, start, end);
  }

  /** Adds (or replaces) a top-level file component. */
  setFile(node: FileNode): void {
    this.fileRoot.setChild(node);
  }

  /** Appends a child process node and sets its parent. */
  appendChild(node: ProcessNode): void {
    node.parent = this;
    this.children.push(node);
  }

  /** Whether this image replaced, in the same pid, an image that was itself the product of an exec. */
  get isExecExec(): boolean {
    return this.process.isExecExec === true;
  }
}
