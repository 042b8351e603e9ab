import { HashState } from './file-info.js';

/*
 * Name → number tables for the enum-like strings the Datadog Agent writes in its CWS event JSON.
 * Maps (not object literals) so that a hostile name such as `__proto__` or `constructor` can never
 * resolve to an inherited property.
 */

/** Linux capability names → bit numbers (`include/uapi/linux/capability.h`). */
export const CAPABILITY_BITS: ReadonlyMap<string, number> = new Map([
  ['CAP_CHOWN', 0],
  ['CAP_DAC_OVERRIDE', 1],
  ['CAP_DAC_READ_SEARCH', 2],
  ['CAP_FOWNER', 3],
  ['CAP_FSETID', 4],
  ['CAP_KILL', 5],
  ['CAP_SETGID', 6],
  ['CAP_SETUID', 7],
  ['CAP_SETPCAP', 8],
  ['CAP_LINUX_IMMUTABLE', 9],
  ['CAP_NET_BIND_SERVICE', 10],
  ['CAP_NET_BROADCAST', 11],
  ['CAP_NET_ADMIN', 12],
  ['CAP_NET_RAW', 13],
  ['CAP_IPC_LOCK', 14],
  ['CAP_IPC_OWNER', 15],
  ['CAP_SYS_MODULE', 16],
  ['CAP_SYS_RAWIO', 17],
  ['CAP_SYS_CHROOT', 18],
  ['CAP_SYS_PTRACE', 19],
  ['CAP_SYS_PACCT', 20],
  ['CAP_SYS_ADMIN', 21],
  ['CAP_SYS_BOOT', 22],
  ['CAP_SYS_NICE', 23],
  ['CAP_SYS_RESOURCE', 24],
  ['CAP_SYS_TIME', 25],
  ['CAP_SYS_TTY_CONFIG', 26],
  ['CAP_MKNOD', 27],
  ['CAP_LEASE', 28],
  ['CAP_AUDIT_WRITE', 29],
  ['CAP_AUDIT_CONTROL', 30],
  ['CAP_SETFCAP', 31],
  ['CAP_MAC_OVERRIDE', 32],
  ['CAP_MAC_ADMIN', 33],
  ['CAP_SYSLOG', 34],
  ['CAP_WAKE_ALARM', 35],
  ['CAP_BLOCK_SUSPEND', 36],
  ['CAP_AUDIT_READ', 37],
  ['CAP_PERFMON', 38],
  ['CAP_BPF', 39],
  ['CAP_CHECKPOINT_RESTORE', 40],
]);

/**
 * `open(2)` flag names → values. The names are portable but a few values are not: these are the
 * x86-64 / asm-generic ones (arm64 swaps O_DIRECT, O_DIRECTORY, O_NOFOLLOW and O_LARGEFILE).
 */
export const OPEN_FLAGS: ReadonlyMap<string, number> = new Map([
  ['O_RDONLY', 0],
  ['O_WRONLY', 0o1],
  ['O_RDWR', 0o2],
  ['O_ACCMODE', 0o3],
  ['O_CREAT', 0o100],
  ['O_EXCL', 0o200],
  ['O_NOCTTY', 0o400],
  ['O_TRUNC', 0o1000],
  ['O_APPEND', 0o2000],
  ['O_NONBLOCK', 0o4000],
  ['O_NDELAY', 0o4000],
  ['O_DSYNC', 0o10000],
  ['O_ASYNC', 0o20000],
  ['O_DIRECT', 0o40000],
  ['O_LARGEFILE', 0o100000],
  ['O_DIRECTORY', 0o200000],
  ['O_NOFOLLOW', 0o400000],
  ['O_NOATIME', 0o1000000],
  ['O_CLOEXEC', 0o2000000],
  ['O_SYNC', 0o4010000],
  ['O_FSYNC', 0o4010000],
  ['O_RSYNC', 0o4010000],
  ['O_PATH', 0o10000000],
  ['O_TMPFILE', 0o20200000],
]);

