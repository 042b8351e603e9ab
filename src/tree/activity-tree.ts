import { InvalidArgumentError } from '../errors.js';
import { type ActivityEvent, EVENT_TYPES, type EventType, type OpenEvent } from '../events/activity-event.js';
import { copyProcessInfo } from '../events/copy-records.js';
import type { ProcessInfo } from '../events/process.js';
import {
  insertBind,
  insertCapabilities,
  insertDns,
  insertImds,
  insertNetworkFlows,
  insertSyscalls,
} from './activity-insertion.js';
import { hasWellFormedLineage, isWellFormed } from './event-shape.js';
import { insertFilePath, touchKnownPath } from './file-insertion.js';
import { FilePathCache } from './file-path-cache.js';
import { GenerationType, MAX_GENERATION_TYPE } from './generation-type.js';
import { touchImageTag } from './image-tags.js';
import type { InsertContext } from './insert-context.js';
import type { ProcessChain } from './lineage.js';
import {
  hasUsableLineage,
  isBusybox,
  isValidRoot,
  nextInterestingAncestor,
  processChain,
} from './lineage.js';
import { appendMatchedRules } from './matched-rules.js';
import { NORMALIZED_PATH_MATCH, pathPatternMatch } from './path-pattern.js';
import { PathsReducer } from './paths-reducer.js';
import { ProcessCache } from './process-cache.js';
import { ProcessNode } from './process-node.js';
import { ArgsScrubber, DEFAULT_ENVS_WITH_VALUE, reduceEnvs } from './process-scrubbing.js';
import { ActivityTreeStats, type DropReason } from './tree-stats.js';

/** Options of an {@link ActivityTree}. */
export interface ActivityTreeOptions {
  /**
   * Metric tag value naming what owns the tree.
   * @default 'activity_dump'
   */
  treeType?: string;
  /**
   * Tell processes of the same executable apart by their (scrubbed) arguments.
   * @default false
   */
  differentiateArgs?: boolean;
  /**
   * For `contains` on DNS events: compare names on their last N labels (0 = exact name only).
   * @default 3
   */
  dnsMatchMaxDepth?: number;
  /**
   * Rewrites file paths before insertion (pids, container ids, … become `*`); `null` keeps paths as they are.
   * @default new PathsReducer()
   */
  pathsReducer?: PathsReducer | null;
  /**
   * Which processes belong to the tree's workload. Ancestors outside it are not recorded.
   * @default every process
   */
  selector?: (process: ProcessInfo) => boolean;
  /**
   * Event types the tree records; others are dropped with reason `event_type`.
   * @default all event types
   */
  tracedEventTypes?: Iterable<EventType>;
  /** Called for every process node the tree creates (the agent uses it to trace the new pid). */
  onNewProcessNode?: (node: ProcessNode) => void;
  /**
   * Environment variables that keep their value; every other variable is reduced to its name.
   * @default ['LD_PRELOAD', 'LD_LIBRARY_PATH', 'PATH', 'HISTSIZE', 'HISTFILESIZE', 'GLIBC_TUNABLES']
   */
  envsWithValue?: Iterable<string>;
  /**
   * Redacts secrets in process arguments before they are stored or compared; `null` keeps them.
   * @default new ArgsScrubber()
   */
  argsScrubber?: ArgsScrubber | null;
  /**
   * How many processes (by cookie and exec time) are remembered to skip the lineage walk for
   * their next events. 0 disables the cache.
   * @default 1024
   */
  processCacheSize?: number;
  /**
   * How many recently opened paths are remembered with the nodes they resolved to, so a path
   * opened again skips path reduction and the prefix-tree walk (it holds up to twice this many,
   * about 150 bytes each). 0 disables the cache.
   * @default 2048
   */
  fileCacheSize?: number;
}

/** Options of one insert. */
export interface InsertOptions {
  /**
   * How the nodes this insert creates are marked (1–4).
   * @default GenerationType.Runtime
   */
  generationType?: GenerationType;
  /**
   * Image tag the touched nodes are stamped with (`""` stamps nothing).
   * @default ''
   */
  imageTag?: string;
  /**
   * Only answer whether the event would add something; change nothing.
   * @default false
   */
  dryRun?: boolean;
}

