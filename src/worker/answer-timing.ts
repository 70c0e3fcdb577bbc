/** A high-resolution wall clock, comparable across threads: the main thread stamps, the answer worker reads. */
export const wallClockMs = (): number => performance.timeOrigin + performance.now();

/**
 * Where one answer's time went, filled in by the pipeline: how long it waited on services outside
 * the framework (the LLM, speech, images, media downloads), and when the reply was handed to the
 * channel. What is left of the time since the callback arrived is the framework's own.
 */
export class AnswerTiming {
  waitedMs = 0;
  repliedAt: number | undefined;

  /** Runs a call to an outside service, counting its time as waited. */
  async wait<T>(call: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await call();
    } finally {
      this.waitedMs += performance.now() - started;
    }
  }

  /** The first reply's hand-over to the channel (later parts of a long answer do not move it). */
  replied(): void {
    this.repliedAt ??= wallClockMs();
  }
}
