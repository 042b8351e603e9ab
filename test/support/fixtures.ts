import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The shared Datadog fixtures sit beside the checkout; a plain clone may not have them. */
export const DATADOG_FIXTURES = fileURLToPath(new URL('../../../shared/fixtures/datadog/', import.meta.url));

/** Whether the shared fixtures are present. */
export const hasDatadogFixtures = existsSync(DATADOG_FIXTURES);

/** Reason shown when fixture-based tests are skipped. */
export const MISSING_FIXTURES_REASON = `shared Datadog fixtures not found at ${DATADOG_FIXTURES}; skipping fixture tests`;
