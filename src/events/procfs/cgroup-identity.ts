import type { CgroupIdentity } from './proc-types.js';

/** What a cgroup path says about the runtime that made it. */
export interface CgroupRuntime {
  /** The container id (64 hex digits, lowercase), `""` when the cgroup is not a container's. */
  readonly containerId: string;
  /** `docker`, `containerd`, `cri-o`, `podman` or `systemd`. */
  readonly cgroupManager: string;
}

const NO_IDENTITY: CgroupIdentity = { containerId: '', cgroupId: '', cgroupManager: '' };

/** Cgroup name prefixes (`docker-<id>.scope`, `crio-<id>`, …) → the manager that creates them. */
const PREFIX_MANAGERS: ReadonlyMap<string, string> = new Map([
  ['docker', 'docker'],
  ['cri-containerd', 'containerd'],
  ['crio', 'cri-o'],
  ['libpod', 'podman'],
]);
const PREFIXES = [...PREFIX_MANAGERS.keys()].join('|');
const HEX64 = '[0-9a-fA-F]{64}';
/** `docker-<id>.scope` (systemd driver) or `crio-<id>` (cgroupfs driver). */
const PREFIXED = new RegExp(`^(${PREFIXES})-(${HEX64})(?:\\.scope)?$`);
/** The runc systemd driver's `slice:prefix:name` form, found as a literal name under `containerd.service`. */
const COLON_FORM = new RegExp(`^[^:]+:(${PREFIXES}):(${HEX64})$`);
/** The scope of conmon, the monitor CRI-O and Podman run next to each container: not the container. */
const CONMON = new RegExp(`^(crio|libpod)-conmon-${HEX64}(?:\\.scope)?$`);
/** A bare id: `/docker/<id>`, `/kubepods/<qos>/pod<uid>/<id>`, `/ecs/<task>/<id>`. */
const BARE_ID = new RegExp(`^${HEX64}$`);
const SYSTEMD_UNIT = /\.(?:service|scope|slice)$/;

/** Ties between equally deep v1 paths go to the first of these controllers a line lists. */
const CONTROLLER_RANK = ['memory', 'pids', 'cpu', 'cpuacct', 'name=systemd'];
/** The kernel appends this to the v2 path of a cgroup that has been removed. */
const DELETED_SUFFIX = ' (deleted)';

interface Candidate {
  readonly path: string;
  readonly unified: boolean;
  readonly depth: number;
  readonly rank: number;
  /** The last line of a text that does not end with a line break: a read may have cut it short. */
  readonly cut: boolean;
}

/**
 * Tells which workload a process belongs to from the text of `/proc/<pid>/cgroup`.
 *
 * Lines are `hierarchy-id:controllers:path` (cgroup v1) or `0::path` (the v2 unified hierarchy);
 * both may appear together (hybrid hosts). Blank lines, CRLF line breaks and lines of any other
 * shape are skipped, and no input makes it throw: the text comes from a live system.
 *
 * The path is chosen among the non-root ones, in this order: the `0::` path, then v1 paths from
 * the deepest down, equal depths going to `memory`, `pids`, `cpu`, `cpuacct`, `name=systemd`,
 * then other controllers, then file order. The first path in that order that names a container
 * wins, otherwise the first path: on hybrid hosts with the cgroupfs driver the `0::` line still
 * shows the runtime's service (`/system.slice/containerd.service`) while v1 lines name the container.
 *
 * Since `/proc` ends every line with a line break, a last line without one may have been cut by a
 * short read. It comes after every complete line in that order, and only its last component may
 * name the container, so that a cut inside a nested id never falls back to the enclosing one. A
 * cut exactly after an enclosing container's component still reads as that container.
 *
 * @param text - The file's contents.
 * @returns `cgroupId` is the chosen path (a v2 ` (deleted)` mark removed), `""` when every line shows
 *   the root cgroup `/` or no line is readable. `containerId` and `cgroupManager` are what
 *   {@link containerIdFromCgroupPath} finds in that path (in its last component only, for a last line
 *   that may be cut), or `""`.
 */
