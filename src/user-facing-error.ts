/** A failure the user should hear about in one honest sentence; the cause goes to the log. */
export class UserFacingError extends Error {
  /** The service may recover (timeout, 5xx, 429): the message is worth retrying later. */
  readonly transient: boolean;
  /** What failed, as a metric's label (an LLM call's: auth, timeout, ...). */
  readonly kind: string | undefined;

  constructor(
    readonly userMessage: string,
    options?: { cause?: unknown; transient?: boolean; kind?: string },
  ) {
    super(userMessage, options);
    this.name = 'UserFacingError';
    this.transient = options?.transient ?? false;
    this.kind = options?.kind;
  }
}
