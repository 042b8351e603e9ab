/** A detection rule that matched an event; the tree keeps one entry per `ruleId`. */
export interface MatchedRule {
  /** Rule identifier (the de-duplication key). */
  ruleId: string;
  /** @default "" */
  ruleVersion?: string;
  /** @default "" */
  policyName?: string;
  /** @default "" */
  policyVersion?: string;
  /** Free-form rule tags. @default {} */
  ruleTags?: Record<string, string>;
}