/**
 * What an insert did: `added` (the tree gained information), `unchanged` (known already, or
 * merged without counting as new), or the {@link DropReason} it was dropped for.
 */
export type InsertOutcome = 'added' | 'unchanged' | DropReason;

const DEFAULT_DNS_MATCH_MAX_DEPTH = 3;
const DEFAULT_PROCESS_CACHE_SIZE = 1024;
const DEFAULT_FILE_CACHE_SIZE = 2048;

// Per-node size estimates in bytes, the agent's per-kind weights (process, file, DNS, socket)
// and ours for the kinds it does not weigh. Used for the dump size budget only.
const SIZE_WEIGHTS = {
  process: 1024,
  file: 80,
  dns: 24,
  socket: 40,
  imds: 64,
  syscall: 16,
  flow: 96,
  capability: 16,
} as const;

/**
 * The de-duplicated record of what a workload did: a forest of {@link ProcessNode}s, each with
 * its files, DNS names, sockets, IMDS requests, syscalls, capabilities and flows.
 *
 * `insert` follows the Datadog Agent's rules (lineage checks, ancestor collapsing, exec-chain
 * rebasing, per-kind de-duplication) so that trees built here match the agent's. The tree has
 * no locks: its owner serialises access.
 */
export class ActivityTree {
  /** Root process nodes, in the order they appeared. */
  readonly roots: ProcessNode[] = [];
  /** Counters and node counts. */
  readonly stats = new ActivityTreeStats();
  /** Every DNS name recorded anywhere in the tree. */
  readonly dnsNames = new Set<string>();
  /** Metric tag value naming the owner. */
  readonly treeType: string;
  /** Whether processes are told apart by their arguments. */
  differentiateArgs: boolean;
  /** Label depth for DNS dry-run lookups. */
  readonly dnsMatchMaxDepth: number;
  private readonly syscallSet = new Set<number>();
  private readonly pathsReducer: PathsReducer | null;
  private readonly selector: ((process: ProcessInfo) => boolean) | undefined;
  private readonly traced: ReadonlySet<EventType>;
  private readonly onNewProcessNode: ((node: ProcessNode) => void) | undefined;
  private readonly envsWithValue: ReadonlySet<string>;
  private readonly argsScrubber: ArgsScrubber | null;
  private readonly processCache: ProcessCache;
  private readonly fileCache: FilePathCache;
  private readonly ctx: InsertContext;
  // Scratch state of the process lookup, kept on the instance so lookups allocate nothing.
  private chain: ProcessChain = [];
  private branch: number[] = [];
  private foundIndex = -1;
  private createdProcessNode = false;
  // What a dry run would have moved, so its later lookups answer as the real insert would.
  private overlayParent: Map<ProcessNode, ProcessNode | undefined> | undefined;
  private overlayExec: Set<ProcessNode> | undefined;

  constructor(options: ActivityTreeOptions = {}) {
    this.treeType = options.treeType ?? 'activity_dump';
    this.differentiateArgs = options.differentiateArgs ?? false;
    this.dnsMatchMaxDepth = nonNegativeInteger(
      options.dnsMatchMaxDepth ?? DEFAULT_DNS_MATCH_MAX_DEPTH,
      'dnsMatchMaxDepth',
    );
    this.pathsReducer = options.pathsReducer === undefined ? new PathsReducer() : options.pathsReducer;
    this.selector = options.selector;
    this.traced = new Set(options.tracedEventTypes ?? EVENT_TYPES);
    for (const type of this.traced) {
      if (!EVENT_TYPES.includes(type))
        throw new InvalidArgumentError(`tracedEventTypes: unknown event type ${String(type)}`);
    }
    this.onNewProcessNode = options.onNewProcessNode;
    this.envsWithValue = new Set(options.envsWithValue ?? DEFAULT_ENVS_WITH_VALUE);
    this.argsScrubber = options.argsScrubber === undefined ? new ArgsScrubber() : options.argsScrubber;
    this.processCache = new ProcessCache(
      nonNegativeInteger(options.processCacheSize ?? DEFAULT_PROCESS_CACHE_SIZE, 'processCacheSize'),
    );
    this.fileCache = new FilePathCache(
      nonNegativeInteger(options.fileCacheSize ?? DEFAULT_FILE_CACHE_SIZE, 'fileCacheSize'),
    );
    this.ctx = {
      visited: [],
      stats: this.stats,
      generationType: GenerationType.Runtime,
      imageTag: '',
      time: 0n,
      dryRun: false,
      matchedRules: undefined,
    };
  }

