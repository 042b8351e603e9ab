import { toError } from './errors.js';

/** Runs one `emit`; returns what a listener threw, so it never unwinds into the emitter's state. */
export function emitGuarded(emit: () => unknown): Error | undefined {
  try {
    emit();
    return undefined;
  } catch (error) {
    return toError(error);
  }
}

/** Emits `error`; an error listener that throws has nowhere left to report to. */
export function emitError(emitter: { emit(event: 'error', error: Error): boolean }, error: Error): void {
  emitGuarded(() => emitter.emit('error', error));
}
