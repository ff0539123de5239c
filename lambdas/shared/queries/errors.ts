/**
 * Input a query cannot run with (a page token that does not decode, an id in the wrong form). The CLI
 * turns it into a usage error (exit code 2), the API into a 400 naming `parameter`.
 */
export class InvalidQueryError extends Error {
  override readonly name = 'InvalidQueryError';
  /** What to do about it. */
  readonly hint?: string;

  constructor(message: string, options: { readonly hint?: string; readonly cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    if (options.hint !== undefined) this.hint = options.hint;
  }
}