  /**
   * Records an event. Returns `true` when the tree gained information (see
   * {@link ActivityTree.insertWithOutcome} for why an event was not added).
   * @throws {InvalidArgumentError} when `generationType` is not 1–4, or `event` is not an
   *   object with a known `type` (programming errors; malformed fields are drops).
   */
  insert(event: ActivityEvent, options?: InsertOptions): boolean {
    return this.insertWithOutcome(event, options) === 'added';
  }

  /** Whether the tree already holds everything this event would add (a dry-run insert). */
  contains(event: ActivityEvent, options?: Omit<InsertOptions, 'dryRun'>): boolean {
    const outcome = this.insertWithOutcome(event, { ...options, dryRun: true });
    return outcome === 'unchanged';
  }

  /**
   * Records an event and says what happened: `added`, `unchanged`, or the reason it was dropped.
   * Drops are counted in {@link ActivityTree.stats} (except in dry-run).
   * @throws {InvalidArgumentError} when `generationType` is not 1–4, or `event` is not an
   *   object with a known `type`.
   */
  insertWithOutcome(event: ActivityEvent, options?: InsertOptions): InsertOutcome {
    const generationType = options?.generationType ?? GenerationType.Runtime;
    if (!Number.isInteger(generationType) || generationType < 1 || generationType > MAX_GENERATION_TYPE) {
      throw new InvalidArgumentError(`invalid generation type: ${String(generationType)}`);
    }
    const dryRun = options?.dryRun === true;
    if (typeof event !== 'object' || event === null || !EVENT_TYPES.includes(event.type)) {
      throw new InvalidArgumentError(`not an activity event: ${describe(event)}`);
    }
    const type = event.type;
    if (!this.traced.has(type)) return this.drop(type, 'event_type', dryRun);
    if (!isWellFormed(event)) return this.drop(type, 'broken_event', dryRun);
    if (type === 'bind' && event.bind.family !== 'AF_INET' && event.bind.family !== 'AF_INET6') {
      return this.drop(type, 'bind_family', dryRun);
    }
    if (type === 'imds' && isFilteredImds(event.imds)) return this.drop(type, 'imds_filtered', dryRun);

    const ctx = this.ctx;
    ctx.generationType = generationType;
    ctx.imageTag = options?.imageTag ?? '';
    ctx.time = event.timestamp ?? 0n;
    ctx.dryRun = dryRun;
    ctx.matchedRules = event.matchedRules;

    const node = this.findOrCreateProcessNode(event, generationType, dryRun);
    if (typeof node === 'string') return this.drop(type, node, dryRun);
    const createdProcess = this.createdProcessNode;
    if (node === undefined) return 'added'; // dry-run: the lineage needs new nodes
    if (!dryRun) this.stats.countProcessed(type);

    let added = createdProcess;
    switch (event.type) {
      case 'exec':
        if (!dryRun) node.matchedRules = appendMatchedRules(node.matchedRules, event.matchedRules);
        break;
      case 'fork':
        break;
      case 'exit':
        if (!dryRun) node.process.exitTime = event.timestamp ?? event.process.exitTime ?? 0n;
        break;
      case 'open':
        added = this.insertOpen(node, event) || added;
        break;
      case 'dns':
        added = insertDns(node, event, this.dnsNames, this.dnsMatchMaxDepth, ctx) || added;
        break;
      case 'bind':
        added = insertBind(node, event, ctx) || added;
        break;
      case 'imds':
        added = insertImds(node, event.imds, ctx) || added;
        break;
      case 'syscalls':
        added = insertSyscalls(node, event, this.syscallSet, ctx) || added;
        break;
      case 'capabilities':
        added = insertCapabilities(node, event, ctx) || added;
        break;
      case 'network_flow':
        added = insertNetworkFlows(node, event, ctx) || added;
        break;
    }
    if (added && !dryRun) this.stats.countAdded(type, generationType);
    return added ? 'added' : 'unchanged';
  }