/** DNS question type names (as the agent spells them) → RR type numbers (IANA registry). */
export const DNS_QTYPES: ReadonlyMap<string, number> = new Map([
  ['None', 0],
  ['A', 1],
  ['NS', 2],
  ['MD', 3],
  ['MF', 4],
  ['CNAME', 5],
  ['SOA', 6],
  ['MB', 7],
  ['MG', 8],
  ['MR', 9],
  ['NULL', 10],
  ['WKS', 11],
  ['PTR', 12],
  ['HINFO', 13],
  ['MINFO', 14],
  ['MX', 15],
  ['TXT', 16],
  ['RP', 17],
  ['AFSDB', 18],
  ['X25', 19],
  ['ISDN', 20],
  ['RT', 21],
  ['NSAPPTR', 23],
  ['SIG', 24],
  ['KEY', 25],
  ['PX', 26],
  ['GPOS', 27],
  ['AAAA', 28],
  ['LOC', 29],
  ['NXT', 30],
  ['EID', 31],
  ['NIMLOC', 32],
  ['SRV', 33],
  ['ATMA', 34],
  ['NAPTR', 35],
  ['KX', 36],
  ['CERT', 37],
  ['DNAME', 39],
  ['OPT', 41],
  ['APL', 42],
  ['DS', 43],
  ['SSHFP', 44],
  ['RRSIG', 46],
  ['NSEC', 47],
  ['DNSKEY', 48],
  ['DHCID', 49],
  ['NSEC3', 50],
  ['NSEC3PARAM', 51],
  ['TLSA', 52],
  ['SMIMEA', 53],
  ['HIP', 55],
  ['NINFO', 56],
  ['RKEY', 57],
  ['TALINK', 58],
  ['CDS', 59],
  ['CDNSKEY', 60],
  ['OPENPGPKEY', 61],
  ['CSYNC', 62],
  ['ZONEMD', 63],
  ['SVCB', 64],
  ['HTTPS', 65],
  ['SPF', 99],
  ['UINFO', 100],
  ['UID', 101],
  ['GID', 102],
  ['UNSPEC', 103],
  ['NID', 104],
  ['L32', 105],
  ['L64', 106],
  ['LP', 107],
  ['EUI48', 108],
  ['EUI64', 109],
  ['TKEY', 249],
  ['TSIG', 250],
  ['IXFR', 251],
  ['AXFR', 252],
  ['MAILB', 253],
  ['MAILA', 254],
  ['ANY', 255],
  ['URI', 256],
  ['CAA', 257],
  ['AVC', 258],
  ['TA', 32768],
  ['DLV', 32769],
  ['Reserved', 65535],
]);

/** DNS class names → numbers: the agent's `CLASS_*` spelling and the usual short mnemonics. */
export const DNS_QCLASSES: ReadonlyMap<string, number> = new Map([
  ['CLASS_INET', 1],
  ['CLASS_CSNET', 2],
  ['CLASS_CHAOS', 3],
  ['CLASS_HESIOD', 4],
  ['CLASS_NONE', 254],
  ['CLASS_ANY', 255],
  ['IN', 1],
  ['CS', 2],
  ['CH', 3],
  ['HS', 4],
  ['NONE', 254],
  ['ANY', 255],
]);

/**
 * IP protocol names → numbers. The agent writes `IP_PROTO_*` (or `""` for an unknown number);
 * the libc `IPPROTO_*` and bare names are accepted for hand-written events.
 */
export const L4_PROTOCOLS: ReadonlyMap<string, number> = (() => {
  const numbers: [string, number][] = [
    ['IP', 0],
    ['ICMP', 1],
    ['IGMP', 2],
    ['IPIP', 4],
    ['TCP', 6],
    ['EGP', 8],
    ['IGP', 9],
    ['PUP', 12],
    ['UDP', 17],
    ['IDP', 22],
    ['TP', 29],
    ['DCCP', 33],
    ['IPV6', 41],
    ['RSVP', 46],
    ['GRE', 47],
    ['ESP', 50],
    ['AH', 51],
    ['ICMPV6', 58],
    ['MTP', 92],
    ['BEETPH', 94],
    ['ENCAP', 98],
    ['PIM', 103],
    ['COMP', 108],
    ['SCTP', 132],
    ['UDPLITE', 136],
    ['MPLS', 137],
    ['RAW', 255],
  ];
  const table = new Map<string, number>([['', 0]]);
  for (const [name, value] of numbers) {
    table.set(`IP_PROTO_${name}`, value).set(`IPPROTO_${name}`, value).set(name, value);
  }
  return table;
})();

/** Ethernet protocol names → EtherType numbers, limited to what network flows carry. */
export const L3_PROTOCOLS: ReadonlyMap<string, number> = new Map([
  ['', 0],
  ['ETH_P_IP', 0x0800],
  ['ETH_P_ARP', 0x0806],
  ['ETH_P_IPV6', 0x86dd],
]);

/**
 * Agent `hash_state` names → {@link HashState} numbers. Names missing here (newer agents added
 * `FileEmpty`, `FileOpenError`, `HashFailed`) are failures the wire enum cannot tell apart, so
 * callers map them to `UNKNOWN_HASH_ERROR`.
 */
export const HASH_STATES: ReadonlyMap<string, number> = new Map([
  ['NoHash', HashState.NO_HASH],
  ['Done', HashState.DONE],
  ['FileNotFound', HashState.FILE_NOT_FOUND],
  ['PathnameResolutionError', HashState.PATHNAME_RESOLUTION_ERROR],
  ['FileTooBig', HashState.FILE_TOO_BIG],
  ['EventTypeNotConfigured', HashState.EVENT_TYPE_NOT_CONFIGURED],
  ['HashWasRateLimited', HashState.HASH_WAS_RATE_LIMITED],
  ['UnknownHashError', HashState.UNKNOWN_HASH_ERROR],
]);
