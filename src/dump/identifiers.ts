import { randomBytes } from 'node:crypto';

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const NAME_LETTERS = 10;

/** A new dump name: `activity-dump-` and 10 random letters (the agent's form). */
export function randomDumpName(): string {
  let name = 'activity-dump-';
  while (name.length < 14 + NAME_LETTERS) {
    for (const byte of randomBytes(16)) {
      // 208 = 4 × 52: rejecting larger bytes keeps every letter equally likely.
      if (byte < 208 && name.length < 14 + NAME_LETTERS) name += LETTERS[byte % 52];
    }
  }
  return name;
}

/** A new non-zero 64-bit cookie, uniformly random (the agent's mixed the clock into half of it). */
export function randomCookie(): bigint {
  for (;;) {
    const cookie = randomBytes(8).readBigUInt64BE();
    if (cookie !== 0n) return cookie;
  }
}
