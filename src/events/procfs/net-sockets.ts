import type { BindEvent } from '../activity-event.js';
import type { ProcessContext } from '../process.js';
import type { ProcSocket } from './proc-types.js';

const HEX = /^[0-9A-Fa-f]+$/;
const DECIMAL = /^\d+$/;
const SLOT = /^\d+:$/;
const SOCKET_TARGET = /^socket:\[(\d+)\]$/;

/**
 * Parses one `/proc/<pid>/net/{tcp,tcp6,udp,udp6}` table into its sockets, in table order.
 *
 * The header line and any row that does not have the kernel's shape are skipped. Addresses are
 * printed by the kernel as 32-bit words in host byte order; this parser assumes a little-endian
 * host (x86-64, arm64), so `0100007F:1F90` is `127.0.0.1` port 8080. IPv6 addresses come out in
 * the form `inet_ntop` (and so Node's socket addresses) uses: RFC 5952 compression, with the IPv4
 * tail written dotted for mapped (`::ffff:127.0.0.1`) and compatible (`::1.2.3.4`) addresses.
 *
 * Note that the table lists every socket of the process's network namespace, not only its own.
 *
 * @param text - The whole table.
 * @param family - `AF_INET` for `tcp`/`udp`, `AF_INET6` for `tcp6`/`udp6`.
 * @param protocol - The protocol number the table is for: 6 (TCP) or 17 (UDP).
 */
export function parseNetSockets(text: string, family: ProcSocket['family'], protocol: number): ProcSocket[] {
  const addressDigits = family === 'AF_INET' ? 8 : 32;
  const sockets: ProcSocket[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    const [slot, local, , state, , , , , , inode] = fields;
    if (slot === undefined || !SLOT.test(slot) || inode === undefined || !DECIMAL.test(inode)) continue;
    if (state === undefined || state.length !== 2 || !HEX.test(state)) continue;
    const [address, port, extra] = (local ?? '').split(':');
    if (address === undefined || port === undefined || extra !== undefined) continue;
    if (address.length !== addressDigits || !HEX.test(address) || port.length !== 4 || !HEX.test(port))
      continue;
    const bytes = hostWordsToBytes(address);
    sockets.push({
      inode: BigInt(inode),
      family,
      protocol,
      ip: family === 'AF_INET' ? formatIPv4(bytes, 0) : formatIPv6(bytes),
      port: Number.parseInt(port, 16),
      state: Number.parseInt(state, 16),
    });
  }
  return sockets;
}

/** The inode of an fd target `socket:[<inode>]`, `undefined` for any other target. */
export function parseSocketTarget(target: string): bigint | undefined {
  const match = SOCKET_TARGET.exec(target);
  return match === null ? undefined : BigInt(match[1]!);
}

/** Network-order bytes of hex 32-bit words printed from little-endian memory. */
function hostWordsToBytes(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let word = 0; word < hex.length; word += 8) {
    for (let i = 0; i < 4; i++) {
      // The first printed byte is the word's most significant one, the last in memory.
      bytes[word / 2 + 3 - i] = Number.parseInt(hex.slice(word + 2 * i, word + 2 * i + 2), 16);
    }
  }
  return bytes;
}

function formatIPv4(bytes: Uint8Array, from: number): string {
  return `${bytes[from]}.${bytes[from + 1]}.${bytes[from + 2]}.${bytes[from + 3]}`;
}

/** The textual form `inet_ntop` (BIND's, as in libuv and glibc) gives a 16-byte address. */
function formatIPv6(bytes: Uint8Array): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((bytes[i]! << 8) | bytes[i + 1]!);
  // The first longest run of at least two zero words becomes `::`.
  let best = { base: -1, length: 0 };
  let run = { base: -1, length: 0 };
  for (let i = 0; i <= 8; i++) {
    if (i < 8 && words[i] === 0) {
      run = run.base === -1 ? { base: i, length: 1 } : { base: run.base, length: run.length + 1 };
    } else if (run.base !== -1) {
      if (run.length > best.length) best = run;
      run = { base: -1, length: 0 };
    }
  }
  if (best.length < 2) best = { base: -1, length: 0 };
  const end = best.base + best.length;
  let text = '';
  for (let i = 0; i < 8; i++) {
    if (best.base !== -1 && i >= best.base && i < end) {
      if (i === best.base) text += ':';
      continue;
    }
    if (i !== 0) text += ':';
    // Six leading zero words (compatible) or five and `ffff` (mapped): an IPv4 address inside.
    const ipv4Tail =
      i === 6 && best.base === 0 && (best.length === 6 || (best.length === 5 && words[5] === 0xffff));
    if (ipv4Tail) return text + formatIPv4(bytes, 12);
    text += words[i]!.toString(16);
  }
  return end === 8 ? `${text}:` : text;
}

/** A bound socket as the successful `bind` that made it (what a snapshot or a poll reports). */
export function bindEventOf(process: ProcessContext, socket: ProcSocket, timestamp?: bigint): BindEvent {
  return {
    type: 'bind',
    process,
    bind: { family: socket.family, ip: socket.ip, port: socket.port, protocol: socket.protocol, retval: 0 },
    ...(timestamp === undefined ? {} : { timestamp }),
  };
}
