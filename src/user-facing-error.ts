/** A failure the user should hear about in one honest sentence; the cause goes to the log. */
export class UserFacingError extends Error {
  /** The service may recover (timeout, 5xx, 429): the message is worth retrying later. */
  readonly transient: boolean;

  constructor(
    readonly userMessage: string,
    options?: { cause?: unknown; transient?: boolean },
  ) {
    super(userMessage, options);
    this.name = 'UserFacingError';
    this.transient = options?.transient ?? false;
  }
}