export function parseCgroupFile(text: string): CgroupIdentity {
  const lines = text.split('\n');
  const candidates: Candidate[] = [];
  lines.forEach((line, i) => {
    const candidate = parseLine(line.endsWith('\r') ? line.slice(0, -1) : line, i === lines.length - 1);
    if (candidate !== undefined) candidates.push(candidate);
  });
  // Array.prototype.sort is stable: file order breaks the remaining ties.
  candidates.sort(
    (a, b) =>
      Number(a.cut) - Number(b.cut) ||
      Number(b.unified) - Number(a.unified) ||
      b.depth - a.depth ||
      a.rank - b.rank,
  );

  let fallback: CgroupIdentity | undefined;
  for (const { path, cut } of candidates) {
    const runtime = identify(path, cut);
    const identity = {
      containerId: runtime?.containerId ?? '',
      cgroupId: path,
      cgroupManager: runtime?.cgroupManager ?? '',
    };
    if (identity.containerId !== '') return identity;
    fallback ??= identity;
  }
  return fallback ?? NO_IDENTITY;
}

/**
 * Recognizes the runtime behind a cgroup path from the shapes Docker, containerd (CRI), CRI-O,
 * Podman and systemd give it. The innermost component naming a container gives the id, so that
 * nested containers (docker-in-docker) and a container's own sub-cgroups resolve to the container
 * the process is directly in.
 *
 * - `docker-<id>.scope`, `cri-containerd-<id>.scope`, `crio-<id>.scope`, `libpod-<id>.scope` (also
 *   without `.scope`, as the cgroupfs drivers name them): Docker, containerd, CRI-O, Podman.
 * - `<slice>:cri-containerd:<id>` (the runc systemd driver's name, under `containerd.service`):
 *   containerd, likewise for the other prefixes.
 * - A bare `<id>`: Docker under a `docker` component (`/docker/<id>`), containerd otherwise, the
 *   layout of Kubernetes with the cgroupfs driver (`/kubepods/<qos>/pod<uid>/<id>`) and of ECS.
 * - `crio-conmon-<id>.scope`, `libpod-conmon-<id>.scope`: conmon, the runtime's monitor, which runs
 *   outside the container: no container id, manager `cri-o` or `podman`.
 * - Otherwise, a path ending in a `.service`, `.scope` or `.slice` unit: no container, `systemd`.
 *
 * Ids are exactly 64 hex digits, of either case, returned lowercase; shorter ones (such as the
 * 32-digit `/process_api/<id>` of sandboxes, or ECS task ids) are not container ids.
 *
 * @param path - A cgroup path, such as `/system.slice/docker-<id>.scope`.
 * @returns The container id and manager, `undefined` when the path shows neither.
 */
export function containerIdFromCgroupPath(path: string): CgroupRuntime | undefined {
  return identify(path, false);
}

function parseLine(line: string, last: boolean): Candidate | undefined {
  const first = line.indexOf(':');
  const second = line.indexOf(':', first + 1);
  if (first < 0 || second < 0) return undefined;
  const hierarchy = line.slice(0, first);
  const controllers = line.slice(first + 1, second);
  const unified = hierarchy === '0' && controllers === '';
  let path = line.slice(second + 1);
  if (!/^\d+$/.test(hierarchy) || (!unified && controllers === '') || !path.startsWith('/')) return undefined;
  if (unified && path.endsWith(DELETED_SUFFIX)) path = path.slice(0, -DELETED_SUFFIX.length);
  if (path === '/') return undefined;
  const rank = controllers.split(',').reduce((best, controller) => {
    const index = CONTROLLER_RANK.indexOf(controller);
    return index < 0 ? best : Math.min(best, index);
  }, CONTROLLER_RANK.length);
  return { path, unified, depth: path.split('/').filter((part) => part !== '').length, rank, cut: last };
}

function identify(path: string, leafOnly: boolean): CgroupRuntime | undefined {
  const parts = path.split('/');
  const leaf = parts.length - 1;
  for (let i = leaf; i >= (leafOnly ? leaf : 0); i--) {
    const runtime = runtimeOf(parts[i]!, parts[i - 1]);
    if (runtime !== undefined) return runtime;
  }
  return SYSTEMD_UNIT.test(parts[leaf]!) ? { containerId: '', cgroupManager: 'systemd' } : undefined;
}

function runtimeOf(name: string, parent: string | undefined): CgroupRuntime | undefined {
  const conmon = CONMON.exec(name);
  if (conmon !== null) return { containerId: '', cgroupManager: PREFIX_MANAGERS.get(conmon[1]!)! };
  const prefixed = PREFIXED.exec(name) ?? COLON_FORM.exec(name);
  if (prefixed !== null) {
    return { containerId: prefixed[2]!.toLowerCase(), cgroupManager: PREFIX_MANAGERS.get(prefixed[1]!)! };
  }
  if (BARE_ID.test(name)) {
    return { containerId: name.toLowerCase(), cgroupManager: parent === 'docker' ? 'docker' : 'containerd' };
  }
  return undefined;
}