  private insertOpen(node: ProcessNode, event: OpenEvent): boolean {
    const file = event.file;
    // A dry run leaves even the cache as it is.
    const dryRun = this.ctx.dryRun;
    const known = dryRun ? undefined : this.fileCache.get(file.path, node, file.filesystem);
    if (known !== undefined) {
      touchKnownPath(known, event, this.ctx);
      return false;
    }
    const path =
      this.pathsReducer === null
        ? file.path
        : this.pathsReducer.reduce(file.path, {
            pid: node.process.pid,
            filesystem: file.filesystem,
            hasFile: true,
          });
    const added = insertFilePath(node, path, event, this.ctx);
    if (!added && this.ctx.visited.length > 0)
      this.fileCache.set(file.path, node, file.filesystem, this.ctx.visited);
    return added;
  }

  /** Sorted union of the syscall numbers recorded by every process node. */
  syscalls(): number[] {
    return [...this.syscallSet].sort((a, b) => a - b);
  }

  /** Whether the tree has no process node. */
  isEmpty(): boolean {
    return this.roots.length === 0;
  }

  /**
   * Estimated in-memory size in bytes, from node counts (the agent's per-kind weights). This is
   * what a dump's size budget is checked against.
   */
  approximateSize(): number {
    const s = this.stats;
    return (
      s.processNodes * SIZE_WEIGHTS.process +
      s.fileNodes * SIZE_WEIGHTS.file +
      s.dnsNodes * SIZE_WEIGHTS.dns +
      s.socketNodes * SIZE_WEIGHTS.socket +
      s.imdsNodes * SIZE_WEIGHTS.imds +
      s.syscallNodes * SIZE_WEIGHTS.syscall +
      s.flowNodes * SIZE_WEIGHTS.flow +
      s.capabilityNodes * SIZE_WEIGHTS.capability
    );
  }

