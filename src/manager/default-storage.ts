import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { LocalStorage } from '../storage/local-storage.js';
import { RemoteStorage } from '../storage/remote-storage.js';
import type { StorageBackend } from '../storage/storage-backend.js';
import { StorageManager } from '../storage/storage-manager.js';
import type { ActivityDumpManagerOptions } from './manager-options.js';

/**
 * The storage a manager persists through when given none: a LocalStorage in the configured
 * directory, and a RemoteStorage when endpoints are configured.
 */
export function createDefaultStorage(
  options: ActivityDumpManagerOptions,
  ports: { clock: Clock; metrics: Metrics; logger: Logger; directory: string },
): StorageManager {
  const local = options.localStorage;
  const backends: StorageBackend[] = [
    new LocalStorage({
      directory: ports.directory,
      maxDumpsCount: local?.maxDumpsCount,
      fileMode: local?.fileMode,
      directoryMode: local?.directoryMode,
      onCleanup: (files) => options.securityProfileProvider?.onLocalStorageCleanup?.(files),
    }),
  ];
  const remote = options.remoteStorage;
  if (remote?.endpoints !== undefined && remote.endpoints.length > 0) {
    const { enabled: _enabled, formats: _formats, compression: _compression, ...settings } = remote;
    backends.push(
      new RemoteStorage({
        ...settings,
        endpoints: remote.endpoints,
        clock: ports.clock,
        logger: ports.logger,
      }),
    );
  }
  return new StorageManager({ backends, metrics: ports.metrics, logger: ports.logger });
}
