/** A failure the user should hear about in one honest sentence; the cause goes to the log. */
export class UserFacingError extends Error {
  constructor(
    readonly userMessage: string,
    options?: { cause?: unknown },
  ) {
    super(userMessage, options);
    this.name = 'UserFacingError';
  }
}