  /** Visits every process node, parents before children. */
  *processNodes(): IterableIterator<ProcessNode> {
    const stack = [...this.roots].reverse();
    while (stack.length > 0) {
      const node = stack.pop()!;
      yield node;
      for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]!);
    }
  }

  /**
   * Adds a decoded root node as is (for decoders; inserts go through `insert`). The caller
   * keeps node counts right with {@link ActivityTree.recountNodes}.
   */
  appendRoot(node: ProcessNode): void {
    node.parent = undefined;
    this.roots.push(node);
    this.processCache.structureChanged();
  }

  /** Recomputes node counts, the DNS name set and the syscall union from the nodes (after decoding). */
  recountNodes(): void {
    const s = this.stats;
    s.processNodes = s.fileNodes = s.dnsNodes = s.socketNodes = 0;
    s.imdsNodes = s.syscallNodes = s.flowNodes = s.capabilityNodes = 0;
    this.dnsNames.clear();
    this.syscallSet.clear();
    for (const node of this.processNodes()) {
      s.processNodes++;
      s.dnsNodes += node.dnsNames.size;
      s.socketNodes += node.sockets.length;
      s.imdsNodes += node.imdsEvents.size;
      s.syscallNodes += node.syscalls.length;
      s.capabilityNodes += node.capabilities.length;
      for (const device of node.networkDevices.values()) s.flowNodes += device.flows.size;
      for (const dns of node.dnsNames.values()) for (const r of dns.requests) this.dnsNames.add(r.name);
      for (const sc of node.syscalls) this.syscallSet.add(sc.syscall);
      const files = [...node.files];
      while (files.length > 0) {
        const f = files.pop()!;
        if (f.hasFile) s.fileNodes++;
        files.push(...f.children);
      }
    }
    this.processCache.clear();
    this.fileCache.clear();
  }

  private drop(type: EventType, reason: DropReason, dryRun: boolean): DropReason {
    if (!dryRun) this.stats.countDropped(type, reason);
    return reason;
  }

  // ---- process lookup -------------------------------------------------------------------

  /**
   * Finds (or, unless dry-run, creates) the node of the event's process. Returns the node, a
   * drop reason, or `undefined` in dry-run when new nodes would be needed. Sets
   * `createdProcessNode`.
   */
  private findOrCreateProcessNode(
    event: ActivityEvent,
    generationType: GenerationType,
    dryRun: boolean,
  ): ProcessNode | DropReason | undefined {
    this.createdProcessNode = false;
    this.overlayParent = undefined;
    this.overlayExec = undefined;
    const process = event.process;
    const cached = this.processCache.get(process, this.differentiateArgs);
    if (cached !== undefined) {
      if (!dryRun) this.stampAncestry(cached);
      return cached;
    }
    if (!hasWellFormedLineage(process)) return 'broken_event';
    const chain = processChain(process);
    if (!hasUsableLineage(chain)) return 'broken_lineage';
    this.chain = chain;
    const branch = this.buildBranch();
    if (branch === 0) return 'process_node_not_created';
    if (branch < 0) return 'invalid_root_node';
    const node = this.insertBranch(undefined, branch - 1, 0, generationType, dryRun);
    this.chain = [];
    this.overlayParent = undefined;
    this.overlayExec = undefined;
    if (node === undefined) return dryRun ? undefined : 'process_node_not_created';
    if (dryRun) return this.createdProcessNode ? undefined : node;
    this.processCache.set(process, node);
    this.stampAncestry(node);
    return node;
  }

  // The node and its ancestors are stamped with the image tag at the node's exec time.
  private stampAncestry(node: ProcessNode): void {
    const tag = this.ctx.imageTag;
    if (tag === '') return;
    for (let n: ProcessNode | undefined = node; n !== undefined; n = n.parent) {
      n.imageTags = touchImageTag(n.imageTags, tag, n.process.execTime ?? 0n);
    }
  }

  /**
   * Fills `this.branch` with chain indices from the event's process up to the top-most
   * interesting ancestor inside the selector, cut at the highest valid root. Returns the branch
   * length, 0 when the process itself is outside the selector, -1 when no entry can be a root.
   */
  private buildBranch(): number {
    const chain = this.chain;
    const branch = this.branch;
    branch.length = 0;
    for (let i = 0; i >= 0; i = nextInterestingAncestor(chain, i)) {
      if (this.selector !== undefined && !this.selector(chain[i]!)) break;
      branch.push(i);
    }
    if (branch.length === 0) return 0;
    for (let top = branch.length - 1; top >= 0; top--) {
      if (isValidRoot(chain, branch[top]!)) {
        branch.length = top + 1;
        return branch.length;
      }
    }
    return -1;
  }

  private entry(branchIndex: number): ProcessInfo {
    return this.chain[this.branch[branchIndex]!]!;
  }

  private childrenOf(parent: ProcessNode | undefined): ProcessNode[] {
    const children = parent === undefined ? this.roots : parent.children;
    const overlay = this.overlayParent;
    if (overlay === undefined) return children;
    // A dry run sees the moves it did not make: moved nodes leave their old list for the new one.
    const seen = children.filter((c) => !overlay.has(c) || overlay.get(c) === parent);
    for (const [node, newParent] of overlay)
      if (newParent === parent && !seen.includes(node)) seen.push(node);
    return seen;
  }

  private parentOf(node: ProcessNode): ProcessNode | undefined {
    const overlay = this.overlayParent;
    return overlay?.has(node) === true ? overlay.get(node) : node.parent;
  }

  private isExec(node: ProcessNode): boolean {
    return node.isExecExec || this.overlayExec?.has(node) === true;
  }

  /**
   * Walks the branch from `branch[top]` down to `branch[bottom]` under `parent`, matching or
   * creating one node per entry. Returns the node of `branch[bottom]`, or `undefined` in dry-run
   * when something would be created.
   */
  private insertBranch(
    parent: ProcessNode | undefined,
    top: number,
    bottom: number,
    generationType: GenerationType,
    dryRun: boolean,
  ): ProcessNode | undefined {
    let current = parent;
    let i = top;
    while (i >= bottom) {
      const step = this.findBranch(current, i, bottom, generationType, dryRun);
      if (step.rebased) {
        this.createdProcessNode = true;
        if (dryRun) return undefined;
      }
      if (step.node !== undefined) {
        current = step.node;
        i -= step.consumed;
        continue;
      }
      if (dryRun) {
        this.createdProcessNode = true;
        return undefined;
      }
      // Everything from here down is new: append it as a straight chain.
      for (let j = i; j >= bottom; j--) {
        const node = this.newProcessNode(this.entry(j), generationType);
        if (current === undefined) this.appendRoot(node);
        else current.appendChild(node);
        current = node;
      }
      this.createdProcessNode = true;
      return current;
    }
    return current;
  }

  /**
   * Looks for `branch[top]` under `parent`; when it is missing but the next entry down is an
   * exec child, looks for lower entries (their missing ancestors exec'd into them) and rebases
   * the found subtree under a chain made of the skipped entries.
   */
  private findBranch(
    parent: ProcessNode | undefined,
    top: number,
    bottom: number,
    generationType: GenerationType,
    dryRun: boolean,
  ): { node: ProcessNode | undefined; consumed: number; rebased: boolean } {
    for (let i = top; i >= bottom; i--) {
      const cursor = this.entry(i);
      const children = this.childrenOf(parent);
      let match = this.findInTree(children, cursor);
      if (match !== undefined) {
        if (i === top) return { node: match, consumed: 1, rebased: false };
        if (dryRun) return { node: undefined, consumed: top - i + 1, rebased: true };
        if (cursor.isExecExec === true) match.process.isExecExec = true;
        const node = this.rebaseTree(parent, this.foundIndex, parent, i, top, generationType, match);
        return { node, consumed: top - i + 1, rebased: true };
      }
      // An exec child may have been recorded as a sibling of its real parent.
      if (cursor.isExecExec === true && parent !== undefined) {
        const siblings = this.childrenOf(this.parentOf(parent));
        match = this.findInTree(siblings, cursor);
        const moved = siblings[this.foundIndex];
        // The parent is among its own siblings: never move it under itself.
        if (match !== undefined && moved !== parent) {
          if (dryRun) {
            if (i < top) return { node: undefined, consumed: top - i + 1, rebased: true };
            // Moving the sibling adds nothing, but later lookups must see it moved.
            this.overlayParent ??= new Map();
            this.overlayParent.set(moved!, parent);
            this.overlayExec ??= new Set();
            this.overlayExec.add(moved!).add(match);
            return { node: match, consumed: 1, rebased: false };
          }
          match.process.isExecExec = true;
          const node = this.rebaseTree(
            this.parentOf(parent),
            this.foundIndex,
            parent,
            i,
            top,
            generationType,
            match,
          );
          return { node, consumed: top - i + 1, rebased: i < top };
        }
      }
      // Not found: if the next entry down is an exec child, this one may have exec'd into it.
      if (i > bottom && this.entry(i - 1).isExecExec === true) continue;
      break;
    }
    return { node: undefined, consumed: 0, rebased: false };
  }

  /**
   * Moves the child `childIndex` of `oldParent` (the subtree holding `match`, the node found for
   * `branch[from]`) under `newParent`, below a new chain made of the entries
   * `branch[from + 1 .. top]` (top first). When the top entry is the moved node itself (one of
   * them not an exec child), the node is moved and the rest of the entries inserted under it.
   * Returns the node that now stands for `branch[from]`.
   */
  private rebaseTree(
    oldParent: ProcessNode | undefined,
    childIndex: number,
    newParent: ProcessNode | undefined,
    from: number,
    top: number,
    generationType: GenerationType,
    match: ProcessNode,
  ): ProcessNode {
    const oldChildren = this.childrenOf(oldParent);
    const moved = oldChildren[childIndex]!;
    if (top > from) {
      const topEntry = this.entry(top);
      if ((topEntry.isExecExec !== true || !moved.isExecExec) && this.matches(moved, topEntry)) {
        this.moveUnderChain(oldChildren, childIndex, newParent, from, from, generationType);
        return this.insertBranch(moved, top - 1, from, generationType, false) ?? moved;
      }
    }
    this.moveUnderChain(oldChildren, childIndex, newParent, from, top, generationType);
    return match;
  }

  // Creates the chain branch[top .. from + 1] under `newParent` and moves the child there.
  private moveUnderChain(
    oldChildren: ProcessNode[],
    childIndex: number,
    newParent: ProcessNode | undefined,
    from: number,
    top: number,
    generationType: GenerationType,
  ): void {
    const moved = oldChildren[childIndex]!;
    let chainRoot: ProcessNode | undefined;
    let chainLeaf: ProcessNode | undefined;
    for (let j = top; j > from; j--) {
      const node = this.newProcessNode(this.entry(j), generationType);
      if (chainLeaf === undefined) chainRoot = node;
      else chainLeaf.appendChild(node);
      chainLeaf = node;
    }
    moved.process.isExecExec = true;
    oldChildren.splice(childIndex, 1);
    this.processCache.structureChanged();
    if (chainLeaf !== undefined) chainLeaf.appendChild(moved);
    const root = chainRoot ?? moved;
    if (newParent === undefined) this.appendRoot(root);
    else newParent.appendChild(root);
  }

  /** Finds a node matching `entry` among `list`, or among their exec descendants; sets `foundIndex`. */
  private findInTree(list: readonly ProcessNode[], entry: ProcessInfo): ProcessNode | undefined {
    for (let i = 0; i < list.length; i++) {
      if (this.matches(list[i]!, entry)) {
        this.foundIndex = i;
        return list[i];
      }
    }
    for (let i = 0; i < list.length; i++) {
      const found = this.findInExecDescendants(list[i]!, entry);
      if (found !== undefined) {
        this.foundIndex = i;
        return found;
      }
    }
    this.foundIndex = -1;
    return undefined;
  }

  private findInExecDescendants(root: ProcessNode, entry: ProcessInfo): ProcessNode | undefined {
    // Fast path: the direct exec children.
    for (const child of root.children) {
      if (this.isExec(child) && this.matches(child, entry)) return child;
    }
    const stack: ProcessNode[] = [root];
    while (stack.length > 0) {
      const cursor = stack.pop()!;
      for (const child of cursor.children) {
        if (!this.isExec(child)) continue;
        if (this.matches(child, entry)) return child;
        stack.push(child);
      }
    }
    return undefined;
  }

  /** Process identity: normalised executable path, busybox applet, and (optionally) exact arguments. */
  private matches(node: ProcessNode, entry: ProcessInfo): boolean {
    const nodePath = node.process.file.path;
    const entryPath = entry.file.path;
    if (nodePath !== entryPath && !pathPatternMatch(nodePath, entryPath, NORMALIZED_PATH_MATCH)) return false;
    if (isBusybox(entryPath) && (node.process.argv0 ?? '') !== (entry.argv0 ?? '')) return false;
    if (this.differentiateArgs) {
      const nodeArgs = node.process.args ?? [];
      const entryArgs = this.scrubArgs(entry.args ?? []);
      if (nodeArgs.length !== entryArgs.length) return false;
      for (let k = 0; k < nodeArgs.length; k++) if (nodeArgs[k] !== entryArgs[k]) return false;
    }
    return true;
  }

  private scrubArgs(args: readonly string[]): readonly string[] {
    return this.argsScrubber === null ? args : this.argsScrubber.scrub(args);
  }

  private newProcessNode(entry: ProcessInfo, generationType: GenerationType): ProcessNode {
    const info = copyProcessInfo(
      entry,
      [...this.scrubArgs(entry.args ?? [])],
      reduceEnvs(entry.envs ?? [], this.envsWithValue),
    );
    const node = new ProcessNode(info, generationType);
    this.processCache.structureChanged();
    this.stats.processNodes++;
    this.stats.countAdded('exec', generationType);
    this.onNewProcessNode?.(node);
    return node;
  }
}

// The agent ignores IMDS responses without credentials and requests without a URL.
function isFilteredImds(imds: {
  type: string;
  url?: string;
  aws?: { securityCredentials?: { accessKeyId?: string } };
}): boolean {
  if (imds.type === 'response') return !imds.aws?.securityCredentials?.accessKeyId;
  if (imds.type === 'request') return !imds.url;
  return false;
}

function describe(value: unknown): string {
  if (typeof value !== 'object' || value === null) return String(value);
  return `an object with type ${JSON.stringify((value as { type?: unknown }).type) ?? 'undefined'}`;
}

function nonNegativeInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 0) {
    throw new InvalidArgumentError(`${name} must be a non-negative integer, got ${String(value)}`);
  }
  return value;
}
