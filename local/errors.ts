/** Raised when a poller or the runtime does not become idle within the time a caller allowed. */
export class NotIdleError extends Error {
  override readonly name = 'NotIdleError';
}
