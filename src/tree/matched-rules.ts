import type { MatchedRule } from '../events/matched-rule.js';

/**
 * Appends the rules whose `ruleId` is not already present (the agent de-duplicates by rule id).
 * Returns the list to keep, allocating only when something is added.
 */
export function appendMatchedRules(
  existing: MatchedRule[] | undefined,
  incoming: readonly MatchedRule[] | undefined,
): MatchedRule[] | undefined {
  if (incoming === undefined || incoming.length === 0) return existing;
  let out = existing;
  for (const rule of incoming) {
    if (out?.some((r) => r.ruleId === rule.ruleId)) continue;
    out ??= [];
    out.push(rule);
  }
  return out;
}
